"""Attitude conventions, the yaw fallback, and where the height comes from."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import (
    BadInputError,
    MissingGeotagError,
    NoAttitudeError,
    NoHeightError,
    NoPositionError,
)
from pipeline.geo.ground import FlatGround
from pipeline.geo.pose import (
    CameraPose,
    choose_yaw,
    euler_zyx_angles,
    euler_zyx_matrix,
    pose_from_meta,
    rotation_cam_to_enu,
    wrap_deg,
)

from .frames import make_meta

S45 = np.sqrt(0.5)


@pytest.mark.parametrize(
    ("ypr", "right", "down", "forward"),
    [
        # level, looking north: image right = east, image down = -up
        ((0, 0, 0), (1, 0, 0), (0, 0, -1), (0, 1, 0)),
        # level, yaw 90 (clockwise from north): looking east, image right = south
        ((90, 0, 0), (0, -1, 0), (0, 0, -1), (1, 0, 0)),
        # straight down, heading north: image top faces north, image down = south
        ((0, -90, 0), (1, 0, 0), (0, -1, 0), (0, 0, -1)),
        # straight down, heading 45: image top faces north-east
        ((45, -90, 0), (S45, -S45, 0), (-S45, -S45, 0), (0, 0, -1)),
        # level, roll +90: clockwise seen from behind, the image right points down
        ((0, 0, 90), (0, 0, -1), (-1, 0, 0), (0, 1, 0)),
        # pitch -30 heading north: optical axis 30 degrees below the horizon
        ((0, -30, 0), (1, 0, 0), (0, -0.5, -np.sqrt(0.75)), (0, np.sqrt(0.75), -0.5)),
    ],
)
def test_rotation_columns_are_image_axes_in_enu(ypr, right, down, forward) -> None:
    r = rotation_cam_to_enu(*ypr)
    np.testing.assert_allclose(r, np.column_stack([right, down, forward]), atol=1e-12)


@pytest.mark.parametrize(
    "ypr", [(0, 0, 0), (45, -90, 0), (-120, -30, 10), (170, -60, -5), (33, 12, 180)]
)
def test_rotation_is_proper(ypr) -> None:
    r = rotation_cam_to_enu(*ypr)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


def test_positive_roll_dips_the_image_right_side() -> None:
    # roll turns image-right toward image-down, which at pitch -45 is cos 45 below level
    right = rotation_cam_to_enu(0, -45, 10)[:, 0]
    assert right[2] == pytest.approx(-np.sin(np.radians(10)) * np.cos(np.radians(45)))


@pytest.mark.parametrize(
    ("gimbal", "flight", "expected"),
    [
        (45.0, 46.0, (45.0, "gimbal")),
        (0.0, 120.0, (120.0, "flight")),  # stuck at 0 while the airframe heads 120
        (0.0, -0.5, (0.0, "gimbal")),  # genuinely north
        (0.0, 359.5, (0.0, "gimbal")),  # -0.5 wrapped: still north
        (None, -30.0, (-30.0, "flight")),
        (0.0, None, (0.0, "gimbal")),
        (270.0, 0.0, (-90.0, "gimbal")),  # wrapped to (-180, 180]
        (None, None, None),
    ],
)
def test_choose_yaw(gimbal, flight, expected) -> None:
    assert choose_yaw(gimbal, flight) == expected


@pytest.mark.parametrize(
    ("angle", "wrapped"), [(0, 0), (180, 180), (-180, 180), (190, -170), (-350, 10), (725, 5)]
)
def test_wrap_deg(angle, wrapped) -> None:
    assert wrap_deg(angle) == pytest.approx(wrapped)


def test_pose_reads_gimbal_angles_and_relative_altitude() -> None:
    meta = make_meta(rel_alt_m=42.5, abs_alt_m=242.5, gimbal_yaw_deg=-120.0, gimbal_pitch_deg=-60.0,
                     gimbal_roll_deg=1.5, flight_yaw_deg=-118.0)  # fmt: skip
    pose = pose_from_meta(meta, ground=FlatGround())
    assert pose == CameraPose(30.0, 114.0, 42.5, -120.0, -60.0, 1.5, "gimbal", 0.0, 200.0)
    np.testing.assert_allclose(pose.camera_enu_m, [0, 0, 42.5])


def test_flight_yaw_replaces_a_stuck_gimbal_yaw() -> None:
    meta = make_meta(gimbal_yaw_deg=0.0, flight_yaw_deg=135.0)
    pose = pose_from_meta(meta, ground=FlatGround())
    assert (pose.yaw_deg, pose.yaw_source) == (135.0, "flight")


def test_height_is_relative_altitude_minus_the_ground_offset() -> None:
    pose = pose_from_meta(make_meta(rel_alt_m=50.0), ground=FlatGround(offset_m=-8.0))
    assert pose.height_m == 58.0
    np.testing.assert_allclose(pose.camera_enu_m, [0, 0, 50.0])


def test_gps_altitude_is_not_a_fallback_for_relative_altitude() -> None:
    meta = make_meta(rel_alt_m=None, abs_alt_m=120.0)
    with pytest.raises(MissingGeotagError, match=r"RelativeAltitude.*height_m"):
        pose_from_meta(meta, ground=FlatGround())
    pose = pose_from_meta(meta, ground=FlatGround(offset_m=5.0), height_m=30.0)
    assert pose.height_m == 30.0
    np.testing.assert_allclose(pose.camera_enu_m, [0, 0, 35.0])


@pytest.mark.parametrize(
    ("kwargs", "message", "error"),
    [
        ({"gps": False}, "GPS", NoPositionError),
        ({"lat_deg": 0.0, "lon_deg": 0.0}, r"\(0, 0\)", NoPositionError),
        ({"gimbal_pitch_deg": None}, "GimbalPitchDegree", NoAttitudeError),
        ({"gimbal_yaw_deg": None, "flight_yaw_deg": None}, "GimbalYawDegree", NoAttitudeError),
        ({"xmp": None}, "GimbalPitchDegree", NoAttitudeError),
        ({"rel_alt_m": None}, "RelativeAltitude", NoHeightError),
    ],
)
def test_missing_geotags_are_named(kwargs, message, error) -> None:
    with pytest.raises(error, match=message) as raised:
        pose_from_meta(make_meta(**kwargs), ground=FlatGround())
    assert isinstance(raised.value, MissingGeotagError) and raised.value.reason == error.reason


@pytest.mark.parametrize(
    "ypr", [(0.0, 0.0, 0.0), (30.0, -45.0, 10.0), (-170.0, 80.0, -120.0), (179.0, -10.0, 179.5)]
)
def test_euler_angles_come_back_from_their_matrix(ypr) -> None:
    assert euler_zyx_angles(euler_zyx_matrix(*ypr)) == pytest.approx(ypr, abs=1e-9)


@pytest.mark.parametrize("pitch", [-90.0, 90.0])
def test_euler_angles_at_gimbal_lock_give_the_same_rotation(pitch) -> None:
    """At pitch ±90 yaw and roll turn about one axis: the turn comes back as yaw alone."""
    matrix = euler_zyx_matrix(30.0, pitch, 10.0)
    yaw, back_pitch, roll = euler_zyx_angles(matrix)
    assert (back_pitch, roll) == (pytest.approx(pitch), 0.0)
    np.testing.assert_allclose(euler_zyx_matrix(yaw, back_pitch, roll), matrix, atol=1e-9)


@pytest.mark.parametrize(
    ("rel_alt", "offset", "override"), [(0.0, 0.0, None), (10.0, 12.0, None), (50.0, 0.0, -1.0)]
)
def test_camera_at_or_below_the_ground_is_bad_input(rel_alt, offset, override) -> None:
    with pytest.raises(BadInputError, match="above the ground"):
        pose_from_meta(
            make_meta(rel_alt_m=rel_alt), ground=FlatGround(offset_m=offset), height_m=override
        )


def test_missing_roll_is_zero() -> None:
    pose = pose_from_meta(make_meta(gimbal_roll_deg=None), ground=FlatGround())
    assert pose.roll_deg == 0.0
