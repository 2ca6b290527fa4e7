"""prepare(): hard negatives from another dataset join the training part, boxes dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.errors import BadInputError
from pipeline.train.prepare import NEGATIVES, prepare
from pipeline.train.recipe import Negatives, Recipe
from tests.train.synth import make_yolo_dataset, two_source_frames


@pytest.fixture
def data_and_land(tmp_path: Path) -> Path:
    make_yolo_dataset(tmp_path / "water", two_source_frames())
    land = {  # two land videos with boxes of a class the model does not have
        f"DJI_{video}-{k:04d}.jpg": (320, 240, [(0, [10.0, 10.0, 60.0, 40.0])])
        for video in ("0007", "0008")
        for k in range(3)
    }
    make_yolo_dataset(tmp_path / "land", land, names=("bike",))
    return tmp_path / "water"


def _recipe(negatives: list[Negatives]) -> Recipe:
    return Recipe(
        name="toy",
        held_out_sources=["DJI_0002"],
        chips={"size_px": 128},
        tile={"size_px": 128},
        negatives=negatives,
    )


def test_negative_tiles_are_background_of_the_named_sources_only(
    data_and_land: Path, tmp_path: Path
) -> None:
    recipe = _recipe([Negatives(data="land", sources=["DJI_0007"], max_per_source=4)])
    prepared = prepare(data_and_land, recipe, tmp_path / "work")
    manifest = json.loads((prepared.train_yaml.parent / "chips.json").read_text())
    negatives = manifest[NEGATIVES]
    assert len(negatives) == 4  # 3 frames x 6 tiles of 128 px, capped at 4
    assert {e["source"] for e in negatives} == {"DJI_0007"}
    assert all(e["n_boxes"] == 0 for e in negatives)
    labels = list((prepared.train_yaml.parent / "labels" / NEGATIVES).glob("*.txt"))
    assert len(labels) == 4 and all(p.read_text().strip() == "" for p in labels)
    data = yaml.safe_load(prepared.train_yaml.read_text())
    assert data["train"] == ["images/train", f"images/{NEGATIVES}"]
    assert prepared.summary()[NEGATIVES]["background_chips"] == 4
    # the held-out part is untouched by negatives
    assert prepared.summary()["test"]["sources"] == ["DJI_0002"]


def test_without_negatives_the_training_part_is_one_folder(
    data_and_land: Path, tmp_path: Path
) -> None:
    prepared = prepare(data_and_land, _recipe([]), tmp_path / "work")
    assert yaml.safe_load(prepared.train_yaml.read_text())["train"] == "images/train"
    assert NEGATIVES not in prepared.summary()


@pytest.mark.parametrize(
    ("negatives", "message"),
    [
        (Negatives(data="nowhere", sources=["DJI_0007"]), "is not at"),
        (Negatives(data="land", sources=["DJI_0009"]), r"\['DJI_0009'\] are not in"),
    ],
)
def test_bad_negatives_name_the_recipe_and_the_fix(
    data_and_land: Path, tmp_path: Path, negatives: Negatives, message: str
) -> None:
    with pytest.raises(BadInputError, match=message):
        prepare(data_and_land, _recipe([negatives]), tmp_path / "work")
