"""How far off a located pixel may be: first-order propagation of attitude, height and GPS."""

from __future__ import annotations

import dataclasses
import math

import pytest

from pipeline.geo.georef import georeference
from pipeline.geo.laser import GroundSettings, frame_ground
from pipeline.geo.uncertainty import PositionErrors, gps_sigma_m, height_sigma_m, locate_uncertainty
from tests.geo.frames import make_meta

ONLY_ATTITUDE = PositionErrors(
    attitude_sigma_deg=1.0, attitude_noise_deg=1.0, height_sigma_fraction=0,
    height_sigma_min_m=0, gps_sigma_m=0, gps_jitter_m=0,
)  # fmt: skip


def centre(meta):
    return (meta.width_px / 2, meta.height_px / 2)


@pytest.mark.parametrize(
    ("height_m", "pitch_deg", "expected_m"),
    [
        (40.0, -90.0, 40 * math.radians(1)),  # nadir from 40 m: 0.70 m
        # 45° from 116.7 m (165 m range): pitch moves the point range·δ/sin(45°) along the ground
        (116.7, -45.0, 165 * math.radians(1) / math.sin(math.radians(45))),
        # 19° below the horizon from 120 m: 369 m range, 19.8 m per degree
        (120.0, -19.0, 120 / math.sin(math.radians(19)) ** 2 * math.radians(1)),
    ],
)
def test_attitude_error_grows_with_range_and_obliquity(height_m, pitch_deg, expected_m) -> None:
    meta = make_meta(focal_35mm=24.0, rel_alt_m=height_m, gimbal_pitch_deg=pitch_deg)
    u = locate_uncertainty(georeference(meta), [centre(meta)], meta, ONLY_ATTITUDE)
    assert u.sigma_m[0] == pytest.approx(expected_m, rel=0.02)
    assert u.depression_deg[0] == pytest.approx(-pitch_deg, abs=1e-6)


def test_height_error_moves_oblique_points_not_nadir_ones() -> None:
    only_height = dataclasses.replace(ONLY_ATTITUDE, attitude_sigma_deg=0, attitude_noise_deg=0,
                                      height_sigma_fraction=0.05)  # fmt: skip
    sigmas = []
    for pitch in (-90.0, -19.0):
        meta = make_meta(focal_35mm=24.0, rel_alt_m=120.0, gimbal_pitch_deg=pitch)
        u = locate_uncertainty(georeference(meta), [centre(meta)], meta, only_height)
        sigmas.append(u.sigma_m[0])
        assert u.sigma_bias_m[0] == pytest.approx(u.sigma_m[0], rel=1e-6)  # all of it shared
    assert sigmas[0] == pytest.approx(0.0, abs=1e-3)
    assert sigmas[1] == pytest.approx(6.0 / math.tan(math.radians(19)), rel=0.01)  # 17.4 m


def test_same_flight_noise_is_the_small_part() -> None:
    meta = make_meta(focal_35mm=24.0, rel_alt_m=120.0, gimbal_pitch_deg=-35.0)
    u = locate_uncertainty(georeference(meta), [centre(meta)], meta)
    assert u.sigma_rel_m[0] < u.sigma_bias_m[0] < u.sigma_m[0]
    per_degree = 120 / math.sin(math.radians(35)) ** 2 * math.radians(1)  # pitch, along the ray
    assert u.sigma_rel_m[0] == pytest.approx(math.hypot(0.5 * per_degree, 1.0), rel=0.03)


def test_a_ray_above_the_horizon_has_no_uncertainty() -> None:
    meta = make_meta(focal_35mm=24.0, rel_alt_m=50.0, gimbal_pitch_deg=0.0)
    u = locate_uncertainty(georeference(meta), [(2000, 10), (2000, 2990)], meta)
    assert math.isnan(u.sigma_m[0]) and math.isfinite(u.sigma_m[1])
    assert u.depression_deg[0] < 0 < u.depression_deg[1]


@pytest.mark.parametrize(
    ("xmp", "expected"),
    [
        ({}, 2.5),  # no RTK: the configured single-point figure
        ({"rtk_flag": 50, "rtk_std_lat_m": 0.03, "rtk_std_lon_m": 0.04}, 0.05),  # fixed
        ({"rtk_flag": 34, "rtk_std_lat_m": 0.3, "rtk_std_lon_m": 0.4}, 2.5),  # float: not trusted
    ],
)
def test_gps_sigma_follows_rtk(xmp, expected) -> None:
    assert gps_sigma_m(make_meta(**xmp), PositionErrors()) == pytest.approx(expected)


def test_laser_rangefinder_measures_the_height_error() -> None:
    errors = PositionErrors()
    flat_only = GroundSettings(use_laser=False)
    plain = make_meta(rel_alt_m=95.0, gimbal_pitch_deg=-90.0)
    assert height_sigma_m(plain, 95.0, errors) == pytest.approx(4.75)  # 5 % of 95 m
    # The laser read 93.8 m straight down: the ground is 1.2 m above take-off.
    lrf = make_meta(rel_alt_m=95.0, gimbal_pitch_deg=-90.0, lrf_target_distance_m=93.8,
                    lrf_status="Normal")  # fmt: skip
    on_flat = frame_ground(lrf, flat_only)[1]
    assert height_sigma_m(lrf, 95.0, errors, on_flat) == pytest.approx(1.2)
    # placed on the plane through the laser target, the height is measured
    assert height_sigma_m(lrf, 93.8, errors) == pytest.approx(0.5)
    flat = make_meta(rel_alt_m=95.0, gimbal_pitch_deg=-90.0, lrf_target_distance_m=95.1,
                     lrf_status="Normal")  # fmt: skip
    on_flat = frame_ground(flat, flat_only)[1]
    assert height_sigma_m(flat, 95.0, errors, on_flat) == pytest.approx(0.5)  # the laser's floor
    # a reading the laser does not trust is no measurement
    bad = make_meta(rel_alt_m=95.0, gimbal_pitch_deg=-90.0, lrf_target_distance_m=93.8,
                    lrf_status="TooFar")  # fmt: skip
    assert height_sigma_m(bad, 95.0, errors) == pytest.approx(4.75)


def test_measured_ground_shrinks_the_uncertainty_of_oblique_points() -> None:
    """95 m above take-off, 35° down, laser reads ground 20 m below take-off: on flat
    ground the height term is 20 m of terrain offset; on the laser plane 0.5 m."""
    kw = {"focal_35mm": 24.0, "rel_alt_m": 95.0, "gimbal_pitch_deg": -35.0}
    d = 115.0 / math.sin(math.radians(35.0))
    meta = make_meta(**kw, lrf_status="Normal", lrf_target_distance_m=d, lrf_target_alt_m=-20.0)
    uv = [(1000.0, 2500.0)]
    only_height = PositionErrors(attitude_sigma_deg=0, attitude_noise_deg=0, gps_sigma_m=0,
                                 gps_jitter_m=0)  # fmt: skip
    flat_only = GroundSettings(use_laser=False)
    sigma = {
        name: locate_uncertainty(georeference(m, settings=s), uv, m, only_height).sigma_m[0]
        for name, m, s in [("laser", meta, None), ("flat", meta, flat_only),
                           ("plain", make_meta(**kw), None)]
    }  # fmt: skip
    # the height term moves a point by δh·cot(depression) whatever the height
    assert sigma["laser"] / sigma["plain"] == pytest.approx(0.5 / 4.75, rel=1e-3)
    assert sigma["flat"] / sigma["plain"] == pytest.approx(20.0 / 4.75, rel=1e-3)
    everything = [locate_uncertainty(georeference(m), uv, m).sigma_m[0]
                  for m in (meta, make_meta(**kw))]  # fmt: skip
    assert everything[0] < everything[1]
