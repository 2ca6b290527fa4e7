"""From a labelled dataset and a recipe to chip datasets: read, group, split, scale, cut.

:func:`prepare` writes two ultralytics datasets under ``work_dir``:
``NAME/`` (``train`` and ``val`` chips, cut around objects) and
``NAME-held-out/`` (``test`` tiles of the held-out sources, cut as the
inference engine tiles a frame). The held-out folder is never used for
training or for choosing the checkpoint.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import BadInputError
from pipeline.train.chips import ChipOptions, summarize, write_dataset
from pipeline.train.datasets import LabelledImage, read_dataset
from pipeline.train.recipe import Recipe
from pipeline.train.scale import SourceScale, estimate_scales
from pipeline.train.sources import DedupeReport, Split, assign_sources, split_by_source

log = logging.getLogger(__name__)


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
    records, dedupe = assign_sources(records)
    split = split_by_source(records, held_out=recipe.held_out_sources, val_frac=recipe.val_frac)
    scales = estimate_scales(
        records,
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
        max_chips_per_source=recipe.chips.max_per_source or None,
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
    train_yaml = write_dataset(
        parts, train_dir, modes={"train": "objects", "val": "objects"}, **common
    )
    held_dir = _fresh(work_dir / f"{recipe.name}-held-out")
    held_yaml = write_dataset({"test": split.held_out}, held_dir, modes={"test": "tiles"}, **common)
    return Prepared(train_yaml, held_yaml, class_names, split, scales, dedupe, Path(data))


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
