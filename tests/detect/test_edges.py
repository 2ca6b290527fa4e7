"""Faint outlines: a floating item stands out sharply, a submerged one does not."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.detect.detections import Detections
from pipeline.detect.edges import edge_ratio
from pipeline.detect.engine import LoadedModel, detect_frame
from tests.detect.helpers import make_card

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "pipeline" / "data" / "sample_flight" / "brighton-beach"
RIVER = REPO.parent / "shared" / "data" / "river-plastic"
SHARP, FAINT = (100, 100, 140, 140), (300, 100, 340, 140)


def water(seed: int = 0) -> np.ndarray:
    """Smooth water with a crisp white item and a blurred, low-contrast one (as under water)."""
    rng = np.random.default_rng(seed)
    frame = np.clip(np.array((100, 70, 40)) + rng.normal(0, 2, (256, 512, 3)), 0, 255)
    x0, y0, x1, y1 = SHARP
    frame[y0:y1, x0:x1] = 255
    faint = np.zeros(frame.shape[:2], np.float32)
    x0, y0, x1, y1 = FAINT
    faint[y0 - 10 : y1 + 10, x0 - 10 : x1 + 10] = 1.0
    faint = cv2.GaussianBlur(faint, (0, 0), 12)[..., None]
    frame = frame * (1 - faint) + np.array((160, 120, 80)) * faint
    return frame.astype(np.uint8)


def test_a_crisp_item_outscores_a_blurred_one() -> None:
    sharp, faint = edge_ratio(water(), np.array([SHARP, FAINT], np.float32))
    assert sharp > 20 and faint < 4


def test_boxes_too_small_or_filling_the_frame_are_kept() -> None:
    frame = water()
    got = edge_ratio(frame, np.array([(10, 10, 11, 11), (0, 0, 512, 256)], np.float32))
    assert np.isinf(got).all()


def both_boxes(tiles: np.ndarray) -> list[Detections]:
    """A fake detector that finds both items (the frame is one tile at scale 1)."""
    assert len(tiles) == 1
    boxes = np.array([SHARP, FAINT], np.float32)
    return [Detections.from_arrays(boxes, np.full(2, 0.9), np.zeros(2))]


def test_a_card_threshold_drops_faint_boxes_and_counts_them() -> None:
    spec = dict(name="debris", classes=["plastic"], class_map={}, input_size_px=640,
                tile={"size_px": 640, "overlap_frac": 0.2})  # fmt: skip
    strict = LoadedModel(make_card(**spec, min_edge_ratio=4.0), both_boxes, 4, {})
    result = detect_frame(water(), [strict])["debris"]
    assert len(result.detections) == 1 and result.dropped_faint == 1
    np.testing.assert_allclose(result.detections.xyxy_px[0], SHARP, atol=1)
    plain = LoadedModel(make_card(**spec), both_boxes, 4, {})
    assert len(detect_frame(water(), [plain])["debris"].detections) == 2


def test_the_sample_flights_submerged_rock_is_faint() -> None:
    """The embedded sample's rock under clear lake water, once taken for floating garbage."""
    frame = cv2.imread(str(SAMPLE / "DJI_0030.JPG"))
    (ratio,) = edge_ratio(frame, np.array([(1452.3, 318.8, 1490.5, 359.9)], np.float32))
    assert ratio < 4.0


@pytest.mark.skipif(not RIVER.is_dir(), reason="needs ../shared/data/river-plastic")
def test_hand_labelled_floating_plastic_is_crisp() -> None:
    ratios = []
    for label in sorted(RIVER.glob("Grogol_Location_1_*.txt"))[::4]:
        frame = cv2.imread(str(label.with_suffix(".jpg")))
        h, w = frame.shape[:2]
        rows = [list(map(float, line.split()[1:5])) for line in label.read_text().splitlines()]
        boxes = [((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h)
                 for cx, cy, bw, bh in rows if bw > 0]  # fmt: skip
        if boxes:
            ratios.extend(edge_ratio(frame, np.array(boxes, np.float32)))
    assert len(ratios) > 200
    assert np.mean(np.array(ratios) < 4.0) < 0.01  # under 1 % of real floating items dropped
