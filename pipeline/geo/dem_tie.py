"""Tie a DEM's heights to the drone's altitude datum with the laser rangefinder.

A DEM's heights and a DJI frame's ``AbsoluteAltitude`` rarely share a datum: the
DEM may be orthometric on a national height system (China's 1985 National Height
Datum, EGM2008) while the drone writes ellipsoidal or barometric heights, tens of
metres apart. :class:`~pipeline.geo.laser.GroundSettings` carries that separation
as ``dem_offset_m`` (how far the DEM's heights lie above the drone's datum). A frame
whose laser rangefinder reading is valid gives one measured tie:

- the target's height in the drone's datum is the take-off's
  (``AbsoluteAltitude − RelativeAltitude``) plus the target's height above take-off
  (:func:`pipeline.geo.laser.laser_target`);
- the DEM's height at the target's position (``LRFTargetLat/Lon`` where written,
  else the camera's position moved ``distance · cos(pitch)`` along the gimbal yaw).

Their difference is the offset that frame measures. :func:`tie_dem` takes the
median over a flight's ties (robust to a laser that hit a roof or a tree) and its
spread (1.4826 × the median absolute deviation); with ``dem_offset_m: auto`` in the
config, :func:`calibrated` applies it to the flight before anything is placed.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.geo.dem_laser import DemTie, laser_tie
from pipeline.geo.laser import GroundSettings, laser_target
from pipeline.records import FrameMeta

#: Fewest laser ties a flight needs for an automatic offset: one reading may have hit
#: a roof, a tree or a boat; three agree or show the spread.
MIN_TIES = 3

#: Spread (metres, 1.4826 × MAD) beyond which the ties disagree too much to trust
#: their median: the terrain under the targets is not what the DEM shows (buildings,
#: vegetation canopy, a DEM older than an excavation).
MAX_SPREAD_M = 5.0


@dataclass(frozen=True)
class DemCalibration:
    """A flight's DEM offset from its laser ties (module docstring).

    ``offset_m``: the median tie (None when there are too few or they disagree);
    ``spread_m``: 1.4826 × their median absolute deviation; ``note``: one line for
    the user saying what was found and what was used.
    """

    ties: tuple[DemTie, ...]
    offset_m: float | None
    spread_m: float | None
    note: str


def frame_tie(meta: FrameMeta, settings: GroundSettings) -> DemTie | None:
    """The tie ``meta``'s laser gives between the configured DEM and the drone's
    datum, or None (no DEM, no valid laser reading, no AbsoluteAltitude, off the DEM)."""
    if settings.dem_path is None:
        return None
    laser = laser_target(meta, settings)
    return None if laser is None else laser_tie(meta, laser, settings.dem_path)


def tie_dem(frames: Iterable[FrameMeta], settings: GroundSettings) -> DemCalibration:
    """The flight's DEM offset from every frame's laser tie (module docstring)."""
    ties = tuple(t for m in frames if (t := frame_tie(m, settings)) is not None)
    if len(ties) < MIN_TIES:
        return DemCalibration(ties, None, None, f"DEM offset: {len(ties)} laser ties, "
                              f"need {MIN_TIES} to measure it")  # fmt: skip
    offsets = [t.offset_m for t in ties]
    median = statistics.median(offsets)
    spread = 1.4826 * statistics.median(abs(o - median) for o in offsets)
    if spread > MAX_SPREAD_M:
        note = (f"DEM offset: {len(ties)} laser ties disagree (median {median:+.1f} m, "
                f"spread {spread:.1f} m > {MAX_SPREAD_M:g} m); not used")  # fmt: skip
        return DemCalibration(ties, None, spread, note)
    note = f"DEM offset {median:+.1f} m (spread {spread:.1f} m) from {len(ties)} laser ties"
    return DemCalibration(ties, median, spread, note)


def calibrated(
    frames: Iterable[FrameMeta], settings: GroundSettings
) -> tuple[GroundSettings, DemCalibration | None]:
    """``settings`` with the DEM offset measured on ``frames`` when it is ``auto``.

    Without a DEM or with a fixed offset, ``settings`` unchanged and None. With
    ``auto`` and no usable ties, the offset falls back to 0 (the DEM taken on the
    drone's datum) and the calibration's note says so.
    """
    if settings.dem_path is None or not settings.dem_offset_auto:
        return settings, None
    calibration = tie_dem(frames, settings)
    offset = calibration.offset_m
    if offset is None:
        calibration = dataclasses.replace(
            calibration, note=calibration.note + "; the DEM is taken on the drone's datum (0 m)"
        )
    fixed = dataclasses.replace(settings, dem_offset_m=offset or 0.0, dem_offset_auto=False)
    return fixed, calibration
