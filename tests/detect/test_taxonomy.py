"""The 四乱 taxonomy file and its mapping of model classes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.detect.taxonomy import TYPE_IDS, load_taxonomy, parse_taxonomy
from pipeline.errors import ConfigError
from tests.detect.helpers import REPO_ROOT, make_card

TAXONOMY = REPO_ROOT / "configs" / "taxonomy.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))


def test_repo_taxonomy_loads_with_the_ids_the_ledger_uses() -> None:
    tax = load_taxonomy(TAXONOMY)
    assert tuple(tax.types) == TYPE_IDS == ("luanzhan", "luancai", "luandui", "luanjian")
    assert [tax.types[t].zh for t in TYPE_IDS] == ["乱占", "乱采", "乱堆", "乱建"]
    for sid in (
        "luandui.floating_garbage", "luandui.construction_waste", "luancai.heavy_vehicle",
        "luancai.sand_pit", "luancai.dredger", "luanjian.building", "luanjian.shed",
        "luanzhan.fish_pond", "luanzhan.crops",
    ):  # fmt: skip
        assert sid in tax.subtype_ids()
    sub = tax.subtype("luandui.floating_garbage")
    assert (sub.type_zh, sub.type_en, sub.en) == ("乱堆", "illegal dumping", "floating garbage")
    assert tax.default_model in tax.models
    assert tax.enabled_models()[0] == tax.default_model


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["types"]["luandui"].update(extra=1), "extra"),
        (lambda d: d.update(default_model="nope"), "default_model 'nope' is not one of models"),
        (lambda d: d["types"].pop("luanjian"), "types must be exactly"),
        (lambda d: d.update(overrides={"vehicles/truck": "luancai.nope"}), "is not a subtype id"),
        (lambda d: d.update(overrides={"truck": None}), "must look like 'MODEL/CLASS'"),
        (lambda d: d["models"]["vehicles"].update(conf=1.5), r"models\.vehicles\.conf"),
        (lambda d: d["models"]["vehicles"].update(conf=0), r"models\.vehicles\.conf"),
        (
            lambda d: d["types"]["luandui"]["subtypes"].update({"Bad-Key": {"zh": "x", "en": "x"}}),
            "lower_snake_case",
        ),
    ],
)
def test_bad_taxonomies_are_refused(raw: dict, change, message: str) -> None:
    import copy

    data = copy.deepcopy(raw)
    change(data)
    with pytest.raises(ConfigError, match=message):
        parse_taxonomy(data)


def test_a_deployment_confidence_per_model(raw: dict) -> None:
    import copy

    data = copy.deepcopy(raw)
    data["models"]["vehicles"]["conf"] = 0.4
    tax = parse_taxonomy(data)
    assert tax.conf("vehicles") == 0.4
    assert tax.conf("river-debris") is None  # the card's
    assert tax.conf("not-listed") is None


def test_class_map_from_card_with_overrides(raw: dict) -> None:
    card = make_card(name="vehicles")
    tax = parse_taxonomy(raw)
    assert tax.class_map(card) == {"car": None, "truck": "luancai.heavy_vehicle"}
    tax = parse_taxonomy(
        {**raw, "overrides": {"vehicles/car": "luancai.heavy_vehicle", "vehicles/truck": None}}
    )
    assert tax.class_map(card) == {"car": "luancai.heavy_vehicle", "truck": None}
    tax = parse_taxonomy({**raw, "overrides": {"vehicles/boat": None}})
    with pytest.raises(ConfigError, match="has no class 'boat'"):
        tax.class_map(card)


def test_card_mapping_to_an_unknown_subtype_is_refused(raw: dict) -> None:
    card = make_card(name="vehicles", class_map={"truck": "luancai.lorry"})
    with pytest.raises(
        ConfigError, match=r"'luancai\.lorry', which configs/taxonomy\.yaml does not define"
    ):
        parse_taxonomy(raw).class_map(card)
    with pytest.raises(ConfigError, match="unknown 四乱 subtype id"):
        parse_taxonomy(raw).subtype("luancai.lorry")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the taxonomy"):
        load_taxonomy(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("types: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_taxonomy(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_taxonomy(tmp_path / "list.yaml")
