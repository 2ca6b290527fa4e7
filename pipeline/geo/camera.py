"""Camera intrinsics from a frame's metadata, scaled to the file's actual pixel size.

Pinhole model, no lens distortion (DJI's ``DewarpData`` is not applied: on the
wide lenses this moves edge pixels by a few pixels, i.e. centimetres at patrol
heights). Camera frame as in OpenCV: x right, y down, z forward (optical axis).

**Pixel coordinates** ``(u, v)`` are continuous (column, row) in the image *as
stored* (before any EXIF Orientation is applied), with ``(0, 0)`` the top-left
corner of the top-left pixel: the centre of pixel ``(i, j)`` is ``(i + 0.5, j + 0.5)``
and the image centre is ``(W / 2, H / 2)``. With this convention resizing an image
by a factor ``s`` maps every point ``(u, v)`` to exactly ``(s·u, s·v)``.

Intrinsics come from the first source a frame offers (:func:`camera_from_meta`):

1. ``xmp-calibrated``: XMP ``CalibratedFocalLength`` and ``CalibratedOpticalCenterX/Y``,
   pixels at the sensor's full native resolution;
2. ``sensor-table``: EXIF ``FocalLength`` (mm) with the sensor width of a known camera
   (:mod:`pipeline.geo.sensors`, by EXIF Model and XMP ``ImageSource``); for a zoom
   lens this comes first, since the XMP calibration holds for one zoom setting and
   EXIF records the focal length at the moment of capture;
3. ``focal-plane-resolution``: EXIF ``FocalLength`` with ``FocalPlaneXResolution``;
4. ``35mm-equivalent``: EXIF ``FocalLengthIn35mmFilm``.

Whatever the source, focal length and principal point end up in pixels of the
file as it is, so a resized frame places its (scaled) pixels on the same ground
points as the original.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal, TypeGuard

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pipeline.errors import BadInputError, MissingGeotagError
from pipeline.geo.sensors import SensorSpec, sensor_spec
from pipeline.records import FrameMeta

log = logging.getLogger(__name__)

IntrinsicsSource = Literal[
    "xmp-calibrated", "sensor-table", "focal-plane-resolution", "35mm-equivalent"
]

#: Diagonal of a 36 × 24 mm frame. DJI's FocalLengthIn35mmFilm follows the diagonal
#: (crop-factor) convention: f35 = f_mm × 43.27 / sensor_diagonal_mm. Checked on
#: FC300S (3.61 mm → 20, diagonal 20.4 vs width-based 21.1) and M3E (12.29 mm → 24,
#: diagonal 24.6 vs width-based 25.6); on 3:2 sensors both conventions agree.
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)

#: FocalPlaneResolutionUnit → millimetres per unit (EXIF 2.3; 4 and 5 are extensions
#: that exiftool and many cameras use).
RESOLUTION_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}

#: Relative disagreement between 2·CalibratedOpticalCenterX and the table's native
#: width above which the table's size is not used for that frame's calibration (a
#: mode the table does not describe).
_CENTRE_TOLERANCE = 0.10


@dataclass(frozen=True)
class CameraModel:
    """Pinhole intrinsics in pixels of the stored image (see the module docstring)."""

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    source: IntrinsicsSource

    def __post_init__(self) -> None:
        if self.width_px <= 0 or self.height_px <= 0:
            raise BadInputError(
                f"image size must be positive, got {self.width_px} × {self.height_px} px"
            )
        if not (self.fx_px > 0 and self.fy_px > 0 and math.isfinite(self.fx_px * self.fy_px)):
            raise BadInputError(
                f"focal length must be positive, got fx={self.fx_px}, fy={self.fy_px} px"
            )

    def rays(self, uv_px: ArrayLike) -> NDArray[np.float64]:
        """Camera-frame directions (N, 3) for pixels ``uv_px`` (N, 2); z = 1, not normalised."""
        uv = as_uv(uv_px)
        x = (uv[:, 0] - self.cx_px) / self.fx_px
        y = (uv[:, 1] - self.cy_px) / self.fy_px
        return np.column_stack([x, y, np.ones_like(x)])


def as_uv(uv_px: ArrayLike) -> NDArray[np.float64]:
    """Pixel coordinates as a float array of shape (N, 2); a single (2,) pair gives N = 1."""
    uv = np.asarray(uv_px, dtype=float)
    if uv.ndim == 1 and uv.shape == (2,):
        uv = uv[None, :]
    if uv.ndim != 2 or uv.shape[1] != 2:
        raise ValueError(f"uv_px must be an array of shape (N, 2), but got shape {uv.shape}")
    return uv


def camera_from_meta(meta: FrameMeta) -> CameraModel:
    """Intrinsics of ``meta``'s image from the first source it offers (module docstring).

    Raises MissingGeotagError when no source is complete, naming what is missing.
    """
    w, h = meta.width_px, meta.height_px
    if not w or not h or w <= 0 or h <= 0:
        raise BadInputError(f"{meta.path}: image size unknown or invalid ({w} × {h} px)")
    source = meta.xmp.image_source if meta.xmp is not None else None
    spec = sensor_spec(meta.model, meta.focal_mm, image_source=source, width_px=w)
    builders = (_from_xmp, _from_sensor_table, _from_focal_plane, _from_35mm)
    if spec is not None and spec.zooms:
        # a zoom lens's calibration holds for one zoom setting; EXIF has the one used
        builders = (_from_sensor_table, _from_xmp, _from_focal_plane, _from_35mm)
    for build in builders:
        camera = build(meta, spec)
        if camera is not None:
            log.debug("%s: intrinsics from %s, fx=%.1f px", meta.path, camera.source, camera.fx_px)
            return camera
    raise MissingGeotagError(
        f"{meta.path}: no focal length to place pixels on the ground: expected XMP "
        "CalibratedFocalLength + CalibratedOpticalCenterX, or EXIF FocalLength with a known "
        f"camera model (got model {meta.model!r}) or with FocalPlaneXResolution, or "
        "FocalLengthIn35mmFilm; found none. Re-export the frame with its original EXIF/XMP."
    )


def _positive(x: float | None) -> TypeGuard[float]:
    return x is not None and math.isfinite(x) and x > 0


def _from_xmp(meta: FrameMeta, spec: SensorSpec | None) -> CameraModel | None:
    if meta.xmp is None:
        return None
    f_native, cx_native = meta.xmp.calibrated_focal_px, meta.xmp.optical_center_x_px
    if not _positive(f_native) or not _positive(cx_native):
        return None
    cy_raw = meta.xmp.optical_center_y_px
    cy_native = cy_raw if _positive(cy_raw) else None
    native_h: float | None
    if spec is not None and abs(2.0 * cx_native / spec.width_px - 1.0) <= _CENTRE_TOLERANCE:
        native_w, native_h = float(spec.width_px), float(spec.height_px)
    else:
        # optical centre ≈ sensor centre: native width ≈ 2·cx (good to ~1 %)
        native_w = 2.0 * cx_native
        native_h = 2.0 * cy_native if cy_native is not None else None
    s = meta.width_px / native_w
    cx = meta.width_px / 2 + (cx_native - native_w / 2) * s
    if cy_native is not None and native_h is not None:
        # a centred vertical crop (e.g. 16:9 from a 4:3 sensor) keeps the offset from centre
        cy = meta.height_px / 2 + (cy_native - native_h / 2) * s
    else:
        cy = meta.height_px / 2
    f = f_native * s
    return CameraModel(meta.width_px, meta.height_px, f, f, cx, cy, "xmp-calibrated")


def _centred(meta: FrameMeta, f_px: float, source: IntrinsicsSource) -> CameraModel:
    return CameraModel(
        meta.width_px, meta.height_px, f_px, f_px, meta.width_px / 2, meta.height_px / 2, source
    )


def _from_sensor_table(meta: FrameMeta, spec: SensorSpec | None) -> CameraModel | None:
    focal_mm = meta.focal_mm
    if spec is None or not _positive(focal_mm):
        return None
    # DJI's narrower modes (16:9) crop rows, keeping the full sensor width (the long side)
    long_px = max(meta.width_px, meta.height_px)
    return _centred(meta, focal_mm / spec.width_mm * long_px, "sensor-table")


def _from_focal_plane(meta: FrameMeta, spec: SensorSpec | None) -> CameraModel | None:
    focal_mm, x_res = meta.focal_mm, meta.focal_plane_x_res
    unit_mm = RESOLUTION_UNIT_MM.get(meta.focal_plane_res_unit or 0)
    if not _positive(focal_mm) or not _positive(x_res) or unit_mm is None:
        return None
    px_per_mm = x_res / unit_mm  # at the EXIF image width
    # the resolution refers to the EXIF image width; without it assume no resize
    exif_w = meta.exif_width_px if meta.exif_width_px and meta.exif_width_px > 0 else meta.width_px
    f_px = focal_mm * px_per_mm * meta.width_px / exif_w
    return _centred(meta, f_px, "focal-plane-resolution")


def _from_35mm(meta: FrameMeta, spec: SensorSpec | None) -> CameraModel | None:
    f35 = meta.focal_35mm
    if not _positive(f35):
        return None
    long_px, short_px = max(meta.width_px, meta.height_px), min(meta.width_px, meta.height_px)
    if spec is not None:
        aspect = spec.aspect
    elif long_px / short_px > 1.55:
        # wider than 3:2 (16:9 mode): a crop of a 4:3 sensor, whose diagonal the
        # 35 mm equivalent refers to (Phantom 3 16:9 frames: 20 mm ↔ 3.61 mm on 6.17 mm)
        aspect = 4.0 / 3.0
    else:
        aspect = long_px / short_px
    diagonal_px = long_px * math.hypot(1.0, 1.0 / aspect)
    return _centred(meta, f35 / FULL_FRAME_DIAGONAL_MM * diagonal_px, "35mm-equivalent")
