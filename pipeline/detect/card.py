"""Model cards: the ``card.yaml`` beside every detector's weights.

The schema is ``docs/MODEL_CARD.md``. :func:`load_card` refuses a model folder
whose weights have no card, and weights whose sha256 differs from the card's,
naming the file, both hashes and the fix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from pipeline.detect.licence import CardLicence, licence_error
from pipeline.errors import ConfigError

CARD_FILE = "card.yaml"
WEIGHT_SUFFIXES = (".pt", ".onnx")
WeightsFormat = Literal["pt", "onnx"]


class ModelCardError(ConfigError):
    """A model folder's card is missing or wrong, or does not match its weights."""


class WeightsMismatchError(ModelCardError):
    """A weights file's sha256 differs from the one its card records."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightsFile(_Strict):
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Weights(_Strict):
    pt: WeightsFile | None = None
    onnx: WeightsFile | None = None


class TileSpec(_Strict):
    size_px: int = Field(ge=32)
    overlap_frac: float = Field(ge=0.0, lt=0.9)


class Thresholds(_Strict):
    conf: float = Field(gt=0.0, le=1.0)
    iou: float = Field(gt=0.0, le=1.0)


class ModelCard(_Strict):
    """One detector's card. ``dir`` is the folder it was loaded from."""

    name: str
    version: int = Field(ge=1)
    description: str
    architecture: str
    classes: list[str] = Field(min_length=1)
    class_map: dict[str, str | None] = {}
    input_size_px: int = Field(ge=32)
    train_gsd_cm_per_px: float | None = Field(default=None, gt=0.0)
    #: The band the model was trained on: it never runs on frames of another band.
    band: Literal["visible", "thermal"] = "visible"
    #: ``water``: the model finds things on water (floating garbage); its detections are
    #: kept only where the water estimate says water, and land-only tiles are skipped.
    #: ``shore``: things built into the water (docks, boat lifts): kept only where they
    #: touch water, and tiles far from water are skipped.
    surface: Literal["any", "water", "shore"] = "any"
    #: Boxes whose outline is fainter than this (:func:`pipeline.detect.edges.edge_ratio`)
    #: are dropped: for things that float, a faint outline means under water, or blur.
    min_edge_ratio: float | None = Field(default=None, gt=0.0)
    tile: TileSpec
    thresholds: Thresholds
    weights: Weights
    #: under which terms the weights may be used; their initial weights and data (licence.py)
    licence: CardLicence
    training: dict[str, Any] = {}
    metrics: dict[str, Any] = {}

    _dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> ModelCard:
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes has duplicates: {self.classes}")
        unknown = sorted(set(self.class_map) - set(self.classes))
        if unknown:
            raise ValueError(
                f"class_map names classes the model lacks: {unknown}; classes: {self.classes}"
            )
        if self.weights.pt is None and self.weights.onnx is None:
            raise ValueError("weights: list at least one of pt / onnx with file and sha256")
        self._check_initial_weights()
        return self

    def _check_initial_weights(self) -> None:
        """``licence.initial_weights`` names the checkpoint ``training.init`` started from."""
        init = self.training.get("init")
        start = self.licence.initial_weights
        if isinstance(init, Mapping) and init.get("sha256"):
            if start is None or start.sha256 != init["sha256"]:
                raise ValueError(
                    f"licence.initial_weights must name the weights training started from: "
                    f"training.init.sha256 is {init['sha256']}, licence.initial_weights."
                    f"sha256 is {start.sha256 if start else None}"
                )
        elif self.training.get("pretrained") is True and start is None:
            raise ValueError(
                "training.pretrained is true but licence.initial_weights is null: name the "
                "weights training started from (name, sha256, licence)"
            )

    @property
    def dir(self) -> Path:
        if self._dir is None:
            raise ModelCardError(f"card {self.name!r} was not loaded from a folder (use load_card)")
        return self._dir

    def weights_path(self, fmt: WeightsFormat) -> Path:
        """Path of the ``pt`` or ``onnx`` weights; raises when the card lists none."""
        entry = getattr(self.weights, fmt)
        if entry is None:
            raise ModelCardError(
                f"{self.dir / CARD_FILE} lists no {fmt} weights: export them "
                f"(hehu train writes both) or use the other backend"
            )
        return self.dir / entry.file


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def parse_card(data: Mapping[str, Any], *, source: str = "card") -> ModelCard:
    """Validate a parsed card mapping; raises :class:`ModelCardError`."""
    try:
        return ModelCard.model_validate(data)
    except ValidationError as e:
        plain = licence_error(e, source)
        if plain:
            raise ModelCardError(plain) from e
        raise ModelCardError.invalid(source, e, hint="see docs/MODEL_CARD.md") from e


def load_card(models_dir: Path | str, name: str, *, verify: bool = True) -> ModelCard:
    """Load ``models_dir/name/card.yaml`` and check its weights.

    With ``verify`` every weights file the card lists must exist and match its
    sha256. Raises :class:`ModelCardError` (no card, bad card, missing file)
    or :class:`WeightsMismatchError` (hash differs).
    """
    import yaml

    folder = Path(models_dir) / name
    card_path = folder / CARD_FILE
    if not card_path.is_file():
        raise ModelCardError(_no_card_message(folder, card_path))
    try:
        data = yaml.safe_load(card_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ModelCardError(f"cannot read {card_path}: {e}") from e
    if not isinstance(data, Mapping):
        raise ModelCardError(
            f"{card_path} must hold a mapping (docs/MODEL_CARD.md), got {type(data).__name__}"
        )
    card = parse_card(data, source=str(card_path))
    if card.name != name:
        raise ModelCardError(
            f"{card_path} says name: {card.name!r} but lives in models/{name}/: make them equal"
        )
    card._dir = folder
    if verify:
        for fmt in ("pt", "onnx"):
            if getattr(card.weights, fmt) is not None:
                verify_weights(card, fmt)
    return card


def verify_weights(card: ModelCard, fmt: WeightsFormat) -> Path:
    """Check one weights file against its card; return its path."""
    entry = getattr(card.weights, fmt)
    path = card.weights_path(fmt)
    if not path.is_file():
        raise ModelCardError(
            f"{card.dir / CARD_FILE} lists {fmt} weights {entry.file!r} but {path} does not exist: "
            f"copy the weights back or remove the entry"
        )
    found = sha256_file(path)
    if found != entry.sha256:
        raise WeightsMismatchError(
            f"refusing {path}: its sha256 is {found} but {card.dir / CARD_FILE} "
            f"expects {entry.sha256}. The weights changed since the card was written: "
            f"retrain or re-export with `hehu train` (which rewrites the card), or, if you "
            f"replaced them on purpose and re-measured them, put the new hash in "
            f"weights.{fmt}.sha256 and bump version"
        )
    return path


def _no_card_message(folder: Path, card_path: Path) -> str:
    if not folder.is_dir():
        return (
            f"no model folder {folder}: train one with `hehu train` or copy it with its {CARD_FILE}"
        )
    weights = sorted(p.name for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    if weights:
        return (
            f"refusing weights {', '.join(weights)} in {folder}: there is no {card_path.name} "
            f"beside them, so nothing says what they detect, at which scale, or that they are "
            f"the weights that were measured. Write {card_path} following docs/MODEL_CARD.md "
            f"(hehu train writes one)"
        )
    return f"{folder} has neither {CARD_FILE} nor weights: train a model with `hehu train`"
