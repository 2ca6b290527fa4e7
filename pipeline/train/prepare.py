"""From a labelled dataset and a recipe to chip datasets: read, group, split, scale, cut.

:func:`prepare` writes two ultralytics datasets under ``work_dir``:
``NAME/`` (``train`` and ``val`` chips, cut around objects) and
``NAME-held-out/`` (``test`` tiles of the held-out sources, cut as the
inference engine tiles a frame). The held-out folder is never used for
training or for choosing the checkpoint.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import BadInputError
from pipeline.train.chips import ChipOptions, summarize, write_dataset
from pipeline.train.datasets import LabelledImage, read_dataset
from pipeline.train.recipe import Recipe
from pipeline.train.scale import SourceScale, estimate_scales
from pipeline.train.sources import (
    DedupeReport,
    Split,
    apply_source_patterns,
    assign_sources,
    split_by_source,
)

log = logging.getLogger(__name__)

#: Part of the training dataset holding background tiles from other datasets.
NEGATIVES = "negatives"


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` wrote and decided."""

    train_yaml: Path
    held_out_yaml: Path
    class_names: tuple[str, ...]
    split: Split
    scales: dict[str, SourceScale]
    dedupe: DedupeReport
    data: Path

    def summary(self) -> dict:
        """Chips, frames, sources and instances per part (train, val, test)."""
        return {**summarize(self.train_yaml), **summarize(self.held_out_yaml)}


def prepare(data: Path, recipe: Recipe, work_dir: Path) -> Prepared:
    """Read ``data``, split by source, estimate scales and cut both chip datasets."""
    records = read_dataset(data)
    class_names = _check_classes(records, recipe, data)
    records = apply_source_patterns(records, recipe.source_patterns)
    records, dedupe = assign_sources(records)
    negatives = read_negatives(recipe, Path(data), class_names)
    split = split_by_source(records, held_out=recipe.held_out_sources, val_frac=recipe.val_frac)
    scales = estimate_scales(
        [*records, *negatives],
        reference_len_m=recipe.reference_len_m if recipe.train_gsd_cm_per_px else {},
        given_cm_per_px=recipe.source_gsd_cm_per_px,
    )
    for s in scales.values():
        log.info(
            "source %s: %s cm/px (%s, %d objects)", s.source, s.gsd_cm_per_px, s.method, s.n_objects
        )
    opts = ChipOptions(
        size_px=recipe.chips.size_px,
        background_frac=recipe.chips.background_frac,
        overlap_frac=recipe.tile.overlap_frac,
        min_visible=recipe.chips.min_visible,
        jpeg_quality=recipe.chips.jpeg_quality,
        seed=recipe.chips.seed,
        max_chips_per_source={
            **recipe.chips.max_per_source,
            **({NEGATIVES: max(n.max_per_source for n in recipe.negatives)} if negatives else {}),
        }
        or None,
    )
    common = {
        "class_names": class_names,
        "scales": scales,
        "target_gsd_cm_per_px": recipe.train_gsd_cm_per_px,
        "opts": opts,
    }
    train_dir = _fresh(work_dir / recipe.name)
    parts = {"train": split.train, "val": split.val or split.train}
    if not split.val:
        log.warning("too few frames for a val part: choosing the checkpoint on training chips")
    modes = {"train": "objects", "val": "objects"}
    if negatives:
        parts[NEGATIVES], modes[NEGATIVES] = [_blank(r, class_names) for r in negatives], "tiles"
    train_yaml = write_dataset(parts, train_dir, modes=modes, **common)
    if negatives:
        _train_on_negatives_too(train_yaml)
    held_dir = _fresh(work_dir / f"{recipe.name}-held-out")
    held_yaml = write_dataset({"test": split.held_out}, held_dir, modes={"test": "tiles"}, **common)
    return Prepared(train_yaml, held_yaml, class_names, split, scales, dedupe, Path(data))


def read_negatives(recipe: Recipe, data: Path, class_names: tuple[str, ...]) -> list:
    """Frames of the recipe's ``negatives`` datasets (boxes still on, for the scale estimate)."""
    out = []
    for neg in recipe.negatives:
        folder = Path(neg.data) if Path(neg.data).is_absolute() else data.parent / neg.data
        if not folder.exists():
            raise BadInputError(
                f"recipe {recipe.name!r}: negatives data {neg.data} is not at {folder} (paths are "
                f"relative to the training data's parent folder {data.parent})"
            )
        records, _ = assign_sources(read_dataset(folder))
        known = {r.source for r in records}
        unknown = sorted(set(neg.sources) - known)
        if unknown:
            raise BadInputError(
                f"recipe {recipe.name!r}: negatives sources {unknown} are not in {folder}; "
                f"its sources are {sorted(known)}"
            )
        out += [r for r in records if r.source in neg.sources]
    return out


def _blank(record: LabelledImage, class_names: tuple[str, ...]) -> LabelledImage:
    """A negative frame: no boxes, the model's class names, its source marked."""
    return dataclasses.replace(
        record,
        xyxy_px=np.zeros((0, 4), np.float32),
        class_ids=np.zeros(0, np.int64),
        class_names=class_names,
    )


def _train_on_negatives_too(train_yaml: Path) -> None:
    """ultralytics trains on every folder listed under ``train``."""
    import yaml

    data = yaml.safe_load(train_yaml.read_text(encoding="utf-8"))
    data["train"] = [data["train"], f"images/{NEGATIVES}"]
    train_yaml.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def _check_classes(records: list[LabelledImage], recipe: Recipe, data: Path) -> tuple[str, ...]:
    names = records[0].class_names
    if recipe.classes is not None and tuple(recipe.classes) != names:
        raise BadInputError(
            f"{data} names classes {list(names)} but the recipe for {recipe.name!r} expects "
            f"{recipe.classes}, in that order: fix the dataset's class list or the recipe"
        )
    return names


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
