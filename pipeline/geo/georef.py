"""Pixels of one frame to points on the ground.

``georeference(meta)`` combines the frame's intrinsics (:mod:`pipeline.geo.camera`),
pose (:mod:`pipeline.geo.pose`) and a ground model (:mod:`pipeline.geo.ground`; by
default level, through the frame's laser target where it has a valid one, else at
take-off elevation: :mod:`pipeline.geo.laser`) into a :class:`Georef`, which places
pixels on the ground (``locate``), outlines the frame's ground coverage
(``footprint``) and gives its ground sampling distance (``gsd_cm_per_px``).

Pixels are continuous ``(u, v)`` = (column, row) of the stored image with ``(0, 0)``
the top-left corner of the top-left pixel (pixel ``(i, j)`` has its centre at
``(i + 0.5, j + 0.5)``; the image centre is ``(W / 2, H / 2)``).

Accuracy is bounded by the inputs, not the arithmetic: GPS (1-3 m without RTK),
RelativeAltitude (barometric, ~0.5 m), gimbal angles (~1°, i.e. 1.7 % of the
distance), lens distortion (ignored) and how flat the ground really is. Oblique
rays amplify height and pitch errors: keep far-range points with caution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pipeline.geo.camera import CameraModel, as_uv, camera_from_meta
from pipeline.geo.coords import enu_to_geodetic, geodetic_to_enu
from pipeline.geo.ground import MIN_DESCENT, GroundModel
from pipeline.geo.laser import GroundCheck, GroundSettings, frame_ground
from pipeline.geo.pose import CameraPose, pose_from_meta
from pipeline.records import FrameMeta

MISS_HORIZON = "ray at or above the horizon"
MISS_GROUND = "ray does not meet the ground model"
#: Far limit of :meth:`Georef.footprint` for oblique frames, metres from the camera's nadir.
DEFAULT_MAX_RANGE_M = GroundSettings().footprint_max_range_m

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GroundPoints:
    """Ground positions of N pixels, as parallel arrays of shape (N,).

    ``lat_deg``/``lon_deg``: WGS-84. ``east_m``/``north_m``/``up_m``: the frame's
    local ENU (origin at take-off elevation below the camera). ``range_m``: camera
    to ground point. Misses (``hit`` False) are NaN, with ``reasons[i]`` saying why
    ("" for hits); ``reason`` sums up the misses in one string.
    """

    lat_deg: FloatArray
    lon_deg: FloatArray
    east_m: FloatArray
    north_m: FloatArray
    up_m: FloatArray
    range_m: FloatArray
    hit: NDArray[np.bool_]
    reasons: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.reasons)
        for name in ("lat_deg", "lon_deg", "east_m", "north_m", "up_m", "range_m", "hit"):
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.shape != (n,):
                shape = getattr(value, "shape", type(value).__name__)
                raise ValueError(f"{name} must be a 1D np.ndarray of shape ({n},), but got {shape}")
        if self.hit.dtype != np.bool_:
            raise ValueError(f"hit must be a boolean array, but got dtype {self.hit.dtype}")

    def __len__(self) -> int:
        return len(self.reasons)

    @property
    def reason(self) -> str:
        """Why points missed the ground ("" when all hit); distinct reasons joined by '; '."""
        return "; ".join(sorted({r for r in self.reasons if r}))


@dataclass(frozen=True)
class Georef:
    """A frame's camera, pose and ground: everything needed to place its pixels.

    ``ground_check``: which ground the frame uses (flat or through its laser target)
    and how flat ground compares with the laser; None when the caller chose the ground.
    ``max_range_m``: the default far limit of :meth:`footprint`.
    """

    camera: CameraModel
    pose: CameraPose
    ground: GroundModel
    ground_check: GroundCheck | None = None
    max_range_m: float = DEFAULT_MAX_RANGE_M

    def rays_enu(self, uv_px: ArrayLike) -> FloatArray:
        """Unit ray directions (N, 3) in ENU for pixels ``uv_px`` (N, 2)."""
        d = self.camera.rays(uv_px) @ self.pose.rotation().T
        return d / np.linalg.norm(d, axis=1, keepdims=True)

    def locate(self, uv_px: ArrayLike) -> GroundPoints:
        """Ground points of pixels ``uv_px`` (N, 2) (a single ``(u, v)`` is N = 1)."""
        uv = as_uv(uv_px)
        dirs = self.rays_enu(uv)
        origin = self.pose.camera_enu_m
        t = np.asarray(self.ground.intersect(origin, dirs), dtype=float)
        hit = np.isfinite(t)
        t = np.where(hit, t, np.nan)
        enu = origin + t[:, None] * dirs
        lat, lon, _ = enu_to_geodetic(
            enu[:, 0], enu[:, 1], enu[:, 2],
            lat0_deg=self.pose.lat_deg, lon0_deg=self.pose.lon_deg, h0_m=self.pose.takeoff_h_m,
        )  # fmt: skip
        above = dirs[:, 2] >= -MIN_DESCENT
        reasons = tuple(
            "" if h else (MISS_HORIZON if a else MISS_GROUND)
            for h, a in zip(hit, above, strict=True)
        )
        return GroundPoints(
            lat_deg=np.asarray(lat, dtype=float),
            lon_deg=np.asarray(lon, dtype=float),
            east_m=enu[:, 0],
            north_m=enu[:, 1],
            up_m=enu[:, 2],
            range_m=t,
            hit=hit,
            reasons=reasons,
        )

    def pixels_of(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> FloatArray:
        """Pixels ``(N, 2)`` where ground points ``(lat, lon)``, on this frame's ground,
        appear (the inverse of :meth:`locate`); NaN for points behind the camera. Points
        outside the image are not refused: compare with the camera's size."""
        lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
        lon = np.atleast_1d(np.asarray(lon_deg, dtype=float))
        east, north, _ = geodetic_to_enu(
            lat, lon, self.pose.takeoff_h_m,
            lat0_deg=self.pose.lat_deg, lon0_deg=self.pose.lon_deg, h0_m=self.pose.takeoff_h_m,
        )  # fmt: skip
        up = self.ground.elevation_m(east, north)
        world = np.column_stack([east, north, up]) - self.pose.camera_enu_m
        cam = world @ self.pose.rotation()  # the camera frame: R^T applied to each row
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(cam[:, 2] > 1e-9, cam[:, 2], np.nan)
            u = self.camera.fx_px * cam[:, 0] / z + self.camera.cx_px
            v = self.camera.fy_px * cam[:, 1] / z + self.camera.cy_px
        return np.column_stack([u, v])

    def footprint_enu(self, n_per_edge: int = 8, *, max_range_m: float | None = None) -> FloatArray:
        """The image border on the ground as ENU ``(east, north)`` (M, 2), not closed.

        Walks the border from the top-left corner along the top edge, ``n_per_edge``
        points per edge counting both corners. Border rays at or above the horizon,
        missing the ground, or landing farther than ``max_range_m`` (horizontally) from
        the camera's nadir are cut back to ``max_range_m`` along their own heading, so
        an oblique frame's polygon ends in a far edge at ``max_range_m`` instead of at
        the horizon. Counter-clockwise (east→north), as GeoJSON wants.
        """
        if n_per_edge < 2:
            raise ValueError(f"n_per_edge must be at least 2 (the corners), got {n_per_edge}")
        max_range_m = self.max_range_m if max_range_m is None else max_range_m
        if not max_range_m > 0:
            raise ValueError(f"max_range_m must be positive, got {max_range_m}")
        w, h = self.camera.width_px, self.camera.height_px
        s = np.linspace(0.0, 1.0, n_per_edge)[:-1]
        uv = np.concatenate([
            np.column_stack([s * w, np.zeros_like(s)]),
            np.column_stack([np.full_like(s, w), s * h]),
            np.column_stack([w - s * w, np.full_like(s, h)]),
            np.column_stack([np.zeros_like(s), h - s * h]),
        ])  # fmt: skip
        dirs = self.rays_enu(uv)
        t = np.asarray(self.ground.intersect(self.pose.camera_enu_m, dirs), dtype=float)
        en = t[:, None] * dirs[:, :2]
        heading = np.linalg.norm(dirs[:, :2], axis=1)
        with np.errstate(invalid="ignore"):
            capped = ~np.isfinite(t) | (np.linalg.norm(en, axis=1) > max_range_m)
        keep = ~capped | (heading > 1e-12)  # a ray straight up has no heading to cap along
        with np.errstate(invalid="ignore", divide="ignore"):
            far = dirs[:, :2] / heading[:, None] * max_range_m
        en = np.where(capped[:, None], far, en)[keep]
        x, y = en[:, 0], en[:, 1]
        if np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) < 0:
            en = en[::-1]
        return en

    def footprint(
        self, n_per_edge: int = 8, *, max_range_m: float | None = None
    ) -> list[tuple[float, float]]:
        """The frame's ground coverage as a closed WGS-84 ``(lat, lon)`` ring.

        See :meth:`footprint_enu` for sampling, the far-range cap and orientation.
        """
        en = self.footprint_enu(n_per_edge, max_range_m=max_range_m)
        up = self.ground.elevation_m(en[:, 0], en[:, 1])
        up = np.where(np.isfinite(up), up, self.pose.ground_z_m)  # cut points off a DEM
        lat, lon, _ = enu_to_geodetic(
            en[:, 0], en[:, 1], up,
            lat0_deg=self.pose.lat_deg, lon0_deg=self.pose.lon_deg, h0_m=self.pose.takeoff_h_m,
        )  # fmt: skip
        ring = [(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]
        return [*ring, ring[0]]

    def gsd_cm_per_px(self) -> float:
        """Ground sampling distance at the principal point, centimetres per pixel.

        Ground distance between points half a pixel either side of the principal
        point, along u and along v, averaged. NaN when the centre ray misses the ground.
        """
        cx, cy = self.camera.cx_px, self.camera.cy_px
        uv = [(cx - 0.5, cy), (cx + 0.5, cy), (cx, cy - 0.5), (cx, cy + 0.5)]
        p = self.locate(uv)
        if not p.hit.all():
            return math.nan
        xyz = np.column_stack([p.east_m, p.north_m, p.up_m])
        du = np.linalg.norm(xyz[1] - xyz[0])
        dv = np.linalg.norm(xyz[3] - xyz[2])
        return float((du + dv) / 2.0 * 100.0)


def georeference(
    meta: FrameMeta,
    *,
    ground: GroundModel | None = None,
    height_m: float | None = None,
    yaw_offset_deg: float = 0.0,
    settings: GroundSettings | None = None,
) -> Georef:
    """Everything needed to place ``meta``'s pixels on the ground.

    ``ground`` defaults to the frame's own (:func:`pipeline.geo.laser.frame_ground`):
    the level plane through its laser target where the frame has a valid laser
    reading, else level ground at take-off elevation; ``settings`` (default
    :class:`GroundSettings`) say when a reading is valid and how far footprints reach.
    ``height_m`` overrides the camera height above the ground below it (otherwise
    XMP RelativeAltitude minus the ground's elevation). Raises MissingGeotagError
    when the frame lacks intrinsics, GPS, RelativeAltitude (without ``height_m``),
    pitch or heading. ``yaw_offset_deg`` corrects the recorded yaw (see
    :mod:`pipeline.geo.yaw_check`).
    """
    settings = GroundSettings() if settings is None else settings
    check = None
    if ground is None:
        ground, check = frame_ground(meta, settings)
    return Georef(
        camera=camera_from_meta(meta),
        pose=pose_from_meta(meta, ground=ground, height_m=height_m, yaw_offset_deg=yaw_offset_deg),
        ground=ground,
        ground_check=check,
        max_range_m=settings.footprint_max_range_m,
    )
