"""One frame's laser reading tied to a DEM: where the laser hit, and how far the DEM's
height there lies above the target's height in the drone's altitude datum
(:mod:`pipeline.geo.dem_tie` gathers these over a flight)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.geo.coords import enu_to_geodetic
from pipeline.records import FrameMeta

if TYPE_CHECKING:
    from pipeline.geo.laser import LaserTarget


@dataclass(frozen=True)
class DemTie:
    """One frame's tie: ``offset_m`` = DEM height − laser target height (drone datum)."""

    path: str
    offset_m: float
    dem_m: float
    target_m: float


def target_latlon(meta: FrameMeta, laser: LaserTarget) -> tuple[float, float] | None:
    """Where the laser hit: ``LRFTargetLat/Lon`` when written, else the camera's GPS
    position moved the range's horizontal share along the gimbal yaw; None without."""
    xmp, gps = meta.xmp, meta.gps
    if xmp is None or gps is None:
        return None
    lat, lon = xmp.lrf_target_lat_deg, xmp.lrf_target_lon_deg
    written = lat is not None and lon is not None and (lat, lon) != (0.0, 0.0)  # 0, 0: no target
    if written and lat is not None and lon is not None and math.isfinite(lat + lon):
        return lat, lon
    pitch, yaw = xmp.gimbal_pitch_deg, xmp.gimbal_yaw_deg
    if pitch is None or yaw is None or not (math.isfinite(pitch) and math.isfinite(yaw)):
        return None
    ground_m = laser.distance_m * math.cos(math.radians(pitch))
    north = ground_m * math.cos(math.radians(yaw))
    east = ground_m * math.sin(math.radians(yaw))
    lat_t, lon_t, _ = enu_to_geodetic(east, north, 0.0, lat0_deg=gps.lat_deg, lon0_deg=gps.lon_deg)
    return float(lat_t), float(lon_t)


def laser_tie(meta: FrameMeta, laser: LaserTarget, dem_path: str) -> DemTie | None:
    """The tie ``meta``'s valid laser reading ``laser`` gives with the DEM at
    ``dem_path``, or None (no AbsoluteAltitude, no target position, off the DEM)."""
    xmp = meta.xmp
    if xmp is None or xmp.abs_alt_m is None or xmp.rel_alt_m is None:
        return None
    where = target_latlon(meta, laser)
    if where is None:
        return None
    from pipeline.geo.dem import load_dem

    dem_m = float(load_dem(dem_path).sample(where[0], where[1]))
    target_m = xmp.abs_alt_m - xmp.rel_alt_m + laser.ground_z_m
    if not (math.isfinite(dem_m) and math.isfinite(target_m)):
        return None
    return DemTie(str(meta.path), dem_m - target_m, dem_m, target_m)
