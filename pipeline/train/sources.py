"""Group frames by source and split by whole sources, never at random.

Consecutive video frames are near-copies, and frames of one place share its
background: a random split puts near-copies on both sides and measures
memory, not detection. A *source* is one video, one mosaic sequence, one
camera place or one flight; a split assigns whole sources to one side.

:func:`source_key` guesses a source from a file name (rules below, then the
flight folder, then the stem without its frame counter). :func:`assign_sources`
refines those guesses: a key whose frames come in several pixel sizes cannot
be one video or one sequence, so it is split by size; sources that share a
near-identical picture are merged (they are the same footage under other
names); byte-identical files are kept once.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import BadInputError

log = logging.getLogger(__name__)

#: (pattern on the file name, key template): the first match wins.
NAME_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # A frame exported from a DJI video: DJI_0005-0018.jpg (video DJI_0005, frame 18).
    (re.compile(r"^(DJI_\d{4})-\d+\.\w+$"), r"\1"),
    # Frames of a renamed DJI video: DJI-00760-00001.jpg.
    (re.compile(r"^(DJI-\d+)-\d+\.\w+$"), r"\1"),
    # A DJI still straight off the card: DJI_0010.JPG. Stills of one folder are one flight.
    (re.compile(r"^DJI_\d{4}\.\w+$"), "DJI_stills"),
    # KIT AIS mosaics named after their sequence: MunichStreet02-MOS74.png.
    (re.compile(r"^(.+?)-MOS\d+\.\w+$"), r"\1"),
    # KIT AIS mosaics without a sequence name: MOS74.png (split by frame size later).
    (re.compile(r"^MOS\d+\.\w+$"), "MOS"),
    # A fixed camera place: Grogol_Location_2_2018-05-02_..._cam7.jpg.
    (re.compile(r"(?:^|_)(Location_\d+)(?:_|\.)"), r"\1"),
)
#: Folder names that say "split", not "flight", and so are no source.
LAYOUT_DIRS = frozenset({"images", "labels", "train", "val", "valid", "test", "all"})
_COUNTER = re.compile(r"[\s_\-.]*\d+$")


def source_key(image: Path, root: Path | None = None) -> str:
    """Guess the source of one frame from its name and folder.

    Names that a rule knows (DJI video frames, DJI stills, KIT AIS sequences,
    ``Location_N``) give that rule's key, prefixed with the flight folder when
    the image sits in one. Otherwise the flight folder alone, else the stem
    without its trailing frame counter (``river_0012`` -> ``river``).
    """
    folder = _flight_folder(image, root)
    for pattern, template in NAME_RULES:
        match = pattern.search(image.name)
        if match:
            key = match.expand(template)
            return f"{folder}/{key}" if folder else key
    if folder:
        return folder
    stem = _COUNTER.sub("", image.stem)
    return stem or image.stem


def _flight_folder(image: Path, root: Path | None) -> str:
    if root is None:
        return ""
    try:
        parts = image.parent.relative_to(root).parts
    except ValueError:
        return ""
    return "/".join(p for p in parts if p.lower() not in LAYOUT_DIRS)


def apply_source_patterns(records: Sequence, patterns: Mapping[str, Sequence[str]]) -> list:
    """Records with ``source`` set by the first ``{source: [file-name glob, ...]}`` that matches.

    For frames whose names say nothing of their flight or place (stills
    exported with hashed names): a recipe groups them, e.g. by runs of DJI
    frame numbers. Frames matching no glob keep their guessed source.
    """
    if not patterns:
        return list(records)
    out, used = [], set()
    for r in records:
        name = Path(r.image_path).name
        hit = next(
            (s for s, globs in patterns.items() if any(fnmatch.fnmatch(name, g) for g in globs)),
            None,
        )
        used.add(hit)
        out.append(dataclasses.replace(r, source=hit) if hit else r)
    unused = sorted(set(patterns) - used)
    if unused:
        raise BadInputError(
            f"source_patterns {unused} match no frame: fix the globs (they match file names, "
            f"e.g. {Path(records[0].image_path).name if records else '?'})"
        )
    return out


@dataclass(frozen=True)
class DedupeReport:
    """What :func:`assign_sources` changed, for the card and the log."""

    dropped_exact: tuple[tuple[str, str], ...]  # (dropped path, kept path)
    merged_sources: tuple[tuple[str, str], ...]  # (merged-away key, kept key)
    split_by_size: tuple[str, ...]  # keys split into KEY@WxH


def assign_sources(
    records: Sequence, *, near_dup_threshold: float = 0.985
) -> tuple[list, DedupeReport]:
    """Refine each record's ``source`` and drop byte-identical copies.

    ``near_dup_threshold``: the correlation of two 32x32 grey thumbnails above
    which two frames are the same picture. Returns (records, report).
    """
    records, split_keys = _split_mixed_sizes(records)
    records, dropped = _drop_exact_duplicates(records)
    merges = _near_duplicate_merges(records, near_dup_threshold)
    if merges:
        records = [dataclasses.replace(r, source=merges.get(r.source, r.source)) for r in records]
    report = DedupeReport(
        dropped_exact=tuple(dropped),
        merged_sources=tuple(sorted(merges.items())),
        split_by_size=tuple(split_keys),
    )
    for path, kept in dropped:
        log.warning("dropping %s: byte-identical to %s", path, kept)
    for old, new in report.merged_sources:
        log.warning("merging source %s into %s: they share a near-identical frame", old, new)
    return records, report


def _split_mixed_sizes(records: Sequence) -> tuple[list, list[str]]:
    sizes: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for r in records:
        sizes[r.source].add((r.width_px, r.height_px))
    mixed = sorted(k for k, v in sizes.items() if len(v) > 1)
    out = [
        dataclasses.replace(r, source=f"{r.source}@{r.width_px}x{r.height_px}")
        if r.source in mixed
        else r
        for r in records
    ]
    return out, mixed


def _drop_exact_duplicates(records: Sequence) -> tuple[list, list[tuple[str, str]]]:
    seen: dict[str, str] = {}
    kept, dropped = [], []
    for r in records:
        digest = hashlib.sha256(Path(r.image_path).read_bytes()).hexdigest()
        if digest in seen:
            dropped.append((str(r.image_path), seen[digest]))
            continue
        seen[digest] = str(r.image_path)
        kept.append(r)
    return kept, dropped


def thumbnail(path: Path, size: int = 32) -> np.ndarray:
    """Zero-mean, unit-norm grey thumbnail ``(size*size,)`` float32, for near-copy checks."""
    import cv2

    grey = cv2.imread(str(path), cv2.IMREAD_REDUCED_GRAYSCALE_4)
    if grey is None:
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise BadInputError(f"OpenCV cannot decode {path}; set it aside or replace it")
    small = cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return small / norm if norm > 0 else small


def _near_duplicate_merges(records: Sequence, threshold: float) -> dict[str, str]:
    """Map of source -> source it merges into, for sources sharing a near-identical frame."""
    if len({r.source for r in records}) < 2:
        return {}
    thumbs = np.stack([thumbnail(Path(r.image_path)) for r in records])
    keys = [r.source for r in records]
    sims = thumbs @ thumbs.T
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    for i, j in zip(*np.nonzero(np.triu(sims > threshold, k=1)), strict=True):
        a, b = find(keys[i]), find(keys[j])
        if a != b:
            keep, drop = sorted((a, b))
            parent[drop] = keep
            log.info("near-identical frames %s ~ %s", records[i].image_path, records[j].image_path)
    return {k: find(k) for k in parent if find(k) != k}


# --- split -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Records on each side. ``held_out`` shares no source with ``train`` or ``val``."""

    train: tuple
    val: tuple
    held_out: tuple

    def sources(self, part: str) -> list[str]:
        return sorted({r.source for r in getattr(self, part)})


def split_by_source(
    records: Sequence,
    *,
    held_out: Iterable[str] | None = None,
    val_frac: float = 0.15,
    held_out_frac: float = 0.2,
) -> Split:
    """Hold out whole sources; take ``val`` from the end of each training source.

    ``held_out`` names the sources to hold out; ``None`` picks whole sources,
    smallest first, until ``held_out_frac`` of the frames are held out. ``val``
    (for choosing the checkpoint only) is the last ``val_frac`` of each
    training source's frames in name order, a block, so near-copies mostly
    stay on one side; held-out metrics never come from it.
    """
    by_source: dict[str, list] = defaultdict(list)
    for r in records:
        by_source[r.source].append(r)
    if len(by_source) < 2:
        raise BadInputError(
            f"cannot hold out a whole source: all {len(records)} frames are one source "
            f"{next(iter(by_source), '?')!r}. Add flights from another place or day, or put each "
            f"flight in its own folder"
        )
    chosen = _resolve_held_out(by_source, held_out, held_out_frac)
    train, val, test = [], [], []
    for key in sorted(by_source):
        frames = sorted(by_source[key], key=lambda r: str(r.image_path))
        if key in chosen:
            test.extend(frames)
            continue
        n_val = round(len(frames) * val_frac) if len(frames) >= 4 else 0
        train.extend(frames[: len(frames) - n_val])
        val.extend(frames[len(frames) - n_val :])
    return Split(train=tuple(train), val=tuple(val), held_out=tuple(test))


def _resolve_held_out(
    by_source: dict[str, list], held_out: Iterable[str] | None, frac: float
) -> set[str]:
    if held_out is not None:
        chosen = set(held_out)
        unknown = sorted(chosen - set(by_source))
        if unknown:
            raise BadInputError(
                f"held-out sources {unknown} are not in the data; "
                f"its sources are {sorted(by_source)}"
            )
        if chosen >= set(by_source):
            raise BadInputError("every source is held out: leave at least one for training")
        return chosen
    total = sum(map(len, by_source.values()))
    chosen, count = set(), 0
    for key in sorted(by_source, key=lambda k: (len(by_source[k]), k)):
        if count >= frac * total or len(chosen) == len(by_source) - 1:
            break
        chosen.add(key)
        count += len(by_source[key])
    return chosen
