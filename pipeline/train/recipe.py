"""A model's training recipe: ``models/NAME/train.yaml``.

What the card will say (description, class map, ground resolution, tiling,
thresholds) and how to get there (reference object sizes for the scale
estimate, held-out sources, chip options, extra ultralytics arguments). A
model without a recipe trains at native scale with every class mapped to
``null`` and the smallest sources held out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.detect.licence import DataSet, initial_weights_block
from pipeline.errors import ConfigError

RECIPE_FILE = "train.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChipSpec(_Strict):
    size_px: int = Field(default=640, ge=32)
    background_frac: float = Field(default=0.2, ge=0.0)
    min_visible: float = Field(default=0.25, gt=0.0, le=1.0)
    jpeg_quality: int = Field(default=90, ge=50, le=100)
    seed: int = 0
    #: part (train, val) -> most chips kept per source; near-copies add little
    max_per_source: dict[str, int] = {}


class TileSpec(_Strict):
    size_px: int = Field(default=640, ge=32)
    overlap_frac: float = Field(default=0.2, ge=0.0, lt=0.9)


class Thresholds(_Strict):
    conf: float = Field(default=0.25, gt=0.0, le=1.0)
    iou: float = Field(default=0.5, gt=0.0, le=1.0)


class Negatives(_Strict):
    """Frames of another labelled dataset used only as background (hard negatives).

    ``data``: the folder, relative to the training data's parent folder (or
    absolute); ``sources``: which of its sources (by :func:`source_key`);
    their boxes are dropped, and at most ``max_per_source`` tiles of each are drawn.
    """

    data: str
    sources: list[str] = Field(min_length=1)
    max_per_source: int = Field(default=50, ge=1)
    why: str = ""


class RecipeLicence(_Strict):
    """What the card's ``licence`` block says beside the initial weights (which come from
    ``--init``): the weights' licence, why, and every data set trained on."""

    weights: str = Field(min_length=1)
    note: str | None = None
    data: list[DataSet] = Field(min_length=1)


class Recipe(_Strict):
    """See ``models/vehicles/train.yaml`` for a commented example."""

    name: str
    description: str = ""
    classes: list[str] | None = None
    class_map: dict[str, str | None] = {}
    train_gsd_cm_per_px: float | None = Field(default=None, gt=0.0)
    #: written to the card (docs/MODEL_CARD.md): the band the model is trained on, and
    #: whether its objects lie on water (the engine then gates it by the water estimate)
    band: Literal["visible", "thermal"] = "visible"
    surface: Literal["any", "water", "shore"] = "any"
    min_edge_ratio: float | None = Field(default=None, gt=0.0)
    reference_len_m: dict[str, float] = {}
    source_gsd_cm_per_px: dict[str, float] = {}
    #: source name -> file-name globs (``DJI_031[4-9]*``); frames matching none keep their
    #: guessed source. For frames whose names carry no source (e.g. exported stills)
    source_patterns: dict[str, list[str]] = {}
    negatives: list[Negatives] = []
    held_out_sources: list[str] | None = None
    held_out_why: str = ""
    val_frac: float = Field(default=0.15, ge=0.0, lt=1.0)
    chips: ChipSpec = ChipSpec()
    tile: TileSpec = TileSpec()
    thresholds: Thresholds = Thresholds()
    train_args: dict[str, Any] = {}
    notes: str = ""
    #: required to train: the card must say under which terms its weights may be used
    licence: RecipeLicence | None = None


def load_recipe(path: Path | str) -> Recipe:
    """Read and validate a recipe file; :class:`ConfigError` names the file and field."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read recipe {path}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"recipe {path} must be a mapping (see models/vehicles/{RECIPE_FILE})")
    try:
        return Recipe.model_validate(data)
    except ValidationError as e:
        raise ConfigError.invalid(f"recipe {path}", e) from e


def find_recipe(name: str, *, out_dir: Path, explicit: Path | None = None) -> Recipe:
    """The recipe given, else ``out_dir/NAME/train.yaml``, else defaults for ``name``."""
    if explicit is not None:
        recipe = load_recipe(explicit)
    elif (out_dir / name / RECIPE_FILE).is_file():
        recipe = load_recipe(out_dir / name / RECIPE_FILE)
    else:
        return Recipe(name=name)
    if recipe.name != name:
        raise ConfigError(
            f"recipe says name: {recipe.name!r} but the model is {name!r}: make them equal"
        )
    return recipe


def require_licence(given: RecipeLicence | None, where: str) -> RecipeLicence:
    """A recipe's ``licence`` block, or :class:`ConfigError` before any training starts."""
    if given is None:
        raise ConfigError(
            f"{where} has no licence block: a card must say under which licence its weights "
            f"may be used and which data sets they learnt from, each with its licence. Add "
            f"licence: {{weights: ..., data: [{{name: ..., licence: ...}}]}} "
            f"(see models/vehicles/{RECIPE_FILE} and docs/MODEL_CARD.md, Licence)"
        )
    return given


def card_licence(given: RecipeLicence, init: Mapping[str, Any] | None) -> dict[str, Any]:
    """The card's ``licence`` block: the recipe's terms and data, the run's initial weights
    (its ``training.init`` block; None when training started from random weights)."""
    block = given.model_dump(exclude_none=True)
    data = block.pop("data")
    return {**block, "initial_weights": initial_weights_block(init), "data": data}
