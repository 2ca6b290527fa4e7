"""Ground from a digital elevation model: rays marched to the terrain surface.

The user names a GeoTIFF DEM in the config (``geo.dem``). :func:`load_dem` reads it
once with rasterio (imported here only; ``pip install rasterio``). A
:class:`DemGround` then serves one frame as its :class:`~pipeline.geo.ground.GroundModel`
in the frame's local ENU (:mod:`pipeline.geo.ground`), whose origin lies at take-off
elevation below the camera:

- **datum**: the take-off's height in DEM terms is the frame's XMP
  ``AbsoluteAltitude − RelativeAltitude`` plus ``geo.dem_offset_m``, i.e. the DEM's
  heights are taken to be on the datum of the drone's AbsoluteAltitude unless the
  offset says how far they are apart (a geoid separation, a local height system);
- ``elevation_m(e, n)``: the DEM sampled bilinearly at the ENU position (converted to
  WGS-84 with :func:`pipeline.geo.coords.enu_to_geodetic`, and to the DEM's CRS when it
  is projected) less that take-off height;
- ``intersect``: each ray is marched from the camera in steps of half a DEM cell
  (at least :data:`MIN_STEP_M`) up to ``max_range_m`` from the camera; the first step
  that ends below the terrain is refined by bisection to millimetres. Rays that
  leave the DEM, meet no-data cells or go past the range first give NaN.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pipeline.errors import BadInputError, ConfigError
from pipeline.geo.coords import enu_to_geodetic

#: Smallest march step, metres (a DEM finer than 1 m is still marched in 0.5 m steps).
MIN_STEP_M = 0.5
_BISECTIONS = 24  # half a cell (≤ tens of metres) / 2^24: below a millimetre
_RAYS_PER_CHUNK = 256

FloatArray = NDArray[np.float64]
ToCrs = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


@dataclass(frozen=True, eq=False)
class Dem:
    """Terrain heights (rows, cols), metres, NaN for no data, on a north-up grid.

    ``origin_xy``: the outer corner of cell (0, 0) in the DEM's CRS; ``cell_xy``: the
    cell size (x, y), y negative for north-up rasters. ``to_crs(lon, lat)`` maps
    WGS-84 to the DEM's CRS (None for a geographic DEM in degrees); ``cell_m`` is
    the cell size in metres, which sets the march step.
    """

    heights_m: FloatArray
    origin_xy: tuple[float, float]
    cell_xy: tuple[float, float]
    cell_m: float
    to_crs: ToCrs | None = None
    name: str = "DEM"

    def __post_init__(self) -> None:
        if self.heights_m.ndim != 2 or min(self.heights_m.shape) < 2:
            raise BadInputError(
                f"{self.name}: a DEM needs at least 2 × 2 cells, got shape {self.heights_m.shape}"
            )
        if not (self.cell_m > 0 and all(c != 0 for c in self.cell_xy)):
            raise BadInputError(f"{self.name}: cell size must be non-zero, got {self.cell_xy}")

    def sample(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> FloatArray:
        """Bilinear heights at WGS-84 points (any shape); NaN outside or on no data."""
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, float), np.asarray(lon_deg, float))
        x, y = (lon, lat) if self.to_crs is None else self.to_crs(lon.ravel(), lat.ravel())
        x, y = np.reshape(x, lat.shape), np.reshape(y, lat.shape)
        # cell centres at integer (col, row)
        col = (x - self.origin_xy[0]) / self.cell_xy[0] - 0.5
        row = (y - self.origin_xy[1]) / self.cell_xy[1] - 0.5
        rows, cols = self.heights_m.shape
        inside = (col >= 0) & (col <= cols - 1) & (row >= 0) & (row <= rows - 1)
        c0 = np.clip(np.floor(np.where(inside, col, 0)), 0, cols - 2).astype(int)
        r0 = np.clip(np.floor(np.where(inside, row, 0)), 0, rows - 2).astype(int)
        fc, fr = np.where(inside, col - c0, 0.0), np.where(inside, row - r0, 0.0)
        z = self.heights_m
        top = z[r0, c0] * (1 - fc) + z[r0, c0 + 1] * fc
        bottom = z[r0 + 1, c0] * (1 - fc) + z[r0 + 1, c0 + 1] * fc
        return np.where(inside, top * (1 - fr) + bottom * fr, np.nan)


@functools.lru_cache(maxsize=4)
def load_dem(path: str) -> Dem:
    """The GeoTIFF (or any raster GDAL reads) at ``path``, first band, as a :class:`Dem`."""
    try:
        import rasterio
        from rasterio.warp import transform as warp_transform
    except ImportError as e:
        raise ConfigError(
            f"geo.dem names {path}, but reading a DEM needs rasterio: pip install rasterio"
        ) from e
    try:
        with rasterio.open(path) as src:
            heights = src.read(1, masked=True).astype(float).filled(np.nan)
            t, crs = src.transform, src.crs
    except (OSError, rasterio.errors.RasterioError) as e:
        raise ConfigError(f"geo.dem: cannot read {path} as a raster ({e})") from e
    if crs is None:
        raise ConfigError(f"geo.dem: {path} has no coordinate reference system")
    if t.b != 0 or t.d != 0:
        raise ConfigError(f"geo.dem: {path} is rotated; warp it to a north-up grid first")
    to_crs: ToCrs | None = None
    if crs.is_geographic:
        cell_m = abs(t.e) * 111_320.0  # a degree of latitude, to a few per mille
    else:
        cell_m = min(abs(t.a), abs(t.e)) * float(crs.linear_units_factor[1])

        def to_crs(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
            x, y = warp_transform("EPSG:4326", crs, lon.tolist(), lat.tolist())
            return np.asarray(x), np.asarray(y)

    return Dem(heights, (t.c, t.f), (t.a, t.e), cell_m, to_crs, name=str(path))


@dataclass(frozen=True, eq=False)
class DemGround:
    """A DEM as one frame's ground (module docstring). ``lat0/lon0_deg``: the frame's
    ENU origin (the camera's GPS position); ``takeoff_dem_m``: the take-off's height
    in the DEM's heights; ``h0_m``: the origin's approximate ellipsoidal height."""

    dem: Dem
    lat0_deg: float
    lon0_deg: float
    takeoff_dem_m: float
    h0_m: float = 0.0
    max_range_m: float = 1000.0

    def elevation_m(self, east_m: ArrayLike, north_m: ArrayLike) -> FloatArray:
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        lat, lon, _ = enu_to_geodetic(e, n, np.zeros_like(e), lat0_deg=self.lat0_deg,
                                      lon0_deg=self.lon0_deg, h0_m=self.h0_m)  # fmt: skip
        return self.dem.sample(lat, lon) - self.takeoff_dem_m

    def intersect(self, origin_enu: ArrayLike, dirs_enu: ArrayLike) -> FloatArray:
        origin = np.asarray(origin_enu, dtype=float).reshape(3)
        dirs = np.asarray(dirs_enu, dtype=float)
        if dirs.ndim != 2 or dirs.shape[1] != 3:
            raise ValueError(f"dirs_enu must have shape (N, 3), but got shape {dirs.shape}")
        norm = np.linalg.norm(dirs, axis=1)
        unit = dirs / np.where(norm > 0, norm, 1.0)[:, None]
        t = np.concatenate([
            self._march(origin, unit[i : i + _RAYS_PER_CHUNK])
            for i in range(0, len(unit), _RAYS_PER_CHUNK)
        ]) if len(unit) else np.zeros(0)  # fmt: skip
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(norm > 0, t / norm, np.nan)

    def _above(self, origin: FloatArray, unit: FloatArray, t: FloatArray) -> FloatArray:
        """Ray height above the terrain at parameters ``t`` (N, K); NaN off the DEM."""
        p = origin + t[..., None] * unit[:, None, :]
        return p[..., 2] - self.elevation_m(p[..., 0], p[..., 1])

    def _march(self, origin: FloatArray, unit: FloatArray) -> FloatArray:
        step = max(self.dem.cell_m / 2, MIN_STEP_M)
        ts = np.arange(0.0, self.max_range_m + step, step)
        above = self._above(origin, unit, np.broadcast_to(ts, (len(unit), len(ts))))
        below = above <= 0
        gone = ~np.isfinite(above)
        k = np.argmax(below | gone, axis=1)  # the first step at or under ground, or off the DEM
        rows = np.arange(len(unit))
        hit = below[rows, k] & (k > 0)
        lo, hi = ts[np.maximum(k - 1, 0)], ts[k]
        for _ in range(_BISECTIONS):
            mid = (lo + hi) / 2
            under = self._above(origin, unit, mid[:, None])[:, 0] <= 0
            lo, hi = np.where(under, lo, mid), np.where(under, mid, hi)
        return np.where(hit, (lo + hi) / 2, np.nan)


def dem_ground(
    dem: Dem,
    *,
    lat_deg: float,
    lon_deg: float,
    takeoff_dem_m: float,
    h0_m: float = 0.0,
    max_range_m: float = 1000.0,
) -> DemGround | None:
    """The DEM as the ground of a frame at ``lat/lon``; None when it does not cover the
    ground below the camera."""
    if not math.isfinite(takeoff_dem_m):
        return None
    ground = DemGround(dem, lat_deg, lon_deg, takeoff_dem_m, h0_m, max_range_m)
    return ground if np.isfinite(ground.elevation_m(0.0, 0.0)) else None
