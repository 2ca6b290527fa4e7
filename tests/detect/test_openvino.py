"""OpenVINO runs the card's ONNX weights with ONNX Runtime's outputs, within tolerance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.detect.backends import load_detector
from pipeline.detect.card import load_card
from pipeline.detect.metrics import box_iou
from pipeline.errors import MissingDependencyError
from tests.detect.helpers import REPO_ROOT, UNTRAINED

from .test_backends import LOW_CONF, tiles  # noqa: F401 (a fixture)

pytest.importorskip("openvino")


def test_f32_gives_onnx_runtimes_raw_output(untrained_cache: Path, tiles: np.ndarray) -> None:  # noqa: F811
    from pipeline.detect.backends.openvino import OpenVinoDetector

    card = load_card(untrained_cache, UNTRAINED)
    ov = OpenVinoDetector(card.weights_path("onnx"), conf=LOW_CONF, iou=0.5, batch_size=2,
                          precision="f32")  # fmt: skip
    ort = load_detector(card, "onnx", conf=LOW_CONF, batch_size=2)
    a, b = ov.forward(tiles), ort.forward(tiles)
    assert a.shape == b.shape == (3, 4 + 5, 8400)
    np.testing.assert_allclose(a[:, :4], b[:, :4], atol=1e-2)  # box pixels
    np.testing.assert_allclose(a[:, 4:], b[:, 4:], atol=1e-5)  # sigmoid scores


def test_default_precision_finds_the_same_boxes_on_real_weights(tiles: np.ndarray) -> None:  # noqa: F811
    models = REPO_ROOT / "models"
    if not (models / "vehicles" / "card.yaml").is_file():
        pytest.skip("models/vehicles not there")
    card = load_card(models, "vehicles")
    ov, ort = load_detector(card, "openvino", conf=0.05), load_detector(card, "onnx", conf=0.05)
    for a, b in zip(ov(tiles), ort(tiles), strict=True):
        assert abs(len(a) - len(b)) <= max(1, len(b) // 10)
        if len(a) and len(b):
            iou = box_iou(b.xyxy_px, a.xyxy_px)
            matched = iou.max(axis=1) > 0.9
            assert matched.mean() >= 0.9
            conf_a = a.conf[iou.argmax(axis=1)[matched]]
            np.testing.assert_allclose(conf_a, b.conf[matched], atol=0.03)


def test_without_openvino_the_onnx_runtime_runs(
    untrained_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.detect.backends.openvino as backend

    def missing(*a, **k):
        raise MissingDependencyError("the OpenVINO backend needs openvino")

    monkeypatch.setattr(backend, "compile_model", missing)
    detector = load_detector(load_card(untrained_cache, UNTRAINED), "openvino")
    assert type(detector).__name__ == "OnnxDetector"
