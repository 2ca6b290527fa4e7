"""The ground a frame is placed on: a DEM, the level plane through its laser target, or
level ground at take-off height.

hehu's default ground is level at take-off elevation (:class:`FlatGround`), which
is wrong by however much the terrain under the camera lies above or below the
take-off spot: on a real H20T river flight 95 m above take-off the laser read 63–97 m
to the ground. Cameras with a laser rangefinder (Zenmuse H20/H20T/H30 series, M30
series) write what it measured along the optical axis in XMP: ``LRFStatus``,
``LRFTargetDistance``, ``LRFTargetAlt`` (height above take-off), ``LRFTargetAbsAlt``,
``LRFTargetLat/Lon``. Where that reading is valid (:func:`laser_target`), the
frame's ground is the level plane through the laser target, so the principal
point lands on the target and the frame's GSD follows the measured range.

Where the config names a DEM (``geo.dem``) that covers the ground below the camera
and the frame carries AbsoluteAltitude to tie it to, the DEM is the ground
(:mod:`pipeline.geo.dem`) and the laser, if any, only checks flat ground.

:func:`frame_ground` also says how far flat ground at take-off height disagrees
with the laser, as a share of the laser range along the optical axis, and flags the
frame when that share is above :attr:`GroundSettings.max_flat_disagreement`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pipeline.geo.ground import FlatGround, GroundModel
from pipeline.records import FrameMeta

#: ``LRFStatus`` of a reading the laser trusts (DJI writes ``Normal``; others such as
#: ``TooClose``/``TooFar``/``NoTarget`` mean no valid range).
LRF_NORMAL = "normal"

#: Largest share of the laser range by which a written target height (LRFTargetAlt,
#: LRFTargetAbsAlt) may differ from the one the range and gimbal pitch give: 1° of
#: pitch is 1.7 % of the range, so 5 % leaves room and still catches a datum mix-up.
TARGET_HEIGHT_TOLERANCE = 0.05

GroundSource = Literal["flat", "laser", "dem"]
TargetHeightSource = Literal["LRFTargetAlt", "LRFTargetAbsAlt", "range"]


@dataclass(frozen=True)
class GroundSettings:
    """How frames choose their ground (config section ``geo``).

    ``laser_min_m``/``laser_max_m``: the range a laser reading must lie in (DJI
    specifies 3–1200 m for the H20 and M30 rangefinders). ``laser_min_depression_deg``:
    the optical axis must point at least this far below the horizon for the level
    plane through the target to stand for the ground (a near-horizontal laser hits
    walls and trees). ``max_flat_disagreement``: the share of the laser range flat
    ground may be off before the frame is flagged. ``footprint_max_range_m``: far
    limit of frame footprints (see :meth:`pipeline.geo.georef.Georef.footprint`) and
    of rays marched over a DEM. ``dem_path``: a GeoTIFF DEM; ``dem_offset_m``: how far
    its heights lie above the datum of the drone's AbsoluteAltitude;
    ``dem_offset_auto``: measure that offset on each flight from its laser readings
    (:func:`pipeline.geo.dem_tie.calibrated` replaces it before frames are placed).
    """

    use_laser: bool = True
    laser_min_m: float = 3.0
    laser_max_m: float = 1200.0
    laser_min_depression_deg: float = 10.0
    max_flat_disagreement: float = 0.10
    footprint_max_range_m: float = 1000.0
    dem_path: str | None = None
    dem_offset_m: float = 0.0
    dem_offset_auto: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.laser_min_m < self.laser_max_m:
            raise ValueError(
                f"laser range must satisfy 0 < laser_min_m < laser_max_m, got "
                f"{self.laser_min_m}..{self.laser_max_m} m"
            )
        if not (0 <= self.laser_min_depression_deg < 90):
            raise ValueError(
                f"laser_min_depression_deg must be in [0, 90), got {self.laser_min_depression_deg}"
            )
        if not (self.max_flat_disagreement > 0 and self.footprint_max_range_m > 0):
            raise ValueError(
                "max_flat_disagreement and footprint_max_range_m must be positive, got "
                f"{self.max_flat_disagreement} and {self.footprint_max_range_m}"
            )


@dataclass(frozen=True)
class LaserTarget:
    """A valid laser reading: ``distance_m`` along the optical axis to a ground point
    ``ground_z_m`` metres above take-off elevation (negative: below), that height
    read from ``height_source``."""

    distance_m: float
    ground_z_m: float
    height_source: TargetHeightSource


@dataclass(frozen=True)
class GroundCheck:
    """Which ground a frame uses and how flat ground compares with its laser.

    ``flat_disagreement``: ``|flat range − laser range| / laser range`` along the
    optical axis (None without a valid laser reading); ``flagged`` when it is above
    the configured share. ``dem_residual_m``: on a DEM with a valid laser reading, how
    far the DEM (with its offset) lies above the laser target, metres; a frame is
    flagged too when that is more than the same share of the laser range. ``note``:
    why a configured DEM was not used ("" otherwise).
    """

    source: GroundSource
    laser: LaserTarget | None = None
    flat_disagreement: float | None = None
    flagged: bool = False
    note: str = ""
    dem_residual_m: float | None = None


def _num(x: float | None) -> float | None:
    """``x`` when it is a finite number, else None."""
    return float(x) if x is not None and math.isfinite(x) else None


def laser_target(meta: FrameMeta, settings: GroundSettings) -> LaserTarget | None:
    """The frame's laser reading when it is valid (module docstring), else None.

    Valid: ``LRFStatus`` Normal, ``LRFTargetDistance`` in the configured range and
    the target at least ``laser_min_depression_deg`` below the camera's horizon. The
    target's height: ``LRFTargetAlt``, else ``LRFTargetAbsAlt`` less the take-off's
    AbsoluteAltitude − RelativeAltitude, each only where it agrees with the height
    the range along the optical axis gives (:data:`TARGET_HEIGHT_TOLERANCE`); else
    that height.
    """
    xmp = meta.xmp
    if xmp is None or (xmp.lrf_status or "").strip().lower() != LRF_NORMAL:
        return None
    d, rel_alt, pitch = (
        _num(xmp.lrf_target_distance_m),
        _num(xmp.rel_alt_m),
        _num(xmp.gimbal_pitch_deg),
    )
    if d is None or rel_alt is None or pitch is None:
        return None
    if not settings.laser_min_m <= d <= settings.laser_max_m:
        return None
    target_alt, target_abs, abs_alt = (
        _num(xmp.lrf_target_alt_m), _num(xmp.lrf_target_abs_alt_m), _num(xmp.abs_alt_m)
    )  # fmt: skip
    z: float = rel_alt + d * math.sin(math.radians(pitch))  # along the optical axis
    source: TargetHeightSource = "range"
    written: list[tuple[float | None, TargetHeightSource]] = [(target_alt, "LRFTargetAlt")]
    if target_abs is not None and abs_alt is not None:
        written.append((target_abs - (abs_alt - rel_alt), "LRFTargetAbsAlt"))
    for height, name in written:
        # the camera's own figure, unless it is off the range's by more than the gimbal
        # angles explain (another datum, a stale value): then the range is the measurement
        if height is not None and abs(height - z) <= max(2.0, TARGET_HEIGHT_TOLERANCE * d):
            z, source = height, name
            break
    if rel_alt - z < d * math.sin(math.radians(settings.laser_min_depression_deg)):
        return None
    return LaserTarget(distance_m=d, ground_z_m=z, height_source=source)


def flat_disagreement(meta: FrameMeta, laser: LaserTarget) -> float | None:
    """``|flat range − laser range| / laser range`` along the optical axis, where flat
    ground is level at take-off elevation; None when the axis does not reach it."""
    xmp = meta.xmp
    rel_alt = _num(xmp.rel_alt_m) if xmp is not None else None
    pitch = _num(xmp.gimbal_pitch_deg) if xmp is not None else None
    if rel_alt is None or pitch is None:
        return None
    descent = -math.sin(math.radians(pitch))
    if descent <= 0 or rel_alt <= 0:
        return None
    return abs(rel_alt / descent - laser.distance_m) / laser.distance_m


def frame_ground(meta: FrameMeta, settings: GroundSettings) -> tuple[GroundModel, GroundCheck]:
    """The ground to place ``meta``'s pixels on, and how it was chosen (module docstring):
    the configured DEM where it covers the frame, else the level plane through a valid
    laser target (with ``settings.use_laser``), else level ground at take-off elevation.
    """
    laser = laser_target(meta, settings)
    share = flat_disagreement(meta, laser) if laser is not None else None
    flagged = laser is not None and (share is None or share > settings.max_flat_disagreement)
    dem, note = _dem_ground(meta, settings)
    if dem is not None:
        residual = None if laser is None else _dem_residual(meta, laser, settings)
        limit = settings.max_flat_disagreement * (laser.distance_m if laser else 0.0)
        off = residual is not None and abs(residual) > limit
        return dem, GroundCheck("dem", laser, share, flagged or off, dem_residual_m=residual)
    if laser is not None and settings.use_laser:
        return FlatGround(offset_m=laser.ground_z_m), GroundCheck(
            "laser", laser, share, flagged, note
        )
    return FlatGround(), GroundCheck("flat", laser, share, flagged, note)


def _dem_ground(meta: FrameMeta, settings: GroundSettings) -> tuple[GroundModel | None, str]:
    """The configured DEM as the frame's ground, or None and why not ("" without a DEM)."""
    if settings.dem_path is None:
        return None, ""
    from pipeline.geo.dem import dem_ground, load_dem

    xmp, gps = meta.xmp, meta.gps
    rel_alt = _num(xmp.rel_alt_m) if xmp is not None else None
    abs_alt = _num(xmp.abs_alt_m) if xmp is not None else None
    if rel_alt is None or abs_alt is None or gps is None:
        return None, "DEM not used: no AbsoluteAltitude/RelativeAltitude to tie it to"
    takeoff = abs_alt - rel_alt
    ground = dem_ground(load_dem(settings.dem_path), lat_deg=gps.lat_deg, lon_deg=gps.lon_deg,
                        takeoff_dem_m=takeoff + settings.dem_offset_m, h0_m=takeoff,
                        max_range_m=settings.footprint_max_range_m)  # fmt: skip
    if ground is None:
        return None, "DEM not used: it does not cover the ground below the camera"
    return ground, ""


def _dem_residual(meta: FrameMeta, laser: LaserTarget, settings: GroundSettings) -> float | None:
    """How far the configured DEM, with its offset, lies above ``meta``'s laser target."""
    from pipeline.geo.dem_laser import laser_tie

    tie = laser_tie(meta, laser, settings.dem_path) if settings.dem_path else None
    return None if tie is None else tie.offset_m - settings.dem_offset_m
