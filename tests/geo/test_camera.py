"""Intrinsics: which source wins, the values each gives, and scaling to the stored size."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.errors import BadInputError, MissingGeotagError
from pipeline.geo.camera import CameraModel, camera_from_meta

from .frames import BRIGHTON, INTRINSICS_SOURCES, make_meta, resized

F_FC300S_4000 = 3.61 / 6.17 * 4000  # 2340.36 px: Phantom 3 focal on a 6.17 mm, 4000 px sensor


@pytest.mark.parametrize(
    ("fields", "source", "fx", "cx", "cy"),
    [
        # XMP calibration wins over everything, at native scale on a 4000×3000 FC300S
        ({"model": "FC300S", "focal_mm": 3.61, "focal_35mm": 20.0, "calibrated_focal_px": 2900.0,
          "optical_center_x_px": 2010.0, "optical_center_y_px": 1490.0},
         "xmp-calibrated", 2900.0, 2010.0, 1490.0),
        ({"model": "FC300S", "focal_mm": 3.61, "focal_35mm": 20.0},
         "sensor-table", F_FC300S_4000, 2000.0, 1500.0),
        ({"model": "fc300s", "focal_mm": 3.61}, "sensor-table", F_FC300S_4000, 2000.0, 1500.0),
        # FocalPlaneXResolution 4000/6.17 px per mm, unit 4 = mm
        ({"focal_mm": 3.61, "focal_plane_x_res": 4000 / 6.17, "focal_plane_res_unit": 4,
          "exif_width_px": 4000, "focal_35mm": 20.0},
         "focal-plane-resolution", F_FC300S_4000, 2000.0, 1500.0),
        # 35 mm equivalent, diagonal convention: 20 / 43.267 × 5000 px (4000×3000 diagonal)
        ({"focal_35mm": 20.0}, "35mm-equivalent", 20 / math.hypot(36, 24) * 5000, 2000.0, 1500.0),
        # a zoom-lens frame of a multi-lens payload takes the zoom camera's entry, not the wide's
        ({"model": "ZH20", "focal_mm": 30.0, "focal_35mm": 160.0},
         "sensor-table", 30.0 / 7.46 * 4000, 2000.0, 1500.0),
        # a model the table does not know falls through to the 35 mm equivalent
        ({"model": "FC9999", "focal_mm": 30.0, "focal_35mm": 160.0},
         "35mm-equivalent", 160 / math.hypot(36, 24) * 5000, 2000.0, 1500.0),
    ],
)  # fmt: skip
def test_source_order_and_values(fields, source, fx, cx, cy) -> None:
    xmp_keys = {"calibrated_focal_px", "optical_center_x_px", "optical_center_y_px"}
    xmp = {k: v for k, v in fields.items() if k in xmp_keys}
    exif = {k: v for k, v in fields.items() if k not in xmp_keys}
    camera = camera_from_meta(make_meta(**exif, **xmp))
    assert camera.source == source
    assert camera.fx_px == pytest.approx(fx, rel=1e-9)
    assert camera.fy_px == camera.fx_px
    assert (camera.cx_px, camera.cy_px) == pytest.approx((cx, cy))


@pytest.mark.parametrize(
    ("unit", "x_res"),
    [(2, 4000 / 6.17 * 25.4), (3, 4000 / 6.17 * 10), (4, 4000 / 6.17), (5, 4000 / 6.17 / 1000)],
)
def test_focal_plane_resolution_units(unit, x_res) -> None:
    meta = make_meta(focal_mm=3.61, focal_plane_x_res=x_res, focal_plane_res_unit=unit,
                     exif_width_px=4000)  # fmt: skip
    assert camera_from_meta(meta).fx_px == pytest.approx(F_FC300S_4000, rel=1e-9)


def test_focal_plane_resolution_refers_to_exif_width() -> None:
    meta = make_meta(width_px=1000, height_px=750, focal_mm=3.61, focal_plane_x_res=4000 / 6.17,
                     focal_plane_res_unit=4, exif_width_px=4000)  # fmt: skip
    assert camera_from_meta(meta).fx_px == pytest.approx(F_FC300S_4000 / 4)


@pytest.mark.parametrize(
    ("width", "height", "model", "f35", "fx"),
    [
        (5472, 3648, None, 24.0, 3648.0),  # 3:2: diagonal and width conventions agree (24/36·5472)
        (4000, 3000, None, 20.0, 2311.2508),  # 20 / 43.2666 × 5000
        (4000, 2250, None, 20.0, 2311.2508),  # 16:9 crop of a 4:3 sensor: the 4:3 diagonal
        (1920, 1080, None, 20.0, 1109.4004),  # same, resized
        (4000, 2250, "FC300S", 20.0, 2311.2508),  # table aspect (4:3), no focal_mm
    ],
)
def test_35mm_equivalent_uses_the_sensor_diagonal(width, height, model, f35, fx) -> None:
    camera = camera_from_meta(
        make_meta(width_px=width, height_px=height, model=model, focal_35mm=f35)
    )
    assert camera.source == "35mm-equivalent"
    assert camera.fx_px == pytest.approx(fx, rel=1e-6)


def test_35mm_on_brighton_is_within_2_percent_of_the_table() -> None:
    """FC300S: 3.61 mm is "20 mm" rounded from 20.4, so the 35 mm route is 1.2 % short."""
    f35_only = camera_from_meta(make_meta(width_px=4000, height_px=2250, focal_35mm=20.0))
    table = camera_from_meta(BRIGHTON)
    assert table.source == "sensor-table"
    assert f35_only.fx_px / table.fx_px == pytest.approx(1.0, abs=0.02)


def test_xmp_without_a_known_model_takes_native_width_from_the_optical_centre() -> None:
    meta = make_meta(width_px=2000, height_px=1500, calibrated_focal_px=2900.0,
                     optical_center_x_px=2010.0, optical_center_y_px=1490.0)  # fmt: skip
    camera = camera_from_meta(meta)
    s = 2000 / 4020
    assert camera.fx_px == pytest.approx(2900 * s)
    assert (camera.cx_px, camera.cy_px) == pytest.approx((1000.0, 750.0))


def test_xmp_on_a_16_9_crop_keeps_the_principal_point_offset() -> None:
    # FC300S native 4000×3000; a 4000×2250 frame drops 375 rows top and bottom
    meta = make_meta(width_px=4000, height_px=2250, model="FC300S",
                     calibrated_focal_px=2900.0, optical_center_x_px=2010.0,
                     optical_center_y_px=1490.0)  # fmt: skip
    camera = camera_from_meta(meta)
    assert (camera.cx_px, camera.cy_px) == pytest.approx((2010.0, 1125.0 - 10.0))


def test_xmp_ignores_a_table_width_that_disagrees_with_the_optical_centre() -> None:
    # M3T's table entry is the 8000 px wide camera; this calibration is of a 4000 px lens
    meta = make_meta(width_px=4000, height_px=3000, model="M3T", focal_mm=4.4,
                     calibrated_focal_px=2800.0, optical_center_x_px=2003.0,
                     optical_center_y_px=1497.0)  # fmt: skip
    camera = camera_from_meta(meta)
    assert camera.fx_px == pytest.approx(2800.0 * 4000 / 4006)


@pytest.mark.parametrize("name", sorted(INTRINSICS_SOURCES))
@pytest.mark.parametrize("size", [(4000, 3000), (4000, 2250)])
def test_resizing_scales_intrinsics_exactly(name, size) -> None:
    original = make_meta(width_px=size[0], height_px=size[1], **INTRINSICS_SOURCES[name])
    small = resized(original, 1600)
    a, b = camera_from_meta(original), camera_from_meta(small)
    assert a.source == b.source
    s = 1600 / size[0]
    assert (b.fx_px, b.fy_px, b.cx_px, b.cy_px) == pytest.approx(
        (a.fx_px * s, a.fy_px * s, a.cx_px * s, a.cy_px * s), rel=1e-12
    )


def test_nothing_to_go_on_names_what_is_missing() -> None:
    meta = make_meta(model="FC9999")
    with pytest.raises(MissingGeotagError) as e:
        camera_from_meta(meta)
    for name in ("CalibratedFocalLength", "FocalLength", "FocalPlaneXResolution",
                 "FocalLengthIn35mmFilm", "FC9999"):  # fmt: skip
        assert name in str(e.value)
    assert isinstance(e.value, ValueError)


def test_rays_through_the_principal_point_and_a_corner() -> None:
    camera = CameraModel(4000, 3000, 3000.0, 3000.0, 2000.0, 1500.0, "sensor-table")
    rays = camera.rays([(2000, 1500), (0, 0)])
    np.testing.assert_allclose(rays, [[0, 0, 1], [-2 / 3, -0.5, 1]])
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        camera.rays(np.zeros((3, 3)))


@pytest.mark.parametrize(
    ("w", "h", "f"), [(0, 3000, 3000.0), (4000, 3000, 0.0), (4000, 3000, math.nan)]
)
def test_camera_model_rejects_nonsense(w, h, f) -> None:
    with pytest.raises(BadInputError):
        CameraModel(w, h, f, f, 2000.0, 1500.0, "sensor-table")
