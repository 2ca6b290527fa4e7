"""Detections on the ground through pipeline.geo: footprints, centres, areas."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.detect.detections import Detections
from pipeline.detect.ground_boxes import (
    box_outline_px,
    frame_georef,
    frame_gsd_cm_per_px,
    locate_detections,
    polygon_area,
)
from pipeline.records import DjiXmp, FrameMeta, GpsFix


def meta(pitch_deg: float = -90.0, gps: bool = True) -> FrameMeta:
    """A Phantom 3 (FC300S) frame 40 m up, heading north."""
    return FrameMeta(
        path="synthetic.jpg", sha256="0" * 64, size_bytes=1, media_type="image/jpeg",
        width_px=4000, height_px=2250, make="DJI", model="FC300S", focal_mm=3.61,
        focal_35mm=20.0, exif_width_px=4000,
        gps=GpsFix(lat_deg=30.0, lon_deg=114.0) if gps else None,
        xmp=DjiXmp(rel_alt_m=40.0, gimbal_pitch_deg=pitch_deg, gimbal_yaw_deg=0.0,
                   gimbal_roll_deg=0.0),
    )  # fmt: skip


def test_outline_and_shoelace() -> None:
    outline = box_outline_px(np.array([[10, 20, 30, 60]]))
    assert outline.shape == (1, 8, 2)
    assert outline[0].tolist() == [
        [10, 20],
        [20, 20],
        [30, 20],
        [30, 40],
        [30, 60],
        [20, 60],
        [10, 60],
        [10, 40],
    ]
    assert polygon_area(outline).tolist() == [800.0]
    assert polygon_area(outline[:, ::-1]).tolist() == [800.0]


def test_nadir_box_area_is_pixels_times_gsd_squared() -> None:
    georef = frame_georef(meta())
    gsd_m = frame_gsd_cm_per_px(georef) / 100
    assert 1.5 < gsd_m * 100 < 2.0  # ≈ 1.7 cm/px at 40 m on the FC300S
    boxes = np.array([[1900, 1025, 2100, 1225], [100, 100, 400, 250]], np.float32)
    ground = locate_detections(Detections.from_arrays(boxes, [0.9, 0.8], [0, 1]), georef)
    assert ground.hit.all()
    expected = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) * gsd_m**2
    np.testing.assert_allclose(ground.area_m2, expected, rtol=0.02)
    # The box around the image centre lies below the camera.
    assert ground.center_lat_deg[0] == pytest.approx(30.0, abs=2e-6)
    assert ground.center_lon_deg[0] == pytest.approx(114.0, abs=2e-6)
    # Heading north: the top of the image is north, so the top edge has the larger latitude.
    assert ground.footprint_latlon_deg[1, 0, 0] > ground.footprint_latlon_deg[1, 6, 0]
    ring = ground.ring_latlon(1)
    assert len(ring) == 9 and ring[0] == ring[-1]


def test_oblique_boxes_grow_with_distance_and_miss_above_the_horizon() -> None:
    georef = frame_georef(meta(pitch_deg=-15.0))  # the top rows look above the horizon
    boxes = np.array(
        [[1950, 1800, 2050, 1900], [1950, 1200, 2050, 1300], [1950, 0, 2050, 100]], np.float32
    )
    ground = locate_detections(Detections.from_arrays(boxes, [0.9] * 3, [0] * 3), georef)
    assert ground.hit.tolist() == [True, True, False]
    assert ground.area_m2[1] > ground.area_m2[0] > 0
    assert np.isnan(ground.area_m2[2])


def test_no_geotag_no_georef() -> None:
    assert frame_georef(meta(gps=False)) is None
    assert frame_gsd_cm_per_px(None) is None


def test_empty_detections() -> None:
    ground = locate_detections(Detections.empty(), frame_georef(meta()))
    assert len(ground) == 0 and ground.footprint_en_m.shape == (0, 8, 2)
