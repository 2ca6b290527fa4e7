"""The 四乱 taxonomy: problem types, subtypes, and which model classes feed them.

``configs/taxonomy.yaml`` is read once at the entry point with
:func:`load_taxonomy` and the typed :class:`Taxonomy` is passed down. A subtype
id is ``"<type>.<subtype>"``, e.g. ``"luandui.floating_garbage"``. A model
class maps to a subtype through its card's ``class_map``; the taxonomy's
``overrides`` (``"MODEL/CLASS": id or null``) change that per deployment, and
a model's ``conf`` replaces its card's confidence threshold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.detect.card import ModelCard

#: The four types, in the order of 办河湖〔2018〕245号.
TYPE_IDS = ("luanzhan", "luancai", "luandui", "luanjian")

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubtypeSpec(_Strict):
    zh: str
    en: str


class TypeSpec(_Strict):
    zh: str
    en: str
    subtypes: dict[str, SubtypeSpec]


class ModelEntry(_Strict):
    enabled: bool = True
    #: This deployment's confidence threshold for the model (None: the card's).
    conf: float | None = Field(default=None, gt=0.0, lt=1.0)


@dataclass(frozen=True)
class Subtype:
    """One subtype with its type's labels, e.g. ``luandui.floating_garbage``."""

    id: str
    type_id: str
    type_zh: str
    type_en: str
    zh: str
    en: str


class Taxonomy(_Strict):
    """The parsed ``configs/taxonomy.yaml``."""

    version: int = 1
    types: dict[str, TypeSpec]
    models: dict[str, ModelEntry]
    default_model: str
    overrides: dict[str, str | None] = {}

    @model_validator(mode="after")
    def _check(self) -> Taxonomy:
        if tuple(self.types) != TYPE_IDS:
            raise ValueError(
                f"types must be exactly {list(TYPE_IDS)} in that order, got {list(self.types)}"
            )
        for type_id, spec in self.types.items():
            bad = [k for k in spec.subtypes if not _KEY.match(k)]
            if bad or not spec.subtypes:
                raise ValueError(
                    f"types.{type_id}.subtypes: need lower_snake_case keys, got {bad or 'none'}"
                )
        bad_names = [n for n in self.models if not _MODEL_NAME.match(n)]
        if bad_names:
            raise ValueError(f"models: names must be folder names under models/, got {bad_names}")
        if self.default_model not in self.models:
            raise ValueError(
                f"default_model {self.default_model!r} is not one of models: {list(self.models)}"
            )
        for key, value in self.overrides.items():
            if key.count("/") != 1:
                raise ValueError(f"overrides key {key!r} must look like 'MODEL/CLASS'")
            if value is not None and value not in self.subtype_ids():
                raise ValueError(
                    f"overrides[{key!r}] = {value!r} is not a subtype id ({_hint(self)})"
                )
        return self

    def subtype_ids(self) -> tuple[str, ...]:
        """Every subtype id, types in 245号 order."""
        return tuple(f"{t}.{s}" for t, spec in self.types.items() for s in spec.subtypes)

    def subtype(self, subtype_id: str) -> Subtype:
        """The labels of one subtype id; raises :class:`ConfigError` when unknown."""
        type_id, _, key = subtype_id.partition(".")
        spec = self.types.get(type_id)
        if spec is None or key not in spec.subtypes:
            raise ConfigError(f"unknown 四乱 subtype id {subtype_id!r} ({_hint(self)})")
        sub = spec.subtypes[key]
        return Subtype(subtype_id, type_id, spec.zh, spec.en, sub.zh, sub.en)

    def enabled_models(self) -> tuple[str, ...]:
        """Names of the models that run on every frame, default first."""
        names = [n for n, m in self.models.items() if m.enabled]
        return tuple(sorted(names, key=lambda n: n != self.default_model))

    def conf(self, model: str) -> float | None:
        """The confidence threshold this deployment sets for ``model`` (None: the card's)."""
        entry = self.models.get(model)
        return entry.conf if entry is not None else None

    def class_map(self, card: ModelCard) -> dict[str, str | None]:
        """Model class name -> subtype id (or None) for ``card``, overrides applied.

        Raises :class:`ConfigError` when the card maps a class to an id this
        taxonomy does not define, or an override names a class the model lacks.
        """
        mapping = {c: card.class_map.get(c) for c in card.classes}
        for cls, sub in mapping.items():
            if sub is not None and sub not in self.subtype_ids():
                raise ConfigError(
                    f"model {card.name!r} card maps class {cls!r} to {sub!r}, which "
                    f"configs/taxonomy.yaml does not define ({_hint(self)}): fix the card's "
                    f"class_map, add the subtype, or set overrides: {{{card.name}/{cls}: ...}}"
                )
        for key, sub in self.overrides.items():
            model, _, cls = key.partition("/")
            if model != card.name:
                continue
            if cls not in mapping:
                raise ConfigError(
                    f"overrides[{key!r}]: model {model!r} has no class {cls!r}; "
                    f"its classes: {card.classes}"
                )
            mapping[cls] = sub
        return mapping


def _hint(tax: Taxonomy) -> str:
    ids = tax.subtype_ids()
    return f"{len(ids)} known, e.g. {', '.join(ids[:3])}"


def default_taxonomy_path() -> Path:
    """``configs/taxonomy.yaml`` in the working directory, else beside the package."""
    local = Path("configs/taxonomy.yaml")
    if local.is_file():
        return local
    return Path(__file__).resolve().parents[2] / "configs" / "taxonomy.yaml"


def parse_taxonomy(data: Mapping[str, Any], *, source: str = "taxonomy") -> Taxonomy:
    """Validate an already-parsed mapping; raises :class:`ConfigError`."""
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as e:
        raise ConfigError.invalid(source, e, hint="not a valid 四乱 taxonomy") from e


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and validate a taxonomy YAML file (default :func:`default_taxonomy_path`)."""
    import yaml

    path = Path(path) if path is not None else default_taxonomy_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read the taxonomy {path}: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from e
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{path} must hold a mapping with types/models/default_model, got {type(data).__name__}"
        )
    return parse_taxonomy(data, source=str(path))
