"""The ``licence`` block every model card carries (``docs/MODEL_CARD.md``, Licence).

It says under which terms the weights may be used and passed on, which weights
training started from (with their sha256 and licence) and which data sets the
weights learnt from, each with its licence::

    licence:
      weights: AGPL-3.0-only        # the weights' own licence
      note: ...                     # optional: why, and what a legal review should weigh
      initial_weights:              # null when training started from random weights
        name: yolov5n-coco
        sha256: <64 hex>
        licence: GPL-3.0
        source: ...                 # optional
      data:                         # every data set trained on (hard negatives too)
        - {name: river-plastic, licence: ..., source: ...}

Detector cards are checked by :class:`pipeline.detect.card.ModelCard`, the water
estimate's by :func:`check_licence`; both refuse a card that lacks a field, naming
the field and the card file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError

FIELD = "licence"
WHAT_IT_NEEDS = (
    "every card says under which licence its weights may be used, which weights "
    "training started from (initial_weights: name, sha256, licence; null for random "
    "weights) and which data sets they learnt from, each with its licence "
    "(docs/MODEL_CARD.md, Licence)"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InitialWeights(_Strict):
    name: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    licence: str = Field(min_length=1)
    source: str | None = None


class DataSet(_Strict):
    name: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    source: str | None = None


class CardLicence(_Strict):
    weights: str = Field(min_length=1)
    note: str | None = None
    #: required, but may be null: the weights started from random values
    initial_weights: InitialWeights | None
    #: required; empty only for untrained weights (tests, benchmarks)
    data: list[DataSet]


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("licence", "data", 0, "licence")`` -> ``licence.data[0].licence``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def licence_error(e: ValidationError, source: str, prefix: tuple[str, ...] = ()) -> str | None:
    """A plain message for the first licence field ``e`` finds missing or empty, else None."""
    for err in e.errors():
        loc = (*prefix, *err["loc"])
        if not loc or loc[0] != FIELD:
            continue
        name = field_path(loc)
        if err["type"] == "missing":
            return f"{source} lacks {name}: {WHAT_IT_NEEDS}"
        return f"{source}: {name} is wrong ({err['msg']}): {WHAT_IT_NEEDS}"
    return None


def check_licence(card: Mapping[str, Any], source: str) -> CardLicence:
    """The card's validated ``licence`` block; :class:`ConfigError` names the field and file."""
    if FIELD not in card:
        raise ConfigError(f"{source} lacks {FIELD}: {WHAT_IT_NEEDS}")
    try:
        return CardLicence.model_validate(card[FIELD])
    except ValidationError as e:
        raise ConfigError(licence_error(e, source, (FIELD,)) or f"{source}: {e}") from e


def initial_weights_block(init: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``licence.initial_weights`` from a training run's ``init`` block (None: random start)."""
    if not init:
        return None
    return {
        "name": init["name"],
        "sha256": init["sha256"],
        "licence": init["licence"],
        **({"source": init["origin"]} if init.get("origin") else {}),
    }
