"""The engine: GSD-aware rescale per model, one decode, boxes back in frame pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.detect.engine import (
    LoadedModel,
    as_bgr,
    detect_file,
    detect_frame,
    load_model,
    load_models,
    model_scale,
    plan_for,
)
from pipeline.detect.taxonomy import load_taxonomy
from pipeline.errors import UnreadableFileError
from tests.detect.helpers import UNTRAINED, make_card, paint, paint_detector

BOX = (600, 300, 700, 380)


@pytest.mark.parametrize(
    ("frame_gsd", "train_gsd", "expected"),
    [
        (None, 5.0, 1.0),
        (3.0, None, 1.0),
        (3.0, 6.0, 0.5),  # a 100 m DJI still for the vehicles model: shrink 2x
        (6.0, 6.0, 1.0),
        (9.0, 6.0, 1.5),
        (20.0, 5.0, 2.0),  # capped: upscaling adds no detail
    ],
)
def test_model_scale(frame_gsd: float | None, train_gsd: float | None, expected: float) -> None:
    assert model_scale(make_card(train_gsd_cm_per_px=train_gsd), frame_gsd) == pytest.approx(
        expected
    )


def test_model_scale_refuses_nonsense_gsd() -> None:
    with pytest.raises(ValueError, match="positive"):
        model_scale(make_card(train_gsd_cm_per_px=5.0), -1.0)


def test_plan_for_folds_input_size_into_the_scale() -> None:
    card = make_card(
        tile={"size_px": 128, "overlap_frac": 0.2}, input_size_px=64, train_gsd_cm_per_px=4.0
    )
    plan = plan_for(card, (1000, 2000), gsd_cm_per_px=2.0)  # 0.5 for GSD, 0.5 for 128 -> 64
    assert plan.tile_px == 64 and plan.scaled_hw == (250, 500)


def fake_model(name: str, train_gsd: float | None, tile: int = 128) -> LoadedModel:
    card = make_card(
        name=name,
        train_gsd_cm_per_px=train_gsd,
        tile={"size_px": tile, "overlap_frac": 0.2},
        input_size_px=tile,
    )
    return LoadedModel(card, paint_detector(class_id=1), batch_size=5, class_map=card.class_map)


def test_every_model_runs_at_its_own_scale() -> None:
    frame = paint((800, 1200), [BOX])
    models = [fake_model("native", None), fake_model("coarse", 4.0), fake_model("fine", 1.0)]
    results = detect_frame(frame, models, gsd_cm_per_px=2.0)
    assert list(results) == ["native", "coarse", "fine"]
    assert results["native"].plan.scaled_hw == (800, 1200)
    assert results["coarse"].plan.scaled_hw == (400, 600)
    assert results["fine"].plan.scaled_hw == (1600, 2400)
    for name, result in results.items():
        assert len(result.detections) == 1, name
        np.testing.assert_allclose(result.detections.xyxy_px[0], BOX, atol=2.5)
    row = results["coarse"].records()[0]
    assert row["class"] == "truck" and row["subtype"] == "luancai.heavy_vehicle"
    assert row["tile_index"] >= 0 and row["conf"] == 0.9


def test_detect_file_decodes_once_with_ingest(tmp_path: Path) -> None:
    path = tmp_path / "frame.jpg"
    cv2.imwrite(str(path), paint((500, 700), [BOX]), [cv2.IMWRITE_JPEG_QUALITY, 95])
    result = detect_file(path, [fake_model("m", None)])["m"]
    np.testing.assert_allclose(result.detections.xyxy_px[0], BOX, atol=1.5)
    path.write_bytes(path.read_bytes()[:-200])  # truncated: refused, not grey rows
    with pytest.raises(UnreadableFileError, match="truncated"):
        detect_file(path, [fake_model("m", None)])


def test_as_bgr() -> None:
    assert as_bgr(np.zeros((4, 5), np.uint8)).shape == (4, 5, 3)
    assert as_bgr(np.zeros((4, 5, 4), np.uint8)).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="uint8"):
        as_bgr(np.zeros((4, 5, 3), np.float32))


def test_load_models_from_the_taxonomy(models_dir: Path, tmp_path: Path) -> None:
    from .test_taxonomy import TAXONOMY

    tax_path = tmp_path / "tax.yaml"
    text = TAXONOMY.read_text(encoding="utf-8").replace(
        "default_model: vehicles", "default_model: untrained"
    )
    tax_path.write_text(
        text.replace("models:\n", "models:\n  untrained:\n    enabled: true\n", 1), encoding="utf-8"
    )
    tax = load_taxonomy(tax_path)
    loaded = load_models(
        tax, models_dir=models_dir, skip_missing=True
    )  # vehicles/river-debris absent here
    assert [m.name for m in loaded] == [UNTRAINED]
    assert loaded[0].class_map == {c: None for c in loaded[0].card.classes}
    model = load_model(UNTRAINED, models_dir=models_dir, conf=0.001)
    frame = np.random.default_rng(1).integers(0, 256, (640, 640, 3), dtype=np.uint8)
    result = detect_frame(frame, [model])[UNTRAINED]
    assert len(result.plan) == 1 and len(result.detections) > 0
    assert result.detections.xyxy_px.max() <= 640
