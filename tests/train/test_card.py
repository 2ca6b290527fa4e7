"""The card follows docs/MODEL_CARD.md (the loader's own schema) and pins both weight files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.detect.card import load_card
from pipeline.train.card import build_card, sha256_file, write_card
from pipeline.train.recipe import Recipe, RecipeLicence

LICENCE = RecipeLicence(weights="AGPL-3.0-only", data=[{"name": "cars", "licence": "MIT"}])


def card_for(model_dir: Path, pt_bytes: bytes) -> dict:
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "best.pt").write_bytes(pt_bytes)
    (model_dir / "best.onnx").write_bytes(b"onnx" + pt_bytes)
    recipe = Recipe(
        name=model_dir.name,
        description="test vehicles",
        class_map={"truck": "luancai.heavy_vehicle"},
        train_gsd_cm_per_px=6.0,
        licence=LICENCE,
    )
    return build_card(
        recipe,
        ("car", "truck"),
        pt_path=model_dir / "best.pt",
        onnx_path=model_dir / "best.onnx",
        architecture="yolo11n.yaml",
        input_size_px=640,
        training={"epochs": 3},
        held_out={
            "data": "x",
            "map50": 0.5,
            "map50_95": 0.3,
            "precision": 0.6,
            "recall": 0.4,
            "per_class": {},
        },
    )


def test_card_loads_with_the_detect_loader_and_hashes_match(tmp_path: Path) -> None:
    model_dir = tmp_path / "vehicles"
    path = write_card(model_dir, card_for(model_dir, b"weights-1"))
    card = load_card(tmp_path, "vehicles", verify=True)
    assert card.version == 1 and card.class_map == {"car": None, "truck": "luancai.heavy_vehicle"}
    assert card.weights.pt.sha256 == sha256_file(model_dir / "best.pt")
    assert card.train_gsd_cm_per_px == 6.0 and card.tile.size_px == 640
    data = yaml.safe_load(path.read_text())
    assert list(data)[:4] == ["name", "version", "description", "architecture"]


def test_version_goes_up_only_when_the_weights_change(tmp_path: Path) -> None:
    model_dir = tmp_path / "vehicles"
    write_card(model_dir, card_for(model_dir, b"weights-1"))
    write_card(model_dir, card_for(model_dir, b"weights-1"))
    assert load_card(tmp_path, "vehicles").version == 1
    write_card(model_dir, card_for(model_dir, b"weights-2"))
    assert load_card(tmp_path, "vehicles").version == 2


def test_a_card_the_schema_refuses_is_not_written(tmp_path: Path) -> None:
    from pipeline.detect.card import ModelCardError

    model_dir = tmp_path / "vehicles"
    card = card_for(model_dir, b"w")
    card["class_map"]["bicycle"] = None  # a class the model lacks
    with pytest.raises(ModelCardError, match="bicycle"):
        write_card(model_dir, card)
    assert not (model_dir / "card.yaml").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {"band": "visible", "surface": "any"}),  # the defaults are written out
        ({"surface": "water"}, {"band": "visible", "surface": "water"}),
        ({"band": "thermal", "surface": "any"}, {"band": "thermal", "surface": "any"}),
    ],
)
def test_band_and_surface_pass_from_recipe_to_card(
    tmp_path: Path, given: dict, expected: dict
) -> None:
    (tmp_path / "best.pt").write_bytes(b"pt")
    (tmp_path / "best.onnx").write_bytes(b"onnx")
    card = build_card(
        Recipe(name="m", licence=LICENCE, **given),
        ("a",),
        pt_path=tmp_path / "best.pt",
        onnx_path=tmp_path / "best.onnx",
        architecture="yolo11n.yaml",
        input_size_px=640,
        training={},
        held_out={},
    )
    assert {k: card[k] for k in ("band", "surface")} == expected
