"""The trained models in models/ on real frames (skipped until their cards exist).

DJI_0010.JPG (aerial-cars) is a real geotagged 4000×2250 DJI still at ≈ 3.2
cm/px with labelled vehicles: the vehicles model runs at its training GSD and
its car boxes land on the ground at car size. A river-plastic frame checks
the river-debris model at native scale. Held-out figures are `hehu eval`'s job;
these only check that the real weights work end to end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.detect.engine import load_model
from pipeline.detect.image_file import detect_image_file
from pipeline.detect.metrics import box_iou
from pipeline.detect.yolo_data import read_labels, read_names
from tests.detect.helpers import REPO_ROOT

MODELS = REPO_ROOT / "models"


def need(name: str) -> None:
    if not (MODELS / name / "card.yaml").is_file():
        pytest.skip(f"models/{name}/card.yaml not there yet (hehu train writes it)")


def recall_at_50(pred_xyxy: np.ndarray, gt_xyxy: np.ndarray) -> float:
    if len(gt_xyxy) == 0:
        return 1.0
    if len(pred_xyxy) == 0:
        return 0.0
    return float((box_iou(gt_xyxy, pred_xyxy).max(axis=1) >= 0.5).mean())


def test_vehicles_on_a_geotagged_dji_still(shared_data: Path) -> None:
    need("vehicles")
    frame = shared_data / "aerial-cars" / "DJI_0010.JPG"
    model = load_model("vehicles", models_dir=MODELS)
    report = detect_image_file(frame, [model])
    assert report.geotagged and 2.5 < report.gsd_cm_per_px < 4.0
    cars = [r for r in report.rows if r["class"] == "car"]
    assert cars, "no car found on a frame with labelled cars"
    gt_cls, gt_xyxy = read_labels(
        frame.with_suffix(".txt"), report.width_px, report.height_px, read_names(frame.parent)
    )
    pred = np.array([r["xyxy_px"] for r in cars])
    assert recall_at_50(pred, gt_xyxy[gt_cls == 0]) >= 0.5
    # A car's axis-aligned box covers roughly 6-25 m² on the ground.
    areas = np.array([r["area_m2"] for r in cars])
    assert 4 < np.median(areas) < 30


def test_vehicles_onnx_and_torch_agree_on_real_weights(shared_data: Path) -> None:
    need("vehicles")
    from pipeline.detect.engine import decode_frame, detect_frame

    frame = decode_frame(shared_data / "aerial-cars" / "DJI_0010.JPG")
    models = {be: load_model("vehicles", models_dir=MODELS, backend=be) for be in ("onnx", "torch")}
    onnx = detect_frame(frame, [models["onnx"]], gsd_cm_per_px=3.2)
    torch = detect_frame(frame, [models["torch"]], gsd_cm_per_px=3.2)
    a, b = onnx["vehicles"].detections, torch["vehicles"].detections
    assert abs(len(a) - len(b)) <= max(1, len(a) // 20)
    if len(a) and len(b):
        assert np.median(box_iou(a.xyxy_px, b.xyxy_px).max(axis=1)) > 0.98


def test_river_debris_on_a_river_frame(shared_data: Path) -> None:
    need("river-debris")
    folder = shared_data / "river-plastic"
    frames = sorted(folder.glob("*Location_1*.jpg"))[:1] or sorted(folder.glob("*.jpg"))[:1]
    model = load_model("river-debris", models_dir=MODELS)
    report = detect_image_file(frames[0], [model])
    assert not report.geotagged and report.gsd_cm_per_px is None
    rows = report.rows
    assert all(r["subtype"] == "luandui.floating_garbage" for r in rows)
    _, gt = read_labels(
        frames[0].with_suffix(".txt"), report.width_px, report.height_px, read_names(folder)
    )
    if len(gt) >= 3:
        assert recall_at_50(np.array([r["xyxy_px"] for r in rows]).reshape(-1, 4), gt) > 0.2


@pytest.mark.parametrize("name", ["DJI-00760-00001.jpg", "DJI-00760-00021.jpg"])
def test_river_debris_finds_nearly_nothing_on_a_street(shared_data: Path, name: str) -> None:
    """A Minsk crossroads never seen in training: the water gate leaves (nearly) nothing."""
    need("river-debris")
    frame = shared_data / "aerial-cars" / name
    if not frame.is_file():
        pytest.skip(f"{frame} not there")
    model = load_model("river-debris", models_dir=MODELS)
    report = detect_image_file(frame, [model], use_geotag=False)
    assert len(report.rows) <= 1
