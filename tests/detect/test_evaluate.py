"""YOLO folders, evaluation through the tiled engine, and the ``hehu eval`` command."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.cli import main
from pipeline.detect.engine import LoadedModel
from pipeline.detect.evaluate import evaluate_folder, shared_classes
from pipeline.detect.yolo_data import open_folder, read_labels, read_names
from pipeline.errors import BadInputError, ConfigError
from tests.detect.helpers import make_card, paint, paint_detector

BOXES = {"a": [(10, 10, 50, 40), (300, 100, 380, 160)], "b": [(100, 200, 260, 290)], "c": []}


def write_folder(root: Path, *, layout: str = "flat", names_file: str = "aerial.names") -> Path:
    """Three 300x400 PNGs with white boxes, labelled as class 'truck' (index 1)."""
    img_dir = root / "images" if layout == "ultralytics" else root
    lab_dir = root / "labels" if layout == "ultralytics" else root
    img_dir.mkdir(parents=True, exist_ok=True)
    lab_dir.mkdir(parents=True, exist_ok=True)
    for stem, boxes in BOXES.items():
        cv2.imwrite(str(img_dir / f"{stem}.png"), paint((300, 400), boxes))
        lines = [
            f"1 {(x1 + x2) / 800} {(y1 + y2) / 600} {(x2 - x1) / 400} {(y2 - y1) / 300}"
            for x1, y1, x2, y2 in boxes
        ]
        if boxes:  # "c" has no label file at all
            (lab_dir / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / names_file).write_text("car\ntruck\nboat\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("layout", ["flat", "ultralytics"])
def test_open_folder_and_labels(tmp_path: Path, layout: str) -> None:
    folder = open_folder(write_folder(tmp_path, layout=layout, names_file="classes.txt"))
    assert folder.names == ("car", "truck", "boat")
    assert [p.stem for p in folder.images] == ["a", "b", "c"]
    cls, xyxy = read_labels(folder.label_path(folder.images[0]), 400, 300, folder.names)
    assert cls.tolist() == [1, 1]
    np.testing.assert_allclose(xyxy, BOXES["a"], atol=1e-6)
    assert folder.label_path(folder.images[2]) is None
    assert read_labels(None, 400, 300, folder.names)[0].shape == (0,)


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a folder"):
        open_folder(tmp_path / "none")
    with pytest.raises(ConfigError, match="holds no images"):
        open_folder(tmp_path)
    with pytest.raises(BadInputError, match="no class names"):
        read_names(tmp_path)
    (tmp_path / "data.yaml").write_text("names: {0: car, 1: bus}\n", encoding="utf-8")
    assert read_names(tmp_path) == ("car", "bus")
    (tmp_path / "x.txt").write_text("7 0.5 0.5 0.1 0.1\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="class id 7 but the dataset names 2 classes"):
        read_labels(tmp_path / "x.txt", 10, 10, ("car", "bus"))
    (tmp_path / "x.txt").write_text("1 0.5 oops\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"x\.txt:1"):
        read_labels(tmp_path / "x.txt", 10, 10, ("car", "bus"))


def test_shared_classes() -> None:
    assert shared_classes(["car", "truck", "bus"], ("truck", "car", "boat")) == ["car", "truck"]
    with pytest.raises(ConfigError, match="share none"):
        shared_classes(["plastic"], ("car",))


def test_a_perfect_detector_scores_one_through_the_tiled_engine(tmp_path: Path) -> None:
    card = make_card(tile={"size_px": 128, "overlap_frac": 0.25}, input_size_px=128)
    model = LoadedModel(card, paint_detector(class_id=1), batch_size=4)  # card classes: car, truck
    result = evaluate_folder(model, open_folder(write_folder(tmp_path)))
    assert result.n_images == 3
    assert result.per_class["truck"].map50 == pytest.approx(1.0)
    assert result.per_class["truck"].map50_95 == pytest.approx(1.0)
    assert (result.precision, result.recall) == (1.0, 1.0)
    assert result.per_class["car"].n_gt == 0 and result.map50 == 1.0


def test_hehu_eval_json_on_the_untrained_model(models_dir: Path, tmp_path: Path, capsys) -> None:
    data = write_folder(tmp_path / "data")
    argv = [
        "eval",
        "--model",
        "untrained",
        "--data",
        str(data),
        "--models-dir",
        str(models_dir),
        "--json",
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"map50", "map50_95", "precision", "recall", "per_class"} <= set(doc)
    assert set(doc["per_class"]) == {"car", "truck"}  # 'boat' is not a model class
    assert set(doc["per_class"]["truck"]) == {"map50", "map50_95", "precision", "recall"}
    assert main(argv[:-1]) == 0
    table = capsys.readouterr().out
    assert "mAP50-95" in table and "truck" in table


def test_hehu_eval_uses_the_default_model(models_dir: Path, tmp_path: Path, capsys) -> None:
    tax = tmp_path / "taxonomy.yaml"
    from .test_taxonomy import TAXONOMY

    text = TAXONOMY.read_text(encoding="utf-8").replace(
        "default_model: vehicles", "default_model: untrained"
    )
    tax.write_text(
        text.replace("models:\n", "models:\n  untrained:\n    enabled: false\n", 1),
        encoding="utf-8",
    )
    data = write_folder(tmp_path / "data")
    assert (
        main(
            [
                "eval",
                "--data",
                str(data),
                "--models-dir",
                str(models_dir),
                "--taxonomy",
                str(tax),
                "--json",
            ]
        )
        == 0
    )
    assert "per_class" in json.loads(capsys.readouterr().out)


def test_precision_and_recall_at_another_confidence(tmp_path: Path) -> None:
    card = make_card(tile={"size_px": 128, "overlap_frac": 0.25}, input_size_px=128)
    model = LoadedModel(card, paint_detector(class_id=1), batch_size=4)
    folder = open_folder(write_folder(tmp_path))
    above = evaluate_folder(model, folder, conf=0.5)
    beyond = evaluate_folder(model, folder, conf=0.999)  # above every painted box's confidence
    assert (above.conf, above.recall) == (0.5, 1.0)
    assert (beyond.conf, beyond.recall) == (0.999, 0.0)
    assert beyond.map50 == above.map50 == 1.0  # AP does not depend on the operating point


def test_hehu_eval_reports_at_the_confidence_in_use(models_dir: Path, tmp_path: Path, capsys):
    from .test_taxonomy import TAXONOMY

    tax = tmp_path / "taxonomy.yaml"
    tax.write_text(TAXONOMY.read_text(encoding="utf-8").replace(
        "models:\n", "models:\n  untrained:\n    enabled: false\n    conf: 0.4\n", 1))  # fmt: skip
    data = write_folder(tmp_path / "data")
    argv = ["eval", "--model", "untrained", "--data", str(data), "--models-dir", str(models_dir),
            "--taxonomy", str(tax), "--json"]  # fmt: skip
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["conf"] == 0.4  # the deployment's
    assert main([*argv, "--conf", "0.6"]) == 0
    assert json.loads(capsys.readouterr().out)["conf"] == 0.6
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--conf", "1.5"])
    assert exit_.value.code == 2 and "between 0 and 1" in capsys.readouterr().err
