"""Model cards: parsing, and refusing weights without a card or with another hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from pipeline.detect.card import ModelCardError, WeightsMismatchError, load_card
from pipeline.errors import ConfigError
from tests.detect.helpers import card_dict, licence_dict


def write_model(
    models: Path, name: str = "fake", weights: bytes = b"onnx bytes", **changes
) -> Path:
    folder = models / name
    folder.mkdir(parents=True)
    (folder / "best.onnx").write_bytes(weights)
    digest = hashlib.sha256(weights).hexdigest()
    card = card_dict(
        name=name, weights={"onnx": {"file": "best.onnx", "sha256": digest}}, **changes
    )
    (folder / "card.yaml").write_text(yaml.safe_dump(card), encoding="utf-8")
    return folder


def test_a_good_card_loads(tmp_path: Path) -> None:
    folder = write_model(tmp_path)
    card = load_card(tmp_path, "fake")
    assert card.classes == ["car", "truck"] and card.tile.size_px == 64
    assert card.dir == folder and card.weights_path("onnx") == folder / "best.onnx"
    with pytest.raises(ModelCardError, match="lists no pt weights"):
        card.weights_path("pt")


def test_weights_without_a_card_are_refused(tmp_path: Path) -> None:
    (tmp_path / "vehicles").mkdir()
    (tmp_path / "vehicles" / "best.pt").write_bytes(b"x")
    with pytest.raises(ModelCardError) as err:
        load_card(tmp_path, "vehicles")
    msg = str(err.value)
    assert (
        "refusing weights best.pt" in msg and "no card.yaml" in msg and "docs/MODEL_CARD.md" in msg
    )
    assert isinstance(err.value, ConfigError) and isinstance(err.value, ValueError)


def test_missing_folder_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ModelCardError, match=r"no model folder .*hehu train"):
        load_card(tmp_path, "river-debris")


def test_changed_weights_are_refused_naming_file_and_both_hashes(tmp_path: Path) -> None:
    folder = write_model(tmp_path)
    expected = hashlib.sha256(b"onnx bytes").hexdigest()
    (folder / "best.onnx").write_bytes(b"other bytes")
    found = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(WeightsMismatchError) as err:
        load_card(tmp_path, "fake")
    msg = str(err.value)
    assert str(folder / "best.onnx") in msg and expected in msg and found in msg
    assert "hehu train" in msg and "weights.onnx.sha256" in msg
    assert load_card(tmp_path, "fake", verify=False).name == "fake"


def test_listed_weights_that_are_missing_are_refused(tmp_path: Path) -> None:
    folder = write_model(tmp_path)
    (folder / "best.onnx").unlink()
    with pytest.raises(ModelCardError, match="does not exist"):
        load_card(tmp_path, "fake")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "colour"),
        ({"classes": ["car", "car"]}, "duplicates"),
        ({"class_map": {"boat": None}}, "class_map names classes the model lacks"),
        ({"tile": {"size_px": 640}}, "overlap_frac"),
        ({"thresholds": {"conf": 0, "iou": 0.5}}, "conf"),
        ({"train_gsd_cm_per_px": -1}, "train_gsd_cm_per_px"),
        ({"weights": {}}, "at least one of pt / onnx"),
        ({"weights": {"onnx": {"file": "best.onnx", "sha256": "abc"}}}, "sha256"),
    ],
)
def test_bad_cards_are_refused(tmp_path: Path, changes: dict, message: str) -> None:
    folder = tmp_path / "fake"
    folder.mkdir()
    (folder / "card.yaml").write_text(yaml.safe_dump(card_dict(**changes)), encoding="utf-8")
    with pytest.raises(ModelCardError, match=message):
        load_card(tmp_path, "fake", verify=False)


def test_card_name_must_match_its_folder(tmp_path: Path) -> None:
    write_model(tmp_path, "fake")
    (tmp_path / "fake").rename(tmp_path / "other")
    with pytest.raises(ModelCardError, match="lives in models/other/"):
        load_card(tmp_path, "other")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("licence",), "licence"),
        (("licence", "weights"), "licence.weights"),
        (("licence", "initial_weights"), "licence.initial_weights"),
        (("licence", "initial_weights", "sha256"), "licence.initial_weights.sha256"),
        (("licence", "initial_weights", "licence"), "licence.initial_weights.licence"),
        (("licence", "data"), "licence.data"),
        (("licence", "data", 0, "licence"), r"licence.data\[0\].licence"),
    ],
)
def test_a_card_without_its_licence_facts_is_refused_naming_field_and_file(
    tmp_path: Path, path: tuple, field: str
) -> None:
    folder = write_model(tmp_path)
    card = yaml.safe_load((folder / "card.yaml").read_text())
    holder = card
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    (folder / "card.yaml").write_text(yaml.safe_dump(card), encoding="utf-8")
    with pytest.raises(ModelCardError, match=rf"card.yaml lacks {field}: every card says") as e:
        load_card(tmp_path, "fake")
    assert str(folder / "card.yaml") in str(e.value) and isinstance(e.value, ConfigError)


def test_random_weights_say_initial_weights_null_and_must_not_claim_a_start(
    tmp_path: Path,
) -> None:
    write_model(tmp_path, licence=licence_dict(initial_weights=None))
    assert load_card(tmp_path, "fake").licence.initial_weights is None
    claimed = {"pretrained": True}
    write_model(tmp_path, "claims", licence=licence_dict(initial_weights=None), training=claimed)
    with pytest.raises(ModelCardError, match=r"licence\.initial_weights is null"):
        load_card(tmp_path, "claims")


def test_initial_weights_must_be_those_training_started_from(tmp_path: Path) -> None:
    write_model(tmp_path, training={"init": {"name": "other", "sha256": "1" * 64}})
    with pytest.raises(ModelCardError, match=r"training\.init\.sha256 is 1111"):
        load_card(tmp_path, "fake")
