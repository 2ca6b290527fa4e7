"""ONNX Runtime and PyTorch backends on the same (untrained) weights."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.detect.backends import load_detector, yolo
from pipeline.detect.card import load_card
from pipeline.detect.metrics import box_iou
from pipeline.errors import ConfigError
from tests.detect.helpers import REPO_ROOT, UNTRAINED

BRIGHTON = REPO_ROOT.parent / "shared" / "data" / "brighton_beach" / "DJI_0018.JPG"
LOW_CONF = 0.001  # the untrained head scores ~0.0025 everywhere


@pytest.fixture(scope="module")
def tiles() -> np.ndarray:
    """Three 640-px BGR tiles: real pixels when ../shared is there, else seeded noise."""
    if BRIGHTON.is_file():
        import cv2

        img = cv2.imread(str(BRIGHTON))
        return np.stack([img[:640, :640], img[1000:1640, 2000:2640], img[1500:2140, 3000:3640]])
    return np.random.default_rng(0).integers(0, 256, (3, 640, 640, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def detectors(untrained_cache: Path):
    card = load_card(untrained_cache, UNTRAINED)
    return (
        load_detector(card, "onnx", conf=LOW_CONF, batch_size=2),
        load_detector(card, "torch", conf=LOW_CONF, batch_size=2),
    )


def test_preprocess_is_rgb_over_255_chw() -> None:
    tiles = np.zeros((1, 2, 2, 3), np.uint8)
    tiles[..., 0], tiles[..., 1], tiles[..., 2] = 10, 20, 255  # B, G, R
    x = yolo.preprocess(tiles)
    assert x.shape == (1, 3, 2, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, 0, 0], [1.0, 20 / 255, 10 / 255], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(B, S, S, 3\) uint8"):
        yolo.preprocess(np.zeros((2, 2, 3), np.uint8))


def test_decode_keeps_best_class_and_runs_class_wise_nms() -> None:
    out = np.zeros((1, 4 + 2, 3), np.float32)
    out[0, :4, 0] = [50, 50, 20, 20]  # cx, cy, w, h
    out[0, :4, 1] = [51, 50, 20, 20]  # same object, lower score: suppressed
    out[0, :4, 2] = [51, 50, 20, 20]  # same place, other class: kept
    out[0, 4:, 0] = [0.9, 0.1]
    out[0, 4:, 1] = [0.8, 0.1]
    out[0, 4:, 2] = [0.1, 0.7]
    (d,) = yolo.decode(out, conf=0.25, iou=0.5, input_hw=(64, 64))
    assert d.class_id.tolist() == [0, 1]
    np.testing.assert_allclose(d.xyxy_px, [[40, 40, 60, 60], [41, 40, 61, 60]])
    (clipped,) = yolo.decode(out, conf=0.25, iou=0.5, input_hw=(55, 58))
    np.testing.assert_allclose(clipped.xyxy_px[0], [40, 40, 58, 55])


def test_onnx_and_torch_give_the_same_raw_output(detectors, tiles: np.ndarray) -> None:
    onnx_det, torch_det = detectors
    a, b = onnx_det.forward(tiles), torch_det.forward(tiles)
    assert a.shape == b.shape == (3, 4 + 5, 8400)
    np.testing.assert_allclose(a[:, :4], b[:, :4], atol=1e-2)  # box pixels
    np.testing.assert_allclose(a[:, 4:], b[:, 4:], atol=1e-5)  # sigmoid scores


def test_onnx_and_torch_give_the_same_detections(detectors, tiles: np.ndarray) -> None:
    onnx_det, torch_det = detectors
    for a, b in zip(onnx_det(tiles), torch_det(tiles), strict=True):
        assert len(a) == len(b) > 0
        iou = box_iou(a.xyxy_px, b.xyxy_px)
        assert (iou.max(axis=1) > 0.999).all()
        np.testing.assert_allclose(np.sort(a.conf), np.sort(b.conf), atol=1e-5)


def test_our_decoding_matches_ultralytics_predict(
    detectors, tiles: np.ndarray, untrained_cache: Path
) -> None:
    from pipeline.ultra import import_ultralytics

    import_ultralytics()
    from ultralytics import YOLO

    model = YOLO(str(untrained_cache / UNTRAINED / "best.pt"))
    ref = model.predict(list(tiles), imgsz=640, conf=LOW_CONF, iou=0.5, verbose=False)
    for ours, theirs in zip(detectors[0](tiles), ref, strict=True):
        assert len(ours) == len(theirs.boxes)
        iou = box_iou(ours.xyxy_px, theirs.boxes.xyxy.numpy())
        assert (iou.max(axis=1) > 0.999).all()
        np.testing.assert_allclose(
            np.sort(ours.conf), np.sort(theirs.boxes.conf.numpy()), atol=1e-5
        )


def test_batching_does_not_change_results(untrained_cache: Path, tiles: np.ndarray) -> None:
    card = load_card(untrained_cache, UNTRAINED)
    one = load_detector(card, "onnx", conf=LOW_CONF, batch_size=1).forward(tiles)
    three = load_detector(card, "onnx", conf=LOW_CONF, batch_size=3).forward(tiles)
    np.testing.assert_allclose(one, three, atol=1e-4)


def test_unknown_backend(untrained_cache: Path) -> None:
    with pytest.raises(ConfigError, match="unknown detector backend 'tensorrt'"):
        load_detector(load_card(untrained_cache, UNTRAINED), "tensorrt")


def test_the_onnx_path_never_imports_torch(untrained_cache: Path) -> None:
    code = f"""
import json, sys
import numpy as np
import pipeline
from pipeline.detect.engine import load_model, detect_frame
model = load_model({UNTRAINED!r}, models_dir={str(untrained_cache)!r}, backend="onnx", conf=0.001)
frame = np.random.default_rng(0).integers(0, 256, (700, 900, 3), dtype=np.uint8)
result = detect_frame(frame, [model])[{UNTRAINED!r}]
heavy = [m for m in ("torch", "torchvision", "ultralytics") if m in sys.modules]
print(json.dumps({{"heavy": heavy, "tiles": len(result.plan), "boxes": len(result.detections)}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["heavy"] == []
    assert doc["tiles"] == 4 and doc["boxes"] > 0
