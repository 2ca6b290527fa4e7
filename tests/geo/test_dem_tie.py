"""The DEM's datum tied to the drone's with laser readings: known offsets come back."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.config import GeoConfig
from pipeline.geo.dem_laser import target_latlon
from pipeline.geo.dem_tie import MAX_SPREAD_M, calibrated, frame_tie, tie_dem
from pipeline.geo.laser import GroundSettings, frame_ground, laser_target

from .frames import make_meta
from .test_dem import LAT, LON, M_PER_DEG_LAT, M_PER_DEG_LON, geographic_dem

#: The take-off lies at 100 m in the drone's datum (AbsoluteAltitude 195, 95 m up).
TAKEOFF_M = 100.0


def laser_frame(distance_m: float, *, pitch_deg: float = -90.0, yaw_deg: float = 0.0,
                target_latlon: tuple[float, float] | None = None,
                status: str = "Normal"):  # fmt: skip
    """A frame 95 m above take-off whose laser read ``distance_m`` along its axis."""
    lat, lon = target_latlon if target_latlon else (None, None)
    return make_meta(focal_35mm=24.0, rel_alt_m=95.0, abs_alt_m=195.0, gimbal_pitch_deg=pitch_deg,
                     gimbal_yaw_deg=yaw_deg, lat_deg=LAT, lon_deg=LON, lrf_status=status,
                     lrf_target_distance_m=distance_m, lrf_target_lat_deg=lat,
                     lrf_target_lon_deg=lon)  # fmt: skip


@pytest.fixture
def dem_at(monkeypatch):
    """Install a synthetic DEM ``height_of(east, north)`` as every path's DEM."""

    def install(height_of):
        dem = geographic_dem(height_of)
        monkeypatch.setattr("pipeline.geo.dem.load_dem", lambda path: dem)
        return dem

    return install


SETTINGS = GroundSettings(dem_path="synthetic.tif", dem_offset_auto=True)


def test_a_level_dem_on_another_datum_gives_its_offset(dem_at) -> None:
    # terrain 15 m below take-off, DEM heights 30 m above the drone's datum: 85 + 30
    dem_at(lambda e, n: np.full_like(e, 115.0))
    frames = [laser_frame(d) for d in (110.0, 110.0, 110.0, 110.0)]
    calibration = tie_dem(frames, SETTINGS)
    assert calibration.offset_m == pytest.approx(30.0, abs=1e-6)
    assert calibration.spread_m == pytest.approx(0.0, abs=1e-6)
    assert "+30.0 m" in calibration.note and "4 laser ties" in calibration.note


def test_the_target_position_follows_the_gimbal_when_not_written(dem_at) -> None:
    # the DEM rises 1 m per 10 m north; a laser looking 45° down to the north hits 80 m out
    dem_at(lambda e, n: 130.0 + n / 10.0)
    meta = laser_frame(80 * math.sqrt(2), pitch_deg=-45.0, yaw_deg=0.0)
    laser = laser_target(meta, SETTINGS)
    lat, lon = target_latlon(meta, laser)
    assert (lat - LAT) * M_PER_DEG_LAT == pytest.approx(80.0, rel=2e-3)
    assert (lon - LON) * M_PER_DEG_LON == pytest.approx(0.0, abs=1e-6)
    tie = frame_tie(meta, SETTINGS)
    # target 80 m below the camera: at 15 m in the drone's datum; the DEM there is 138
    assert tie.target_m == pytest.approx(115.0, abs=1e-6)
    assert tie.dem_m == pytest.approx(138.0, abs=0.05)


def test_a_written_target_position_wins(dem_at) -> None:
    dem_at(lambda e, n: 100.0 + e / 10.0)
    where = (LAT, LON + 50.0 / M_PER_DEG_LON)  # 50 m east, where the DEM says 105
    tie = frame_tie(laser_frame(95.0, target_latlon=where), SETTINGS)
    assert tie.dem_m == pytest.approx(105.0, abs=0.05)


def test_a_roof_among_the_ties_does_not_move_the_median(dem_at) -> None:
    dem_at(lambda e, n: np.full_like(e, 105.0))  # terrain at 105 in DEM terms
    ground = [laser_frame(95.0) for _ in range(5)]  # ground at take-off: offset +5
    roof = laser_frame(75.0)  # the laser hit a 20 m roof
    calibration = tie_dem([*ground, roof], SETTINGS)
    assert calibration.offset_m == pytest.approx(5.0, abs=1e-6)


def test_too_few_or_scattered_ties_are_not_used(dem_at) -> None:
    dem_at(lambda e, n: np.full_like(e, 100.0))
    two = tie_dem([laser_frame(95.0), laser_frame(95.0)], SETTINGS)
    assert two.offset_m is None and "need 3" in two.note
    scattered = [laser_frame(d) for d in (60.0, 95.0, 130.0, 75.0, 115.0)]
    spread = tie_dem(scattered, SETTINGS)
    assert spread.offset_m is None and spread.spread_m > MAX_SPREAD_M and "disagree" in spread.note
    fixed, calibration = calibrated(scattered, SETTINGS)
    assert fixed.dem_offset_m == 0.0 and not fixed.dem_offset_auto
    assert "drone's datum (0 m)" in calibration.note


def test_no_laser_no_dem_or_a_fixed_offset_leave_settings_alone(dem_at) -> None:
    dem_at(lambda e, n: np.full_like(e, 100.0))
    assert frame_tie(make_meta(rel_alt_m=95.0, abs_alt_m=195.0), SETTINGS) is None
    assert frame_tie(laser_frame(95.0, status="NoTarget"), SETTINGS) is None
    fixed = GroundSettings(dem_path="synthetic.tif", dem_offset_m=12.0)
    assert calibrated([laser_frame(95.0)] * 3, fixed) == (fixed, None)
    assert calibrated([laser_frame(95.0)] * 3, GroundSettings()) == (GroundSettings(), None)


def test_the_calibrated_dem_meets_the_laser_and_reports_its_residual(dem_at) -> None:
    dem_at(lambda e, n: np.full_like(e, 130.0))  # terrain at take-off height, DEM +30
    frames = [laser_frame(95.0) for _ in range(3)]
    settings, _ = calibrated(frames, SETTINGS)
    ground, check = frame_ground(frames[0], settings)
    assert check.source == "dem" and check.dem_residual_m == pytest.approx(0.0, abs=1e-6)
    assert ground.elevation_m(0.0, 0.0) == pytest.approx(0.0, abs=1e-6)
    assert not check.flagged
    # uncalibrated, the DEM is placed 30 m too high: 32 % of the range, flagged
    _, check = frame_ground(frames[0], GroundSettings(dem_path="synthetic.tif"))
    assert check.dem_residual_m == pytest.approx(30.0, abs=1e-6) and check.flagged


def test_the_config_takes_auto() -> None:
    settings = GeoConfig(dem_offset_m="auto").ground_settings()
    assert settings.dem_offset_auto and settings.dem_offset_m == 0.0
    settings = GeoConfig(dem_offset_m=7.5).ground_settings()
    assert not settings.dem_offset_auto and settings.dem_offset_m == 7.5
    with pytest.raises(ValueError):
        GeoConfig(dem_offset_m="sometimes")
