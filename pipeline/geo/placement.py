"""Whether a frame can be placed on the ground, and if not, why, as a reason to count by.

A frame is placed when :func:`~pipeline.geo.georef.georeference` finds its intrinsics,
pose and ground, and its optical axis meets that ground. Nothing missing is made up:
a frame without a camera attitude is not taken to look straight down, one without a
focal length is not given a typical lens. The reasons are short labels (the
``reason`` of MissingGeotagError's subclasses, :data:`NO_FOCAL_LENGTH`, :data:`HORIZON` …)
so that a run can say "3 frames not placed: no camera attitude 2, no focal length 1";
the error's own message, with what to do, is kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import BadInputError, MissingGeotagError
from pipeline.geo.georef import MISS_GROUND, MISS_HORIZON, Georef, georeference
from pipeline.records import FrameMeta

#: No source of a focal length in pixels (no calibration, no known camera, no 35 mm equivalent).
NO_FOCAL_LENGTH = "no focal length (camera unknown)"
#: The optical axis points at or above the horizon: the frame has no ground centre or GSD.
HORIZON = "looking at or above the horizon"
#: The optical axis points down but does not meet the ground model (off a DEM's edge).
OFF_GROUND = "optical axis misses the ground model"
#: A position or attitude that is there but unusable (camera at or below the ground …).
UNUSABLE = "position or attitude unusable"


@dataclass(frozen=True)
class Placement:
    """A frame's :class:`~pipeline.geo.georef.Georef`, or why there is none.

    ``reason``: a short label to count frames by (None when placed); ``detail``: the
    full message, saying what was expected and what to do.
    """

    georef: Georef | None
    reason: str | None = None
    detail: str | None = None

    @property
    def placed(self) -> bool:
        return self.georef is not None


def place_frame(meta: FrameMeta, **options: Any) -> Placement:
    """Georeference ``meta`` (``options`` are :func:`georeference`'s keywords) and check
    that its optical axis meets the ground; never raises for a frame's own data."""
    try:
        georef = georeference(meta, **options)
    except MissingGeotagError as e:
        return Placement(None, missing_reason(e), str(e))
    except BadInputError as e:  # the pose's own checks do not name the file
        detail = str(e) if str(e).startswith(meta.path) else f"{meta.path}: {e}"
        return Placement(None, UNUSABLE, detail)
    cam = georef.camera
    centre = georef.locate([(cam.cx_px, cam.cy_px)])
    if not centre.hit[0]:
        why = centre.reasons[0]
        reason = HORIZON if why == MISS_HORIZON else OFF_GROUND if why == MISS_GROUND else why
        pitch = georef.pose.pitch_deg
        return Placement(None, reason, f"{meta.path}: {why} (camera pitch {pitch:.1f}°)")
    return Placement(georef)


def missing_reason(error: MissingGeotagError) -> str:
    """The reason label of a missing-geotag error. Intrinsics come first in
    :func:`georeference`, and :func:`~pipeline.geo.camera.camera_from_meta` raises the
    plain :class:`MissingGeotagError` when no source gives a focal length; the pose
    raises the subclass naming what it lacks."""
    if type(error) is MissingGeotagError:
        return NO_FOCAL_LENGTH
    return error.reason
