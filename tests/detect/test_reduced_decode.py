"""A frame is decoded at the size its models use: libjpeg's DCT scaling, stored orientation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.detect.engine import (
    LoadedModel,
    decode_frame,
    detect_frame,
    frame_reduction,
    model_reduction,
    plan_for,
)
from pipeline.detect.tiling import plan_tiles, reduced_hw, scale_frame
from tests.detect.helpers import make_card, paint, paint_detector
from tests.detect.test_water import blue_is_water
from tests.ingest.synth import write_jpeg


@pytest.mark.parametrize("orientation", [1, 6, 8])
@pytest.mark.parametrize("reduce", [1, 2, 4, 8])
def test_reduced_decode_keeps_the_stored_orientation_and_rounds_up(
    tmp_path: Path, orientation: int, reduce: int
) -> None:
    path = write_jpeg(tmp_path / "f.jpg", 203, 101, orientation=orientation, seed=3)
    full = decode_frame(path)
    assert full.shape[:2] == (101, 203)  # as stored: the camera model's pixels
    small = decode_frame(path, reduce=reduce)
    assert small.shape == (*reduced_hw((101, 203), reduce), 3)
    resized = cv2.resize(full, small.shape[1::-1], interpolation=cv2.INTER_AREA)
    inner = (slice(1, -1), slice(1, -1))  # libjpeg and INTER_AREA differ at the edge
    assert np.abs(small[inner].astype(int) - resized[inner]).mean() < 12


def test_reduce_must_be_a_dct_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reduce must be one of"):
        decode_frame(write_jpeg(tmp_path / "f.jpg", 64, 48), reduce=3)


def model(**kw) -> LoadedModel:
    card = make_card(tile={"size_px": 640, "overlap_frac": 0.2}, input_size_px=640, **kw)
    water = blue_is_water if kw.get("surface") == "water" else None
    return LoadedModel(card, paint_detector(), class_map={}, water=water)


@pytest.mark.parametrize(
    ("kw", "gsd", "expected"),
    [
        ({"train_gsd_cm_per_px": 6.0}, 1.7, 2),  # Brighton for vehicles: 0.28, not under 1/4
        ({"train_gsd_cm_per_px": 6.0}, 1.4, 4),  # 0.23
        ({"train_gsd_cm_per_px": 6.0}, 0.5, 8),
        ({"train_gsd_cm_per_px": 6.0}, 3.1, 1),  # 0.52: shrinks, but by less than half
        ({"train_gsd_cm_per_px": None}, 1.7, 1),  # native scale
        ({"train_gsd_cm_per_px": 6.0, "min_edge_ratio": 4.0}, 0.5, 1),  # judges outlines
        ({"train_gsd_cm_per_px": 6.0, "surface": "water"}, 0.5, 2),  # water estimate: 1024 px
    ],
)
def test_model_reduction(kw: dict, gsd: float, expected: int) -> None:
    m = model(**kw)
    assert model_reduction(m, plan_for(m.card, (3000, 4000), gsd)) == expected


def test_the_frame_is_decoded_for_the_model_that_needs_the_most() -> None:
    fine, coarse = (
        model(name="a", train_gsd_cm_per_px=6.0),
        model(name="b", train_gsd_cm_per_px=3.0),
    )
    assert frame_reduction([fine], (3000, 4000), gsd_cm_per_px=0.5) == 8
    assert frame_reduction([fine, coarse], (3000, 4000), gsd_cm_per_px=0.5) == 4
    assert frame_reduction([fine], (3000, 4000), gsd_cm_per_px=0.5, band="thermal") is None


def test_boxes_from_a_reduced_frame_come_back_in_full_frame_pixels() -> None:
    box = (1200, 800, 1400, 960)
    full = paint((2000, 3000), [box])
    m = model(train_gsd_cm_per_px=6.0)
    small = cv2.resize(full, (750, 500), interpolation=cv2.INTER_AREA)  # as a 1/4 decode
    got = detect_frame(small, [m], gsd_cm_per_px=1.2, frame_hw=(2000, 3000))["fake"]
    ref = detect_frame(full, [m], gsd_cm_per_px=1.2)["fake"]
    assert len(got.detections) == len(ref.detections) == 1
    np.testing.assert_allclose(got.detections.xyxy_px, ref.detections.xyxy_px, atol=6)
    np.testing.assert_allclose(got.detections.xyxy_px[0], box, atol=6)


def test_scale_frame_takes_a_reduced_frame_only() -> None:
    plan = plan_tiles((100, 300), tile_px=64, scale=0.2)
    assert scale_frame(np.zeros((25, 75, 3), np.uint8), plan).shape == (20, 60, 3)
    with pytest.raises(ValueError, match="plan was made for"):
        scale_frame(np.zeros((30, 75, 3), np.uint8), plan)
