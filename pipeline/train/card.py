"""Write ``models/NAME/card.yaml`` (schema: ``docs/MODEL_CARD.md``) after training.

The card is validated with the loader's own schema
(:func:`pipeline.detect.card.parse_card`) before it is written, and carries
the sha256 of both weight files. ``version`` starts at 1 and goes up by one
whenever the weights differ from those of the card already there.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline.detect.card import sha256_file
from pipeline.train.recipe import Recipe, card_licence

__all__ = ["build_card", "next_version", "sha256_file", "write_card"]

log = logging.getLogger(__name__)

CARD_FILE = "card.yaml"


def build_card(
    recipe: Recipe,
    class_names: tuple[str, ...],
    *,
    pt_path: Path,
    onnx_path: Path,
    architecture: str,
    input_size_px: int,
    training: dict[str, Any],
    held_out: dict[str, Any],
    held_out_by_source: dict[str, Any] | None = None,
    version: int = 1,
) -> dict[str, Any]:
    """The card as a mapping, in the key order of ``docs/MODEL_CARD.md``."""
    class_map = {name: recipe.class_map.get(name) for name in class_names}
    description = recipe.description.strip() or (
        f"{recipe.name}: {', '.join(class_names)}, trained by hehu train "
        f"(the recipe has no description)"
    )
    return {
        "name": recipe.name,
        "version": version,
        "description": description,
        "architecture": architecture,
        "classes": list(class_names),
        "class_map": class_map,
        "input_size_px": input_size_px,
        "train_gsd_cm_per_px": recipe.train_gsd_cm_per_px,
        "band": recipe.band,
        "surface": recipe.surface,
        "min_edge_ratio": recipe.min_edge_ratio,
        "tile": {"size_px": recipe.tile.size_px, "overlap_frac": recipe.tile.overlap_frac},
        "thresholds": {"conf": recipe.thresholds.conf, "iou": recipe.thresholds.iou},
        "weights": {
            "pt": {"file": pt_path.name, "sha256": sha256_file(pt_path)},
            "onnx": {"file": onnx_path.name, "sha256": sha256_file(onnx_path)},
        },
        **_licence(recipe, training),
        "training": training,
        "metrics": {
            "held_out": held_out,
            **({"held_out_by_source": held_out_by_source} if held_out_by_source else {}),
        },
    }


def _licence(recipe: Recipe, training: dict[str, Any]) -> dict[str, Any]:
    """``{"licence": ...}``; empty without a recipe licence, so that :func:`write_card`
    refuses the card naming the missing field."""
    if recipe.licence is None:
        return {}
    return {"licence": card_licence(recipe.licence, training.get("init"))}


def next_version(model_dir: Path, card: dict[str, Any]) -> int:
    """1 for a new model; the old version if the ``.pt`` weights are unchanged; else old + 1.

    Only the ``.pt`` counts: the ONNX file is derived from it and its bytes
    differ between exports (ultralytics stamps the export date into it).
    """
    import yaml

    old_path = model_dir / CARD_FILE
    if not old_path.is_file():
        return 1
    try:
        old = yaml.safe_load(old_path.read_text(encoding="utf-8")) or {}
        old_version = int(old.get("version", 0))
        same = old["weights"]["pt"]["sha256"] == card["weights"]["pt"]["sha256"]
    except (yaml.YAMLError, TypeError, ValueError, AttributeError, KeyError):
        return 1
    return old_version if same and old_version else old_version + 1


def write_card(model_dir: Path, card: dict[str, Any]) -> Path:
    """Validate against the loader's schema and write ``model_dir/card.yaml``."""
    import yaml

    from pipeline.detect.card import parse_card

    card = {**card, "version": next_version(model_dir, card)}
    parse_card(card, source=f"card for {model_dir}")
    path = model_dir / CARD_FILE
    text = yaml.safe_dump(card, sort_keys=False, allow_unicode=True, width=100)
    header = (
        "# Model card (docs/MODEL_CARD.md), written by `hehu train`. Edit the recipe, not this.\n"
    )
    path.write_text(header + text, encoding="utf-8")
    log.info("wrote %s (version %d)", path, card["version"])
    return path
