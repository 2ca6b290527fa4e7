"""Camera position and attitude from DJI metadata, and the camera → ENU rotation.

**Angles** (degrees) are DJI's absolute gimbal angles, read as aerospace Z-Y-X
Euler angles of the camera in north-east-down:

- ``yaw``: heading of the optical axis, clockwise from true north seen from above
  (a rotation about −Up);
- ``pitch``: elevation of the optical axis, 0 horizontal, −90 straight down;
- ``roll``: about the optical axis; positive turns the camera clockwise as seen from
  behind it (looking along the optical axis), so the right side of the image dips
  (the scene appears turned anticlockwise in the image).

At yaw = pitch = roll = 0 the camera looks horizontally north with the top of the
image up. At pitch −90 it looks straight down and the top of the image faces the
yaw heading. (At pitch −90 roll and yaw turn about the same axis: yaw 30 / roll 10
is the same view as yaw 40 / roll 0.)

Camera frame as in OpenCV (x right, y down, z forward); world frame is the frame's
local ENU (:mod:`pipeline.geo.ground`). ``R = T · Rz(yaw) · Ry(pitch) · Rx(roll) · M``
with ``M`` camera → body (forward, right, down) and ``T`` NED → ENU.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal, TypeGuard

import numpy as np
from numpy.typing import NDArray

from pipeline.errors import BadInputError, NoAttitudeError, NoHeightError, NoPositionError
from pipeline.geo.ground import GroundModel
from pipeline.records import FrameMeta

log = logging.getLogger(__name__)

#: Flight yaw replaces a gimbal yaw of exactly 0 when it is farther than this from 0
#: (some payloads write GimbalYawDegree="+0.00" whatever the heading).
STUCK_YAW_TOLERANCE_DEG = 1.0

_CAM_TO_BODY = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
_NED_TO_ENU = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


def wrap_deg(angle_deg: float) -> float:
    """An angle in (-180, 180]."""
    a = math.fmod(angle_deg, 360.0)
    if a > 180.0:
        a -= 360.0
    elif a <= -180.0:
        a += 360.0
    return a


def euler_zyx_matrix(yaw_deg: float, pitch_deg: float, roll_deg: float) -> NDArray[np.float64]:
    """(3, 3) ``Rz(yaw) · Ry(pitch) · Rx(roll)``: a body frame's axes (forward, right,
    down) in north-east-down, for aerospace Z-Y-X Euler angles in degrees."""
    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    cy, sy, cp, sp, cr, sr = (
        math.cos(y),
        math.sin(y),
        math.cos(p),
        math.sin(p),
        math.cos(r),
        math.sin(r),
    )
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    return rz @ ry @ rx


def euler_zyx_angles(matrix: NDArray[np.float64]) -> tuple[float, float, float]:
    """``(yaw, pitch, roll)`` degrees of a rotation built as :func:`euler_zyx_matrix`.

    Yaw and roll in (-180, 180], pitch in [-90, 90]. At pitch ±90 yaw and roll turn
    about the same axis: the whole turn is given as yaw, with roll 0.
    """
    m = np.asarray(matrix, dtype=float)
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, -m[2, 0]))))
    if math.hypot(m[0, 0], m[1, 0]) < 1e-9:
        return wrap_deg(math.degrees(math.atan2(-m[0, 1], m[1, 1]))), pitch, 0.0
    yaw = math.degrees(math.atan2(m[1, 0], m[0, 0]))
    roll = math.degrees(math.atan2(m[2, 1], m[2, 2]))
    return wrap_deg(yaw), pitch, wrap_deg(roll)


def rotation_cam_to_enu(yaw_deg: float, pitch_deg: float, roll_deg: float) -> NDArray[np.float64]:
    """(3, 3) matrix taking camera-frame vectors (x right, y down, z forward) to ENU.

    Its columns are the image-right, image-down and optical-axis directions in ENU.
    """
    return _NED_TO_ENU @ euler_zyx_matrix(yaw_deg, pitch_deg, roll_deg) @ _CAM_TO_BODY


@dataclass(frozen=True)
class CameraPose:
    """Where the camera was and where it looked.

    ``lat_deg``/``lon_deg``: WGS-84 GPS position. ``height_m``: camera height above
    the ground directly below it. ``ground_z_m``: that ground's height above take-off
    elevation (ENU ``z``), so the camera is at ENU ``(0, 0, ground_z_m + height_m)``.
    ``takeoff_h_m``: approximate ellipsoidal height of take-off elevation, the ENU
    origin's height (AbsoluteAltitude − RelativeAltitude when both exist, else 0); it
    only scales metres to degrees, by 1.6e-5 per 100 m, so tens of metres of error
    do not matter.
    """

    lat_deg: float
    lon_deg: float
    height_m: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    yaw_source: Literal["gimbal", "flight"]
    ground_z_m: float = 0.0
    takeoff_h_m: float = 0.0
    yaw_offset_deg: float = 0.0

    def __post_init__(self) -> None:
        values = (self.lat_deg, self.lon_deg, self.height_m, self.yaw_deg, self.pitch_deg,
                  self.roll_deg, self.ground_z_m, self.takeoff_h_m)  # fmt: skip
        if not all(math.isfinite(v) for v in values):
            raise BadInputError(f"camera pose has a non-finite value: {self}")
        if self.height_m <= 0:
            raise BadInputError(
                f"camera must be above the ground, but its height is {self.height_m:.2f} m; "
                "check RelativeAltitude, the ground offset or the height_m override"
            )

    @property
    def camera_enu_m(self) -> NDArray[np.float64]:
        """The camera's position (3,) in the frame's local ENU."""
        return np.array([0.0, 0.0, self.ground_z_m + self.height_m])

    def rotation(self) -> NDArray[np.float64]:
        """Camera → ENU rotation (3, 3); see :func:`rotation_cam_to_enu`."""
        return rotation_cam_to_enu(self.yaw_deg, self.pitch_deg, self.roll_deg)


def _finite(x: float | None) -> TypeGuard[float]:
    return x is not None and math.isfinite(x)


def choose_yaw(
    gimbal_yaw_deg: float | None, flight_yaw_deg: float | None
) -> tuple[float, Literal["gimbal", "flight"]] | None:
    """The camera heading and where it came from, or None when neither is known.

    Gimbal yaw is used unless it is missing, or exactly 0 while the flight yaw is
    more than ``STUCK_YAW_TOLERANCE_DEG`` from 0 (a stuck value).
    """
    gimbal, flight = gimbal_yaw_deg, flight_yaw_deg
    if _finite(gimbal):
        stuck = (
            gimbal == 0.0 and _finite(flight) and abs(wrap_deg(flight)) > STUCK_YAW_TOLERANCE_DEG
        )
        if not stuck:
            return wrap_deg(gimbal), "gimbal"
    if _finite(flight):
        return wrap_deg(flight), "flight"
    return None


def pose_from_meta(
    meta: FrameMeta,
    *,
    ground: GroundModel,
    height_m: float | None = None,
    yaw_offset_deg: float = 0.0,
) -> CameraPose:
    """The camera pose of ``meta`` over ``ground``.

    Height above the ground is XMP ``RelativeAltitude`` (height above take-off) minus
    the ground's elevation below the camera, or ``height_m`` when given (metres above
    the ground below the camera, e.g. from a laser rangefinder or a known flight
    height). EXIF GPSAltitude is never used: its datum varies and it is often 0.

    Raises a MissingGeotagError naming the missing field: NoPositionError (GPS),
    NoAttitudeError (gimbal pitch, yaw), NoHeightError (RelativeAltitude);
    BadInputError when the camera ends up at or below the ground.
    """
    gps, xmp = meta.gps, meta.xmp
    if gps is None or not (math.isfinite(gps.lat_deg) and math.isfinite(gps.lon_deg)):
        raise NoPositionError(f"{meta.path}: no GPS position (EXIF GPSLatitude/GPSLongitude)")
    if gps.lat_deg == 0.0 and gps.lon_deg == 0.0:
        raise NoPositionError(f"{meta.path}: GPS position is (0, 0), i.e. no fix was recorded")
    pitch = xmp.gimbal_pitch_deg if xmp is not None else None
    if xmp is None or not _finite(pitch):
        raise NoAttitudeError(
            f"{meta.path}: no camera pitch (XMP drone-dji:GimbalPitchDegree or another "
            "maker's, see pipeline.ingest.makers); "
            "the frame cannot be placed on the ground"
        )
    yaw = choose_yaw(xmp.gimbal_yaw_deg, xmp.flight_yaw_deg)
    if yaw is None:
        raise NoAttitudeError(
            f"{meta.path}: no heading (XMP drone-dji:GimbalYawDegree or FlightYawDegree)"
        )
    ground_z = float(ground.elevation_m(0.0, 0.0))
    rel_alt, abs_alt = xmp.rel_alt_m, xmp.abs_alt_m
    if height_m is None:
        if not _finite(rel_alt):
            raise NoHeightError(
                f"{meta.path}: no height above take-off (XMP drone-dji:RelativeAltitude); "
                "GPSAltitude is not a substitute (sea level or 0); pass height_m= "
                "(metres above the ground) if the flight height is known"
            )
        height_m = rel_alt - ground_z
    takeoff_h = abs_alt - rel_alt if _finite(abs_alt) and _finite(rel_alt) else 0.0
    roll = xmp.gimbal_roll_deg if _finite(xmp.gimbal_roll_deg) else 0.0
    if yaw[1] == "flight":
        log.debug("%s: gimbal yaw missing or stuck at 0, using flight yaw %.1f°", meta.path, yaw[0])
    return CameraPose(
        lat_deg=gps.lat_deg,
        lon_deg=gps.lon_deg,
        height_m=float(height_m),
        yaw_deg=wrap_deg(yaw[0] + yaw_offset_deg),
        pitch_deg=float(pitch),
        roll_deg=float(roll),
        yaw_source=yaw[1],
        ground_z_m=ground_z,
        takeoff_h_m=takeoff_h,
        yaw_offset_deg=yaw_offset_deg,
    )
