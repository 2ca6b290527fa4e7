"""DEM ground: rays marched to a synthetic terrain with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.geo.dem import Dem, DemGround, load_dem
from pipeline.geo.georef import georeference
from pipeline.geo.laser import GroundSettings, frame_ground

from .frames import make_meta

LAT, LON = 30.0, 114.0
F_PX = 24.0 / math.hypot(36, 24) * 5000
#: WGS-84 metres per degree at 30° N: meridian radius of curvature, and the parallel's
A, E2 = 6378137.0, 6.69437999014e-3
_W = 1 - E2 * math.sin(math.radians(LAT)) ** 2
M_PER_DEG_LAT = math.radians(A * (1 - E2) / _W**1.5)
M_PER_DEG_LON = math.radians(A / math.sqrt(_W) * math.cos(math.radians(LAT)))


def geographic_dem(height_of, half_extent_m: float = 600.0, cell_deg: float = 0.0001) -> Dem:
    """A north-up DEM in degrees around (LAT, LON); ``height_of(east_m, north_m)``."""
    half_lat, half_lon = half_extent_m / M_PER_DEG_LAT, half_extent_m / M_PER_DEG_LON
    lats = np.arange(LAT + half_lat, LAT - half_lat, -cell_deg) - cell_deg / 2  # cell centres
    lons = np.arange(LON - half_lon, LON + half_lon, cell_deg) + cell_deg / 2
    lon, lat = np.meshgrid(lons, lats)
    heights = height_of((lon - LON) * M_PER_DEG_LON, (lat - LAT) * M_PER_DEG_LAT)
    origin = (float(lons[0] - cell_deg / 2), float(lats[0] + cell_deg / 2))
    return Dem(heights.astype(float), origin, (cell_deg, -cell_deg), cell_deg * M_PER_DEG_LAT)


def frame(pitch_deg: float = -90.0, abs_alt_m: float | None = 195.0, lat_deg: float = LAT):
    """95 m above a take-off at 100 m (AbsoluteAltitude 195), heading north."""
    return make_meta(focal_35mm=24.0, rel_alt_m=95.0, abs_alt_m=abs_alt_m,
                     gimbal_pitch_deg=pitch_deg, lat_deg=lat_deg, lon_deg=LON)  # fmt: skip


def on_dem(meta, dem: Dem, **kw):
    ground = DemGround(dem, LAT, LON, takeoff_dem_m=100.0, h0_m=100.0, **kw)
    return georeference(meta, ground=ground)


def test_level_terrain_below_take_off() -> None:
    georef = on_dem(frame(), geographic_dem(lambda e, n: np.full_like(e, 80.0)))
    p = georef.locate([(2000.0, 1500.0)])
    assert p.range_m[0] == pytest.approx(115.0, abs=1e-3)
    assert georef.pose.height_m == pytest.approx(115.0, abs=1e-6)
    assert georef.gsd_cm_per_px() == pytest.approx(115.0 / F_PX * 100, rel=1e-4)


@pytest.mark.parametrize("pitch", [-90.0, -60.0, -30.0])
def test_slope_rising_north_is_met_where_the_algebra_says(pitch) -> None:
    """Terrain 10 % up to the north: 95 − t·sin δ = 0.1·t·cos δ along the centre ray."""
    georef = on_dem(frame(pitch), geographic_dem(lambda e, n: 100.0 + 0.1 * n))
    p = georef.locate([(2000.0, 1500.0)])
    d = math.radians(-pitch)
    expected = 95.0 / (math.sin(d) + 0.1 * math.cos(d))
    assert p.range_m[0] == pytest.approx(expected, abs=0.02)
    assert p.north_m[0] == pytest.approx(expected * math.cos(d), abs=0.02)


def test_a_ridge_hides_the_ground_behind_it() -> None:
    """A 30 m wall 100 m north stops a ray that would meet level ground 165 m away."""
    dem = geographic_dem(lambda e, n: np.where((n > 100) & (n < 120), 130.0, 100.0))
    p = on_dem(frame(-30.0), dem).locate([(2000.0, 1500.0)])
    assert 100.0 <= p.north_m[0] <= 120.0 and p.up_m[0] > 0


def test_rays_leaving_the_dem_or_the_range_miss() -> None:
    dem = geographic_dem(lambda e, n: np.full_like(e, 100.0), half_extent_m=300.0)
    georef = on_dem(frame(-10.0), dem)  # level ground 540 m north: off the DEM
    p = georef.locate([(2000.0, 1500.0), (2000.0, 3000.0)])
    assert not p.hit[0] and p.hit[1]  # the bottom edge (-36.6°) lands 128 m out
    short = on_dem(frame(-30.0), geographic_dem(lambda e, n: 100.0 + 0 * e), max_range_m=150.0)
    assert not short.locate([(2000.0, 1500.0)]).hit[0]  # 190 m away, past 150 m
    ring = georef.footprint()
    assert all(math.isfinite(lat) and math.isfinite(lon) for lat, lon in ring)


def test_no_data_cells_are_misses() -> None:
    dem = geographic_dem(lambda e, n: np.where(n > 120, np.nan, 100.0))  # centre lands 165 m out
    p = on_dem(frame(-30.0), dem).locate([(2000.0, 1500.0), (2000.0, 3000.0)])
    assert not p.hit[0] and p.hit[1]


def test_frame_ground_prefers_the_dem_and_says_when_it_cannot(monkeypatch) -> None:
    dem = geographic_dem(lambda e, n: np.full_like(e, 80.0))
    monkeypatch.setattr("pipeline.geo.dem.load_dem", lambda path: dem)
    settings = GroundSettings(dem_path="synthetic.tif")
    ground, check = frame_ground(frame(), settings)
    assert check.source == "dem" and ground.elevation_m(0.0, 0.0) == pytest.approx(-20.0)
    _, check = frame_ground(frame(abs_alt_m=None), settings)
    assert check.source == "flat" and "AbsoluteAltitude" in check.note
    _, check = frame_ground(frame(lat_deg=31.0), settings)
    assert check.source == "flat" and "does not cover" in check.note
    offset = GroundSettings(dem_path="synthetic.tif", dem_offset_m=-30.0)  # DEM 30 m lower
    ground, _ = frame_ground(frame(), offset)
    assert ground.elevation_m(0.0, 0.0) == pytest.approx(10.0)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:32650"])
def test_a_geotiff_dem_reads_back_its_heights(tmp_path, crs) -> None:
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin
    from rasterio.warp import transform as warp

    if crs == "EPSG:4326":
        cell = 0.0001
        x0, y0 = LON - 50 * cell, LAT + 50 * cell
    else:  # UTM 50N, 10 m cells
        (x,), (y,) = warp("EPSG:4326", crs, [LON], [LAT])
        cell, x0, y0 = 10.0, x - 500.0, y + 500.0
    rows = cols = 100
    heights = 100.0 + np.arange(rows)[:, None] * 0.0 + np.arange(cols)[None, :] * 1.0
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", height=rows, width=cols, count=1,
                       dtype="float32", crs=crs, transform=from_origin(x0, y0, cell, cell),
                       nodata=-9999.0) as dst:  # fmt: skip
        dst.write(heights.astype("float32"), 1)
    dem = load_dem(str(path))
    # the camera's point lies at the middle: column 49.5 → height 149.5 (bilinear)
    assert float(dem.sample(LAT, LON)) == pytest.approx(
        149.5, abs=0.6 if crs != "EPSG:4326" else 1e-6
    )
    assert math.isnan(float(dem.sample(LAT + 1.0, LON)))
