"""Laser ground: a valid rangefinder reading puts the frame's ground through its target."""

from __future__ import annotations

import math

import pytest

from pipeline.geo.coords import haversine_m
from pipeline.geo.georef import georeference
from pipeline.geo.laser import GroundSettings, flat_disagreement, frame_ground, laser_target

from .frames import make_meta

LAT, LON = 30.0, 114.0
F_PX = 24.0 / math.hypot(36, 24) * 5000  # 35 mm-equivalent 24 on a 4000×3000 frame


def north_of(lat_deg: float, metres: float) -> float:
    """Latitude ``metres`` north, with the WGS-84 meridian radius of curvature."""
    a, e2 = 6378137.0, 6.69437999014e-3
    m = a * (1 - e2) / (1 - e2 * math.sin(math.radians(lat_deg)) ** 2) ** 1.5
    return lat_deg + math.degrees(metres / m)


def laser_frame(pitch_deg: float = -90.0, ground_z_m: float = -20.0, **xmp):
    """95 m above take-off, heading north; the laser hits ground ``ground_z_m`` above
    take-off along the optical axis, its target written as DJI does."""
    depression = math.radians(-pitch_deg)
    distance = (95.0 - ground_z_m) / math.sin(depression)
    north = distance * math.cos(depression)
    fields = {"rel_alt_m": 95.0, "lrf_status": "Normal", "lrf_target_distance_m": distance,
              "lrf_target_alt_m": ground_z_m, "lrf_target_lat_deg": north_of(LAT, north),
              "lrf_target_lon_deg": LON}  # fmt: skip
    fields.update(xmp)
    return make_meta(focal_35mm=24.0, gimbal_pitch_deg=pitch_deg, lat_deg=LAT, lon_deg=LON,
                     **fields)  # fmt: skip


@pytest.mark.parametrize("pitch", [-90.0, -60.0, -35.0])
def test_centre_pixel_lands_on_the_laser_target(pitch) -> None:
    """The issue's frame: 95 m above take-off, the laser reads ground 20 m below it."""
    meta = laser_frame(pitch)
    georef = georeference(meta)
    assert georef.ground_check.source == "laser"
    p = georef.locate([(2000.0, 1500.0)])
    assert p.range_m[0] == pytest.approx(meta.xmp.lrf_target_distance_m, rel=1e-9)
    assert p.up_m[0] == pytest.approx(-20.0, abs=1e-9)
    target = (meta.xmp.lrf_target_lat_deg, meta.xmp.lrf_target_lon_deg)
    assert haversine_m(p.lat_deg[0], p.lon_deg[0], *target) < 0.05


def test_gsd_follows_the_laser_range() -> None:
    laser = georeference(laser_frame()).gsd_cm_per_px()
    flat = georeference(laser_frame(), settings=GroundSettings(use_laser=False))
    assert laser == pytest.approx(115.0 / F_PX * 100, rel=1e-6)  # 4.15 cm, not 3.43
    assert flat.gsd_cm_per_px() == pytest.approx(95.0 / F_PX * 100, rel=1e-6)
    assert flat.ground_check.source == "flat"
    assert flat.ground_check.laser is not None  # the reading still checks flat ground


@pytest.mark.parametrize(
    ("xmp", "valid"),
    [
        ({}, True),
        ({"lrf_status": "normal "}, True),
        ({"lrf_status": None}, False),  # no status: not known to be a valid reading
        ({"lrf_status": "TooFar"}, False),
        ({"lrf_target_distance_m": 2.0}, False),  # under the rangefinder's 3 m minimum
        ({"lrf_target_distance_m": 1500.0}, False),  # past its 1200 m
        ({"lrf_target_distance_m": math.nan}, False),
        ({"rel_alt_m": None}, False),
    ],
)
def test_which_readings_are_valid(xmp, valid) -> None:
    assert (laser_target(laser_frame(**xmp), GroundSettings()) is not None) == valid


@pytest.mark.parametrize(
    ("xmp", "z", "source"),
    [
        ({}, -20.0, "LRFTargetAlt"),
        # AbsoluteAltitude 120 at 95 above take-off: take-off at 25 m, the target at 5 m
        ({"lrf_target_alt_m": None, "lrf_target_abs_alt_m": 5.0, "abs_alt_m": 120.0},
         -20.0, "LRFTargetAbsAlt"),
        ({"lrf_target_alt_m": None}, -20.0, "range"),  # 115 m straight down
        # within 2 m (or 5 % of the range) of the range's figure: the camera's own
        ({"lrf_target_alt_m": -21.5}, -21.5, "LRFTargetAlt"),
        # 35 m off: another datum (sea level?), so the range decides
        ({"lrf_target_alt_m": 15.0}, -20.0, "range"),
        ({"lrf_target_alt_m": 15.0, "lrf_target_abs_alt_m": 4.0, "abs_alt_m": 120.0},
         -21.0, "LRFTargetAbsAlt"),
    ],
)  # fmt: skip
def test_target_height_sources(xmp, z, source) -> None:
    target = laser_target(laser_frame(**xmp), GroundSettings())
    assert target.ground_z_m == pytest.approx(z)
    assert target.height_source == source


def test_a_near_horizontal_laser_does_not_set_the_ground() -> None:
    # pitch -5°: the laser hits something 20 m below take-off 1.3 km away, or a wall
    meta = laser_frame(pitch_deg=-5.0)
    assert laser_target(meta, GroundSettings(laser_max_m=2000.0)) is None
    assert laser_target(meta, GroundSettings(laser_max_m=2000.0, laser_min_depression_deg=4.0))


@pytest.mark.parametrize(
    ("ground_z", "share", "flagged"),
    [(-20.0, 20 / 115, True), (-5.0, 5 / 100, False), (10.0, 10 / 85, True), (0.0, 0.0, False)],
)
def test_flat_ground_disagreement_is_flagged_above_the_share(ground_z, share, flagged) -> None:
    meta = laser_frame(ground_z_m=ground_z)
    ground, check = frame_ground(meta, GroundSettings(max_flat_disagreement=0.10))
    assert check.flat_disagreement == pytest.approx(share)
    assert check.flagged == flagged
    assert ground.offset_m == pytest.approx(ground_z)


def test_oblique_disagreement_is_along_the_ray() -> None:
    meta = laser_frame(pitch_deg=-30.0)  # flat range 190 m, laser 230 m
    target = laser_target(meta, GroundSettings())
    assert flat_disagreement(meta, target) == pytest.approx(40 / 230)


def test_frames_without_a_laser_stay_on_flat_ground() -> None:
    georef = georeference(make_meta(focal_35mm=24.0))
    assert georef.ground_check.source == "flat"
    assert georef.ground_check.flat_disagreement is None and not georef.ground_check.flagged
    assert georef.pose.height_m == 100.0


@pytest.mark.parametrize(
    "kw",
    [{"laser_min_m": 0.0}, {"laser_min_m": 50.0, "laser_max_m": 10.0},
     {"laser_min_depression_deg": 90.0}, {"max_flat_disagreement": 0.0},
     {"footprint_max_range_m": -1.0}],
)  # fmt: skip
def test_settings_reject_nonsense(kw) -> None:
    with pytest.raises(ValueError):
        GroundSettings(**kw)
