"""The sensor table: one case per camera, from the EXIF Model and ImageSource it writes."""

from __future__ import annotations

import math

import pytest

from pipeline.geo.camera import camera_from_meta
from pipeline.geo.georef import georeference
from pipeline.geo.sensors import SENSORS, model_key, sensor_spec

from .frames import make_meta

#: (EXIF Model as written, XMP ImageSource, frame width px, EXIF focal mm) →
#: (sensor width mm, native width px). ImageSource None: firmware that writes none.
CASES = [
    ("FC300S", None, 4000, 3.61, 6.17, 4000),
    ("FC300X", None, 4000, 3.61, 6.17, 4000),
    ("FC300C", None, 4000, 3.61, 6.17, 4000),
    ("FC330", None, 4000, 3.61, 6.17, 4000),
    ("FC220", None, 4000, 4.73, 6.17, 4000),
    ("FC7303", None, 4000, 4.49, 6.3, 4000),
    ("FC3682", None, 4000, 6.7, 9.6, 4000),
    ("FC3582", None, 8064, 6.72, 9.68, 8064),
    ("FC8482", None, 8064, 6.72, 9.68, 8064),
    ("FC6310", None, 5472, 8.8, 13.2, 5472),
    ("FC6310S", None, 5472, 8.8, 13.2, 5472),
    ("FC6310R", None, 5472, 8.8, 13.2, 5472),
    ("FC3411", None, 5472, 8.38, 13.2, 5472),
    ("L1D-20c", None, 5472, 10.26, 13.2, 5472),
    ("L2D-20c", None, 5280, 12.29, 17.3, 5280),
    ("FC4170", None, 4000, 30.0, 6.4, 4000),
    ("M3E", "WideCamera", 5280, 12.29, 17.3, 5280),
    ("M3E", "ZoomCamera", 4000, 30.0, 6.4, 4000),
    ("M3T", "WideCamera", 8000, 4.4, 6.4, 8000),
    ("M3T", "ZoomCamera", 4000, 30.0, 6.4, 4000),
    ("M3T", "InfraredCamera", 640, 9.1, 7.68, 640),
    ("M3TD", "InfraredCamera", 1280, 9.1, 7.68, 640),  # super-resolution mode
    ("M30T", "WideCamera", 4000, 4.5, 6.4, 4000),
    ("M30T", "ZoomCamera", 8000, 42.0, 6.4, 8000),
    ("M30T", "InfraredCamera", 640, 9.1, 7.68, 640),
    ("M30", "WideCamera", 4000, 4.5, 6.4, 4000),
    ("M30", "ZoomCamera", 8000, 21.0, 6.4, 8000),
    ("M4E", "WideCamera", 5280, 12.29, 17.3, 5280),
    ("M4T", "WideCamera", 8064, 6.72, 9.68, 8064),
    ("M4T", "InfraredCamera", 1280, 12.0, 7.68, 640),
    ("ZH20", "WideCamera", 4056, 4.5, 6.17, 4056),
    ("ZH20", "ZoomCamera", 5184, 31.7, 7.46, 5184),
    ("ZH20T", "WideCamera", 4056, 4.5, 6.17, 4056),
    ("ZH20T", "ZoomCamera", 5184, 6.83, 7.46, 5184),
    ("ZH20T", "InfraredCamera", 640, 13.5, 7.68, 640),
    ("ZH30", "WideCamera", 8064, 6.72, 9.68, 8064),
    ("ZH30T", "WideCamera", 8064, 6.72, 9.68, 8064),
    ("ZH30T", "InfraredCamera", 1280, 24.0, 15.36, 1280),
    ("ZenmuseP1", None, 8192, 35.0, 35.9, 8192),
    ("ZenmuseL1", None, 5472, 8.8, 13.2, 5472),
    ("L2", None, 5280, 12.0, 17.3, 5280),
    ("Zenmuse L2", None, 5280, 12.0, 17.3, 5280),
    ("XT", None, 640, 13.0, 10.88, 640),
    ("XTR", None, 336, 9.0, 5.712, 336),
    ("XT2", None, 640, 19.0, 10.88, 640),
    ("XT2", "InfraredCamera", 336, 9.0, 5.712, 336),
    ("XT", None, 336, 6.8, 5.712, 336),
    ("XTR", None, 640, 25.0, 10.88, 640),
    ("XT2", None, 336, 25.0, 5.712, 336),
]  # fmt: skip


@pytest.mark.parametrize(("model", "source", "width", "focal", "width_mm", "native_px"), CASES)
def test_each_camera_from_its_exif_model(model, source, width, focal, width_mm, native_px) -> None:
    spec = sensor_spec(model, focal, image_source=source, width_px=width)
    assert spec is not None
    assert spec.width_mm == pytest.approx(width_mm)
    assert spec.width_px == native_px


def test_every_table_entry_has_a_case() -> None:
    covered = {id(sensor_spec(m, f, image_source=s, width_px=w)) for m, s, w, f, *_ in CASES}
    missing = [
        f"{key}: {spec.note}"
        for key, specs in SENSORS.items()
        for spec in specs
        if id(spec) not in covered
    ]
    assert not missing


@pytest.mark.parametrize(
    ("model", "focal", "width", "lens"),
    [
        # no ImageSource: a thermal frame is as wide as its core, lenses differ in focal length
        ("M3T", 9.1, 640, "thermal"),
        ("M3T", 4.4, 8000, "wide"),
        ("M3T", 29.9, 4000, "zoom"),
        ("M30T", 9.1, 640, "thermal"),
        ("M30T", 55.0, 8000, "zoom"),
        ("ZH20T", 13.5, 640, "thermal"),  # inside the zoom range, but 640 px wide
        ("ZH20T", 13.5, 5184, "zoom"),
        ("ZH20T", 4.5, 4056, "wide"),
        ("M4T", 12.0, 1280, "thermal"),
    ],
)  # fmt: skip
def test_lens_without_image_source(model, focal, width, lens) -> None:
    spec = sensor_spec(model, focal, width_px=width)
    assert spec is not None and spec.lens == lens


@pytest.mark.parametrize(
    ("model", "source", "focal", "width"),
    [
        ("M3T", "NightCamera", 4.4, 8000),  # a payload's lens name hehu does not know: no guess
        ("XT2", "NightCamera", 19.0, 640),
        ("M3TD", "WideCamera", 6.7, 8064),  # a lens the table does not describe
        ("M3T", None, 15.0, 4000),  # no ImageSource and no lens at 15 mm
        ("FC9999", None, 4.0, 4000),
        (None, None, 4.0, 4000),
    ],
)
def test_unknown_lens_gets_no_entry(model, source, focal, width) -> None:
    assert sensor_spec(model, focal, image_source=source, width_px=width) is None


def test_a_one_camera_model_keeps_its_entry_under_any_lens_name() -> None:
    spec = sensor_spec("FC6310R", 8.8, image_source="Camera", width_px=5472)
    assert spec is not None and spec.width_mm == 13.2


def test_model_key_ignores_case_and_spaces() -> None:
    assert model_key("Zenmuse P1") == model_key("ZENMUSEP1") == "ZENMUSEP1"


def test_m3t_thermal_frame_takes_the_thermal_core_not_the_wide_sensor() -> None:
    """The issue's case: 9.1 mm on the wide camera's 6.4 mm sensor gave 910 px, 20 % long."""
    meta = make_meta(width_px=640, height_px=512, model="M3T", focal_mm=9.1,
                     image_source="InfraredCamera")  # fmt: skip
    camera = camera_from_meta(meta)
    assert camera.source == "sensor-table"
    assert camera.fx_px == pytest.approx(9.1 / 7.68 * 640)  # 758.3 px
    assert 9.1 / 6.4 * 640 / camera.fx_px == pytest.approx(1.2)


@pytest.mark.parametrize(
    ("model", "width", "height", "focal", "pitch_um"),
    [("M3T", 640, 512, 9.1, 12.0), ("M30T", 640, 512, 9.1, 12.0),
     ("ZH20T", 640, 512, 13.5, 12.0), ("M3TD", 1280, 1024, 9.1, 6.0),
     ("M4T", 1280, 1024, 12.0, 6.0), ("ZH30T", 1280, 1024, 24.0, 12.0)],
)  # fmt: skip
def test_thermal_gsd_is_range_times_pitch_over_focal(model, width, height, focal, pitch_um):
    """Nadir from 100 m: GSD = 100 m × pixel pitch / focal length (super-resolution halves
    the pitch of the written pixels)."""
    meta = make_meta(width_px=width, height_px=height, model=model, focal_mm=focal,
                     image_source="InfraredCamera")  # fmt: skip
    gsd = georeference(meta).gsd_cm_per_px()
    assert gsd == pytest.approx(100.0 * pitch_um * 1e-6 / (focal * 1e-3) * 100, rel=1e-6)


@pytest.mark.parametrize(
    ("model", "source", "size", "focal", "centre", "source_used", "fx"),
    [
        # an H20T zoom frame at 40 mm carrying a calibration of another zoom setting
        ("ZH20T", "ZoomCamera", (5184, 3888), 40.0, (2592.0, 1944.0), "sensor-table",
         40.0 / 7.46 * 5184),
        # a fixed wide lens keeps its calibration first, and so does a fixed tele
        ("M30T", "WideCamera", (4000, 3000), 4.5, (2000.0, 1500.0), "xmp-calibrated", 4750.0),
        ("M3E", "ZoomCamera", (4000, 3000), 30.0, (2000.0, 1500.0), "xmp-calibrated", 4750.0),
    ],
)  # fmt: skip
def test_zoom_frames_use_the_focal_length_at_capture(
    model, source, size, focal, centre, source_used, fx
) -> None:
    meta = make_meta(width_px=size[0], height_px=size[1], model=model, focal_mm=focal,
                     image_source=source, calibrated_focal_px=4750.0,
                     optical_center_x_px=centre[0], optical_center_y_px=centre[1])  # fmt: skip
    camera = camera_from_meta(meta)
    assert camera.source == source_used
    assert camera.fx_px == pytest.approx(fx)


@pytest.mark.parametrize(
    ("model", "source", "size", "xmp", "source_used"),
    [
        # H20N, M3TD wide, M4T tele: not in the table (pipeline.geo.sensors says why)
        ("ZH20N", "ZoomCamera", (1920, 1080), {}, "35mm-equivalent"),
        ("M3TD", "WideCamera", (8064, 6048), {}, "35mm-equivalent"),
        ("M4T", "ZoomCamera", (8064, 6048), {"calibrated_focal_px": 9000.0,
         "optical_center_x_px": 4032.0, "optical_center_y_px": 3024.0}, "xmp-calibrated"),
    ],
)  # fmt: skip
def test_cameras_outside_the_table_are_placed_from_what_their_frames_carry(
    model, source, size, xmp, source_used
) -> None:
    meta = make_meta(width_px=size[0], height_px=size[1], model=model, focal_mm=6.7,
                     focal_35mm=24.0, image_source=source, **xmp)  # fmt: skip
    assert sensor_spec(model, 6.7, image_source=source, width_px=size[0]) is None
    camera = camera_from_meta(meta)
    assert camera.source == source_used
    if source_used == "35mm-equivalent":  # 24 mm eq. over DJI's 43.27 mm diagonal of 4:3
        diagonal_px = size[0] * math.hypot(1.0, 3.0 / 4.0)
        assert camera.fx_px == pytest.approx(24.0 / 43.27 * diagonal_px, rel=1e-3)
