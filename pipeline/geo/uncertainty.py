"""How far off a located pixel may be: first-order error propagation of the pose.

A ground point from :meth:`pipeline.geo.georef.Georef.locate` inherits the
errors of its inputs. Each input is moved by a small step, the pixel is
located again, and the displacement per unit of error (a column of the
Jacobian, metres east/north) is scaled by that input's standard deviation:

- **attitude** (gimbal yaw, pitch, roll; ``attitude_sigma_deg`` each): a 1°
  error moves a point at 165 m range, 45° oblique, by about 4 m, at nadir from
  40 m by 0.7 m — the error grows with range and obliquity by itself;
- **height** of the camera above the ground the ray meets: on level ground at
  take-off elevation the real terrain's offset is an error of
  ``height_sigma_fraction`` of the height (at least ``height_sigma_min_m``).
  Where the frame's ground passes through its laser target
  (:mod:`pipeline.geo.laser`) the height is measured: ``height_sigma_lrf_m``. Where a
  valid laser reading exists but flat ground was used, their difference (at
  least ``height_sigma_lrf_m``) is used instead. A height error moves a
  point along its ray's heading by ``δh · cot(depression)``: nothing at nadir,
  3× the error at 19° below the horizon;
- **GPS** horizontal position: ``RtkStdLon/Lat`` when ``RtkFlag`` says the
  RTK solution is fixed (50), else ``gps_sigma_m``; it moves every point of a
  frame alike.

The result per point is the 2×2 covariance's major semi-axis (``sigma_m``,
1σ, metres) and two parts of it that matter when two sightings come from
**one flight**. Most of the error is a bias the flight's frames share: the
GPS drifts slowly, the terrain offset is the same for frames seen from one
place, and the gimbal's attitude error is mostly an offset, with only
``attitude_noise_deg`` of it changing from frame to frame. So the difference
of two sightings of one object holds the per-frame noise (``sigma_rel_m``:
attitude noise and ``gps_jitter_m``) and the difference of how strongly the
shared bias moves each: a height error moves a point at 19° below the
horizon by 3·δh, one at 77° by 0.2·δh. ``sigma_bias_m`` is the size of that
bias term at this point (height and the attitude offset);
:func:`pipeline.ledger.cluster.pair_sigma_m` combines them as
``sqrt(rel_a² + rel_b² + (bias_a − bias_b)²)``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pipeline.geo.laser import GroundCheck, GroundSettings, frame_ground
from pipeline.records import FrameMeta

if TYPE_CHECKING:
    from pipeline.geo.georef import Georef

#: DJI XMP ``RtkFlag`` of a fixed RTK solution (0 none, 16 single, 34 float, 50 fixed).
RTK_FIXED = 50
_STEP_DEG = 0.1
_STEP_M = 0.1


@dataclass(frozen=True)
class PositionErrors:
    """1σ input errors (degrees, metres) behind a located point's uncertainty.

    Defaults: DJI gimbal angles are good to about 1° (their IMU, plus the
    payload's mounting); barometric height above take-off ~0.5 m, but river
    banks, bridges and beds lie metres above or below the take-off spot, so
    5 % of the height (6 m at 120 m) covers real terrain better than the
    barometer's figure; single-point GPS 1–3 m; GPS noise between frames of
    one flight about a metre, and the gimbal's angles change by about half a
    degree between frames (``attitude_noise_deg``, part of
    ``attitude_sigma_deg``). The last two were read off Brighton Beach (a
    Phantom 3 flying a shore at 40 m): detections of consecutive frames lie
    1–2.5 m (median) from their nearest neighbour of the frame before.
    ``height_sigma_dem_m``: a DEM's vertical error plus tying the take-off to it
    through AbsoluteAltitude (GNSS height, metres without RTK): 3 m.
    """

    attitude_sigma_deg: float = 1.0
    attitude_noise_deg: float = 0.5
    height_sigma_fraction: float = 0.05
    height_sigma_min_m: float = 1.0
    height_sigma_lrf_m: float = 0.5
    height_sigma_dem_m: float = 3.0
    gps_sigma_m: float = 2.5
    gps_jitter_m: float = 1.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"PositionErrors.{f.name} must be finite and >= 0, got {value}")


@dataclass(frozen=True, eq=False)
class PointUncertainty:
    """Per located point, shape (N,): 1σ metres; ``range_m`` camera → ground point;
    ``depression_deg`` the ray's angle below the horizon. NaN where a point or a
    perturbed ray misses the ground."""

    sigma_m: NDArray[np.float64]
    sigma_rel_m: NDArray[np.float64]
    sigma_bias_m: NDArray[np.float64]
    range_m: NDArray[np.float64]
    depression_deg: NDArray[np.float64]


def gps_sigma_m(meta: FrameMeta, errors: PositionErrors) -> float:
    """Horizontal GPS 1σ: the RTK standard deviations when fixed, else the configured figure."""
    xmp = meta.xmp
    if xmp is not None and xmp.rtk_flag == RTK_FIXED:
        stds = [s for s in (xmp.rtk_std_lat_m, xmp.rtk_std_lon_m) if s is not None]
        if stds and all(math.isfinite(s) and s >= 0 for s in stds):
            return float(math.hypot(*stds) if len(stds) == 2 else stds[0] * math.sqrt(2))
    return errors.gps_sigma_m


def height_sigma_m(
    meta: FrameMeta, height_m: float, errors: PositionErrors, check: GroundCheck | None = None
) -> float:
    """1σ of the camera's height above the ground the rays meet (see the module docstring).

    ``check``: the frame's ground (:func:`pipeline.geo.laser.frame_ground`, default
    settings when None). Placed on the plane through its laser target, the height is
    measured (``height_sigma_lrf_m``); on flat ground with a valid laser reading, the
    laser's disagreement with it (at least ``height_sigma_lrf_m``); else a share of
    the height.
    """
    if check is None:
        check = frame_ground(meta, GroundSettings())[1]
    if check.source == "laser":
        return errors.height_sigma_lrf_m
    if check.source == "dem":
        return errors.height_sigma_dem_m
    if check.laser is not None and meta.xmp is not None and meta.xmp.rel_alt_m is not None:
        measured = meta.xmp.rel_alt_m - check.laser.ground_z_m
        return max(errors.height_sigma_lrf_m, abs(measured - height_m))
    return max(errors.height_sigma_min_m, errors.height_sigma_fraction * height_m)


def _shifted(georef: Georef, uv: np.ndarray, **pose_changes: float) -> np.ndarray:
    pose = dataclasses.replace(georef.pose, **pose_changes)  # type: ignore[arg-type]  # angles
    pts = dataclasses.replace(georef, pose=pose).locate(uv)
    return np.stack([pts.east_m, pts.north_m], axis=1)


def _major(cov: np.ndarray) -> np.ndarray:
    """Largest eigenvalue of (N, 2, 2) covariances (NaN where undefined)."""
    if not len(cov):
        return np.zeros(0)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(cov).all(axis=(1, 2))
        out = np.full(len(cov), np.nan)
        out[finite] = np.linalg.eigvalsh(cov[finite])[:, -1]
    return out


def locate_uncertainty(
    georef: Georef, uv_px: ArrayLike, meta: FrameMeta, errors: PositionErrors | None = None
) -> PointUncertainty:
    """1σ ground uncertainty of pixels ``uv_px`` (N, 2) of ``georef``'s frame (module docstring)."""
    from pipeline.geo.camera import as_uv

    errors = errors or PositionErrors()
    uv = as_uv(uv_px)
    pose = georef.pose
    base_pts = georef.locate(uv)
    base = np.stack([base_pts.east_m, base_pts.north_m], axis=1)
    att_cov = np.zeros((len(uv), 2, 2))
    for name in ("yaw_deg", "pitch_deg", "roll_deg"):
        j = (_shifted(georef, uv, **{name: getattr(pose, name) + _STEP_DEG}) - base) / _STEP_DEG
        att_cov += np.einsum("ni,nj->nij", j, j)
    j_h = (_shifted(georef, uv, height_m=pose.height_m + _STEP_M) - base) / _STEP_M
    check = georef.ground_check
    if check is None:  # the caller chose the ground: the laser, if any, only checks it
        check = dataclasses.replace(frame_ground(meta, GroundSettings())[1], source="flat")
    sig_h = height_sigma_m(meta, pose.height_m, errors, check)
    hgt_cov = np.einsum("ni,nj->nij", j_h, j_h) * sig_h**2
    gps = gps_sigma_m(meta, errors)
    noise = min(errors.attitude_noise_deg, errors.attitude_sigma_deg)
    offset_var = errors.attitude_sigma_deg**2 - noise**2
    cov = att_cov * errors.attitude_sigma_deg**2 + hgt_cov + np.eye(2) * gps**2
    rel = np.sqrt(_major(att_cov * noise**2) + errors.gps_jitter_m**2)
    bias = np.sqrt(_major(att_cov * offset_var + hgt_cov))
    sigma = np.sqrt(_major(cov))
    dirs = georef.rays_enu(uv)
    depression = np.degrees(np.arcsin(np.clip(-dirs[:, 2], -1.0, 1.0)))
    bad = ~np.isfinite(sigma) | ~base_pts.hit
    nan = np.full(len(uv), np.nan)
    return PointUncertainty(
        sigma_m=np.where(bad, nan, sigma),
        sigma_rel_m=np.where(bad, nan, rel),
        sigma_bias_m=np.where(bad, nan, bias),
        range_m=np.asarray(base_pts.range_m, dtype=float),
        depression_deg=depression,
    )
