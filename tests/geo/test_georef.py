"""Pixels to ground against answers worked out by hand for synthetic cameras.

The synthetic camera: 4000×3000 px, f = 3000 px, principal point at the image
centre (XMP calibration of an unknown model), 100 m above flat ground unless
said otherwise. Expected ground offsets use only trigonometry in the test.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from pipeline.errors import MissingGeotagError
from pipeline.geo.coords import geodetic_to_enu, haversine_m
from pipeline.geo.georef import MISS_HORIZON, GroundPoints, georeference
from pipeline.geo.ground import FlatGround

from .frames import BRIGHTON, INTRINSICS_SOURCES, make_meta, resized

F, CX, CY, H = 3000.0, 2000.0, 1500.0, 100.0
CAL = {"calibrated_focal_px": F, "optical_center_x_px": CX, "optical_center_y_px": CY}


def camera_at(yaw: float, pitch: float, roll: float = 0.0, height: float = H, **kw):
    meta = make_meta(rel_alt_m=height, gimbal_yaw_deg=yaw, gimbal_pitch_deg=pitch,
                     gimbal_roll_deg=roll, **CAL, **kw)  # fmt: skip
    return georeference(meta)


def bearing(distance: float, bearing_deg: float) -> tuple[float, float]:
    """(east, north) of a horizontal step along a bearing clockwise from north."""
    b = math.radians(bearing_deg)
    return distance * math.sin(b), distance * math.cos(b)


def en(points: GroundPoints) -> np.ndarray:
    return np.column_stack([points.east_m, points.north_m])


@pytest.mark.parametrize("yaw", [0.0, 45.0, -120.0])
@pytest.mark.parametrize(("du", "dv"), [(0, 0), (600, 0), (0, -450), (-1500, 1200)])
def test_nadir_pixel_offsets_scale_by_height_over_focal(yaw, du, dv) -> None:
    # image right points to yaw + 90, image down to yaw + 180; metres = pixels · h / f
    right = bearing(du * H / F, yaw + 90)
    down = bearing(dv * H / F, yaw + 180)
    p = camera_at(yaw, -90.0).locate([(CX + du, CY + dv)])
    assert p.hit.all() and p.reason == ""
    np.testing.assert_allclose(en(p)[0], np.add(right, down), atol=0.005)
    assert p.range_m[0] == pytest.approx(
        math.sqrt(H**2 + ((du**2 + dv**2) * (H / F) ** 2)), abs=0.005
    )
    assert p.up_m[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("yaw", [45.0, -120.0, 0.0])
@pytest.mark.parametrize("pitch", [-30.0, -60.0, -10.0])
def test_oblique_centre_pixel_lands_h_over_tan_pitch_ahead(yaw, pitch) -> None:
    depression = math.radians(-pitch)
    p = camera_at(yaw, pitch).locate([(CX, CY)])
    np.testing.assert_allclose(en(p)[0], bearing(H / math.tan(depression), yaw), atol=0.005)
    assert p.range_m[0] == pytest.approx(H / math.sin(depression), abs=0.005)


@pytest.mark.parametrize(("yaw", "pitch"), [(45.0, -30.0), (-120.0, -60.0)])
@pytest.mark.parametrize("dv", [-300.0, 250.0, 1400.0])
def test_oblique_rows_change_the_depression_angle(yaw, pitch, dv) -> None:
    depression = math.radians(-pitch) + math.atan(dv / F)
    p = camera_at(yaw, pitch).locate([(CX, CY + dv)])
    np.testing.assert_allclose(en(p)[0], bearing(H / math.tan(depression), yaw), atol=0.01)


@pytest.mark.parametrize(("yaw", "pitch"), [(45.0, -30.0), (-120.0, -60.0)])
@pytest.mark.parametrize("du", [-1800.0, 700.0])
def test_oblique_columns_spread_sideways_with_slant_range(yaw, pitch, du) -> None:
    # the centre row's rays all descend like the optical axis: t = h / sin(depression)
    depression = math.radians(-pitch)
    ahead = bearing(H / math.tan(depression), yaw)
    side = bearing(du / F * H / math.sin(depression), yaw + 90)
    p = camera_at(yaw, pitch).locate([(CX + du, CY)])
    np.testing.assert_allclose(en(p)[0], np.add(ahead, side), atol=0.01)


def test_rows_at_or_above_the_horizon_miss() -> None:
    # pitch -20: the horizon crosses the image at v = cy - f tan 20
    v_horizon = CY - F * math.tan(math.radians(20))
    georef = camera_at(30.0, -20.0)
    p = georef.locate(
        [(CX, v_horizon - 1), (CX, 0.0), (CX, v_horizon - 1e-6), (CX, v_horizon + 50)]
    )
    np.testing.assert_array_equal(p.hit, [False, False, False, True])
    assert p.reasons[:3] == (MISS_HORIZON,) * 3 and p.reasons[3] == ""
    assert p.reason == MISS_HORIZON
    assert np.isnan(p.lat_deg[:3]).all() and np.isnan(p.range_m[:3]).all()
    # 50 px below the horizon the ray is 20° - atan(tan 20° - 50 / f) below level
    depression = math.radians(20) - math.atan(math.tan(math.radians(20)) - 50 / F)
    np.testing.assert_allclose(en(p)[3], bearing(H / math.tan(depression), 30.0), rtol=1e-6)


def test_nadir_roll_turns_like_yaw() -> None:
    uv = np.array([(0, 0), (4000, 0), (1234.5, 2999), (CX, CY)])
    rolled = camera_at(30.0, -90.0, roll=10.0).locate(uv)
    yawed = camera_at(40.0, -90.0).locate(uv)
    np.testing.assert_allclose(en(rolled), en(yawed), atol=1e-6)


def test_roll_180_at_nadir_is_yaw_plus_180() -> None:
    """DJI writes GimbalRoll=180 for nadir frames of some payloads (H30T, M3E past nadir)."""
    uv = np.array([(0, 0), (3000, 500), (CX, CY)])
    rolled = camera_at(30.0, -90.0, roll=180.0).locate(uv)
    turned = camera_at(-150.0, -90.0).locate(uv)
    assert rolled.hit.all()
    np.testing.assert_allclose(en(rolled), en(turned), atol=1e-6)


def test_level_camera_rolled_10_degrees_sees_ground_on_its_low_side() -> None:
    # pitch 0, roll +10: the centre row tilts, its right half descends at d/f·sin 10
    d, roll = 600.0, math.radians(10)
    p = camera_at(0.0, 0.0, roll=10.0).locate([(CX + d, CY), (CX - d, CY), (CX, CY)])
    np.testing.assert_array_equal(p.hit, [True, False, False])
    assert p.east_m[0] == pytest.approx(H / math.tan(roll), abs=0.01)
    assert p.north_m[0] == pytest.approx(H * F / (d * math.sin(roll)), abs=0.01)


def test_oblique_roll_keeps_the_centre_and_lowers_the_right_side() -> None:
    p = camera_at(0.0, -45.0, roll=10.0).locate([(CX, CY), (CX + 1000, CY), (CX - 1000, CY)])
    np.testing.assert_allclose(en(p)[0], (0.0, H), atol=0.005)
    assert p.range_m[1] < p.range_m[0] < p.range_m[2]


def test_lat_lon_agree_with_east_north() -> None:
    georef = camera_at(-120.0, -45.0, lat_deg=39.915, lon_deg=116.404)
    uv = np.array([(0, 3000), (4000, 1500), (CX, CY), (2500, 2900)])
    p = georef.locate(uv)
    h0 = georef.pose.takeoff_h_m
    e, n, _ = geodetic_to_enu(
        p.lat_deg, p.lon_deg, h0 + p.up_m, lat0_deg=39.915, lon0_deg=116.404, h0_m=h0
    )
    np.testing.assert_allclose(np.column_stack([e, n]), en(p), atol=0.01)


@pytest.mark.parametrize("name", sorted(INTRINSICS_SOURCES))
@pytest.mark.parametrize("size", [(4000, 3000), (4000, 2250)])
def test_a_resized_frame_places_scaled_pixels_on_the_same_ground(name, size) -> None:
    pose = {"rel_alt_m": 80.0, "gimbal_yaw_deg": 30.0, "gimbal_pitch_deg": -50.0,
            "gimbal_roll_deg": 2.0}  # fmt: skip
    original = make_meta(width_px=size[0], height_px=size[1], **pose, **INTRINSICS_SOURCES[name])
    small = resized(original, 1600)
    s = 1600 / size[0]
    uv = np.array([(size[0] / 2, size[1] / 2), (100.0, size[1] - 10), (size[0] - 1, size[1] * 0.6),
                   (1000.0, size[1] * 0.4)])  # fmt: skip
    a, b = georeference(original).locate(uv), georeference(small).locate(uv * s)
    assert a.hit.all() and b.hit.all()
    np.testing.assert_allclose(en(b), en(a), atol=0.01)
    assert haversine_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg).max() < 0.01


def test_brighton_resized_to_1600_keeps_its_ground_points() -> None:
    small = resized(BRIGHTON, 1600)
    assert (small.width_px, small.height_px) == (1600, 900)
    uv = np.array([(0.0, 0.0), (4000.0, 2250.0), (1234.0, 567.0)])
    a, b = georeference(BRIGHTON).locate(uv), georeference(small).locate(uv * 0.4)
    np.testing.assert_allclose(en(b), en(a), atol=0.01)


def test_brighton_gsd_is_1_7_cm() -> None:
    # FC300S: f = 3.61 mm / 6.17 mm × 4000 px = 2340 px; 39.8 m / 2340 px = 1.70 cm/px
    georef = georeference(BRIGHTON)
    assert georef.camera.source == "sensor-table"
    assert georef.gsd_cm_per_px() == pytest.approx(1.70, abs=0.02)
    assert georeference(resized(BRIGHTON, 1000)).gsd_cm_per_px() == pytest.approx(6.80, abs=0.08)


@pytest.mark.parametrize(("pitch", "gsd_cm"), [(-90.0, 100 * H / F), (-45.0, None), (-30.0, None)])
def test_gsd_at_the_principal_point(pitch, gsd_cm) -> None:
    depression = math.radians(-pitch)
    slant = H / math.sin(depression)
    # across: slant / f per pixel; along: that stretched by 1 / sin(depression)
    expected = 100 * (slant / F + slant / (F * math.sin(depression))) / 2
    assert camera_at(10.0, pitch).gsd_cm_per_px() == pytest.approx(gsd_cm or expected, rel=1e-4)


def test_gsd_is_nan_when_the_centre_sees_sky() -> None:
    assert math.isnan(camera_at(0.0, 0.0).gsd_cm_per_px())


def test_ground_offset_and_height_override() -> None:
    meta = make_meta(rel_alt_m=50.0, **CAL)
    raised = georeference(meta, ground=FlatGround(offset_m=10.0)).locate([(CX + 600, CY)])
    assert raised.east_m[0] == pytest.approx(600 * 40.0 / F)
    assert raised.up_m[0] == pytest.approx(10.0)
    no_rel_alt = make_meta(rel_alt_m=None, **CAL)
    with pytest.raises(MissingGeotagError):
        georeference(no_rel_alt)
    override = georeference(no_rel_alt, height_m=25.0).locate([(CX + 600, CY)])
    assert override.east_m[0] == pytest.approx(600 * 25.0 / F)


def test_flight_yaw_fallback_reaches_the_ground_points() -> None:
    # gimbal yaw stuck at 0 while the airframe heads east: image right points south
    meta = make_meta(gimbal_yaw_deg=0.0, flight_yaw_deg=90.0, **CAL)
    p = georeference(meta).locate([(CX + 300, CY)])
    np.testing.assert_allclose(en(p)[0], (0.0, -300 * H / F), atol=1e-6)


def test_nadir_footprint_is_the_scaled_image_rectangle() -> None:
    georef = camera_at(0.0, -90.0)
    ring = georef.footprint(n_per_edge=2)
    assert len(ring) == 5 and ring[0] == ring[-1]
    corners = georef.footprint_enu(n_per_edge=2)
    half_w, half_h = 2000 * H / F, 1500 * H / F
    expected = {(-half_w, half_h), (half_w, half_h), (half_w, -half_h), (-half_w, -half_h)}
    assert {(round(e, 3), round(n, 3)) for e, n in corners} == {
        (round(e, 3), round(n, 3)) for e, n in expected
    }
    x, y = corners[:, 0], corners[:, 1]
    assert np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) > 0  # counter-clockwise
    assert len(georef.footprint()) == 4 * 7 + 1


def test_oblique_footprint_is_capped_at_max_range() -> None:
    # pitch -10 with a 53 degree vertical field of view: the top of the image is sky
    georef = camera_at(45.0, -10.0)
    corners = georef.footprint_enu(n_per_edge=5, max_range_m=500.0)
    dist = np.hypot(corners[:, 0], corners[:, 1])
    assert dist.max() == pytest.approx(500.0)
    assert (dist < 500.0 - 1).sum() >= 5  # the near edge is really on the ground
    ring = georef.footprint(n_per_edge=5, max_range_m=500.0)
    assert all(math.isfinite(lat) and math.isfinite(lon) for lat, lon in ring)
    with pytest.raises(ValueError):
        georef.footprint(n_per_edge=1)


def test_locate_accepts_one_pair_and_rejects_bad_shapes() -> None:
    georef = camera_at(0.0, -90.0)
    assert len(georef.locate((CX, CY))) == 1
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        georef.locate(np.zeros((2, 3)))


def test_ground_points_validate_their_arrays() -> None:
    ok = np.zeros(2)
    with pytest.raises(ValueError, match="lon_deg"):
        GroundPoints(ok, np.zeros(3), ok, ok, ok, ok, np.ones(2, bool), ("", ""))
    with pytest.raises(ValueError, match="boolean"):
        GroundPoints(ok, ok, ok, ok, ok, ok, np.ones(2), ("", ""))


def test_georef_is_frozen() -> None:
    georef = camera_at(0.0, -90.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        georef.pose = georef.pose  # type: ignore[misc]


@pytest.mark.parametrize(("yaw", "pitch", "roll"), [(0.0, -90.0, 0.0), (37.0, -35.0, 4.0),
                                                    (-120.0, -60.0, -8.0)])  # fmt: skip
def test_pixels_of_undoes_locate(yaw, pitch, roll) -> None:
    georef = camera_at(yaw, pitch, roll)
    uv = np.array([(CX, CY), (100.0, 2900.0), (3900.0, 2000.0), (2500.0, 1600.0)])
    p = georef.locate(uv)
    assert p.hit.all()
    np.testing.assert_allclose(georef.pixels_of(p.lat_deg, p.lon_deg), uv, atol=0.05)


def test_pixels_of_a_point_behind_the_camera_is_nan() -> None:
    georef = camera_at(0.0, -20.0)  # looking north, 20° down
    ahead = georef.locate([(CX, CY)])
    lat0, lon0 = georef.pose.lat_deg, georef.pose.lon_deg
    behind = (2 * lat0 - ahead.lat_deg[0], lon0)  # as far south as the target is north
    assert np.isnan(georef.pixels_of([behind[0]], [behind[1]])).all()
