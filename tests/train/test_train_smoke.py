"""``hehu train`` end to end on a tiny generated set: chips, 1 epoch, ONNX, held-out val, card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import build_parser, main
from tests.train.synth import make_yolo_dataset, two_source_frames

RECIPE = """\
name: toy
description: toy vehicles for the smoke test
classes: [car, truck]
class_map: {car: null, truck: luancai.heavy_vehicle}
train_gsd_cm_per_px: 10.0
reference_len_m: {car: 4.5}
held_out_sources: [DJI_0002]
chips: {size_px: 128, background_frac: 0.5}
tile: {size_px: 128, overlap_frac: 0.2}
train_args: {mosaic: 0.0}
licence:
  weights: AGPL-3.0-only
  data: [{name: synthetic toy frames, licence: CC0-1.0, source: tests/train/synth.py}]
"""


def test_parser_wires_train() -> None:
    args = build_parser().parse_args(["train", "--data", "d", "--model", "m", "--device", "0"])
    assert (
        args.func.__module__ == "pipeline.cli.train" and args.device == "0" and args.epochs == 100
    )


def test_chips_only_writes_both_datasets(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = make_yolo_dataset(tmp_path / "data", two_source_frames())
    (tmp_path / "models" / "toy").mkdir(parents=True)
    (tmp_path / "models" / "toy" / "train.yaml").write_text(RECIPE)
    work = tmp_path / "work"
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--model",
                "toy",
                "--out",
                str(tmp_path / "models"),
                "--work",
                str(work),
                "--chips-only",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out.split("\n", 2)[2])
    assert summary["train"]["sources"] == ["DJI_0001"] and summary["test"]["sources"] == [
        "DJI_0002"
    ]
    assert (work / "chips" / "toy" / "data.yaml").is_file()
    assert (work / "chips" / "toy-held-out" / "data.yaml").is_file()


@pytest.mark.slow  # one epoch of ultralytics training, ONNX export and evaluation
def test_train_export_eval_card(tmp_path: Path) -> None:
    from pipeline.detect.card import load_card

    data = make_yolo_dataset(tmp_path / "data", two_source_frames(n_per_source=2))
    models = tmp_path / "models"
    (models / "toy").mkdir(parents=True)
    (models / "toy" / "train.yaml").write_text(RECIPE)
    argv = [
        "train",
        "--data",
        str(data),
        "--model",
        "toy",
        "--out",
        str(models),
        "--work",
        str(tmp_path / "work"),
        "--epochs",
        "1",
        "--imgsz",
        "64",
        "--batch",
        "4",
        "--workers",
        "0",
    ]
    assert main(argv) == 0
    card = load_card(models, "toy", verify=True)  # sha256 of best.pt and best.onnx match
    assert card.classes == ["car", "truck"] and card.train_gsd_cm_per_px == 10.0
    assert card.training["split"]["held_out_sources"] == ["DJI_0002"]
    assert card.training["epochs"] == 1 and card.training["pretrained"] is False
    assert card.licence.weights == "AGPL-3.0-only" and card.licence.initial_weights is None
    assert [d.licence for d in card.licence.data] == ["CC0-1.0"]
    assert card.training["source_gsd_cm_per_px"]["DJI_0001"]["method"] == "objects"
    assert set(card.metrics["held_out"]) >= {
        "data",
        "map50",
        "map50_95",
        "precision",
        "recall",
        "per_class",
    }
    assert (models / "toy" / "best.onnx").stat().st_size > 1_000_000

    # Finishing again from the same weights keeps the version: the .pt did not change.
    kept = tmp_path / "kept.pt"
    shutil.copyfile(models / "toy" / "best.pt", kept)
    assert main([*argv, "--weights", str(kept)]) == 0
    again = load_card(models, "toy", verify=True)
    assert again.version == 1 and again.weights.pt.sha256 == card.weights.pt.sha256
    # ... and the training facts, though no fit.json lies beside the kept copy
    for key in ("epochs", "device", "date", "wall_s"):
        assert again.training[key] == card.training[key]
    assert set(again.metrics["held_out_engine"]) == {"DJI_0002"}


SHARED_PT = Path(__file__).resolve().parents[3] / "shared/weights/yolov5n-coco/yolov5n.pt"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--init", "yolov5n-coco", "--weights", "w.pt"], "give one of them"),
        (["--init", "yolov5n-coco", "--arch", "yolo11n.yaml"], "drop --arch"),
    ],
)
def test_init_refuses_contradicting_options(
    tmp_path: Path, capsys: pytest.CaptureFixture, extra: list, message: str
) -> None:
    if not SHARED_PT.is_file():
        pytest.skip(f"no {SHARED_PT}")
    (tmp_path / "w.pt").write_bytes(b"x")
    argv = ["train", "--data", str(tmp_path), "--model", "toy", "--work", str(tmp_path / "w")]
    assert main([*argv, *[str(tmp_path / a) if a == "w.pt" else a for a in extra]]) != 0
    assert message in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_PT.is_file(), reason=f"no {SHARED_PT}")
def test_train_from_coco_records_the_init_in_the_card(tmp_path: Path) -> None:
    from pipeline.detect.card import load_card

    data = make_yolo_dataset(tmp_path / "data", two_source_frames(n_per_source=2))
    models = tmp_path / "models"
    (models / "toy").mkdir(parents=True)
    (models / "toy" / "train.yaml").write_text(RECIPE)
    argv = ["train", "--data", str(data), "--model", "toy", "--out", str(models)]
    argv += ["--work", str(tmp_path / "work"), "--init", "yolov5n-coco", "--epochs", "1"]
    argv += ["--imgsz", "64", "--batch", "4", "--workers", "0", "--no-engine-check"]
    assert main(argv) == 0
    card = load_card(models, "toy", verify=True)
    assert card.architecture == "yolov5nu.yaml" and card.training["pretrained"] is True
    init = card.training["init"]
    assert init["sha256"] == "4f180cf23ba0717ada0badd6c685026d73d48f184d00fc159c2641284b2ac0a3"
    assert init["name"] == "yolov5n-coco" and init["tensors_transferred"] == 342
    assert card.training["epochs"] == 1 and "stopped_early" not in card.training
    start = card.licence.initial_weights
    assert start is not None and start.sha256 == init["sha256"] and "GPL-3.0" in start.licence


def test_a_recipe_without_licence_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    data = make_yolo_dataset(tmp_path / "data", two_source_frames())
    recipe = tmp_path / "models" / "toy" / "train.yaml"
    recipe.parent.mkdir(parents=True)
    recipe.write_text(RECIPE[: RECIPE.index("licence:")])
    argv = ["train", "--data", str(data), "--model", "toy", "--out", str(recipe.parents[1])]
    assert main([*argv, "--work", str(tmp_path / "work")]) != 0
    assert f"recipe {recipe} has no licence block" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()
