"""Cut training chips at the card's ground resolution and write an ultralytics dataset.

Each source's frames are first resized by ``factor = source_gsd / target_gsd``
(:mod:`pipeline.train.scale`) so objects appear at the size the model will
see when the tiled engine rescales a geotagged frame to the card's
``train_gsd_cm_per_px``. Then windows of ``size_px`` are cut:

- ``"objects"`` mode (training, val): windows placed greedily so that every
  object lies wholly inside at least one window, each at a random offset, plus
  about ``background_frac`` as many windows that touch no object;
- ``"tiles"`` mode (held-out evaluation): a grid with ``overlap_frac``, as the
  inference engine tiles a frame, covering everything once.

Every object inside a window is labelled in it, clipped to the window; a box
less than ``min_visible`` visible is dropped. A frame smaller than a window is
padded right/bottom with grey 114 (ultralytics' letterbox colour).
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.train.datasets import LabelledImage, load_image
from pipeline.train.scale import SourceScale, resize_factor

log = logging.getLogger(__name__)

PAD_VALUE = 114


@dataclass(frozen=True)
class ChipOptions:
    size_px: int = 640
    background_frac: float = 0.2
    overlap_frac: float = 0.2
    min_visible: float = 0.25
    jpeg_quality: int = 90
    seed: int = 0
    #: part -> most chips kept per source in "objects" mode (None: keep all)
    max_chips_per_source: Mapping[str, int] | None = None


@dataclass(frozen=True, eq=False)
class Chip:
    """One window of a resized frame. Boxes ``(N, 4)`` are chip pixels, x0 y0 x1 y1."""

    frame: Path
    source: str
    factor: float
    x0_px: int
    y0_px: int
    xyxy_px: np.ndarray
    class_ids: np.ndarray


# --- geometry --------------------------------------------------------------------------


def object_windows(
    xyxy_px: np.ndarray,
    width_px: int,
    height_px: int,
    size_px: int,
    rng: np.random.Generator,
    candidates: int = 12,
) -> list[tuple[int, int]]:
    """Top-left corners of windows that hold every box wholly (where it fits).

    Greedy: for a box no window holds yet, try ``candidates`` random windows
    around it and keep the one that holds the most boxes not yet held.
    """
    held = np.zeros(len(xyxy_px), dtype=bool)
    windows: list[tuple[int, int]] = []
    for i in rng.permutation(len(xyxy_px)):
        if held[i]:
            continue
        box = xyxy_px[i]
        best, best_gain = None, -1
        for _ in range(candidates):
            x0 = _random_start(box[0], box[2], width_px, size_px, rng)
            y0 = _random_start(box[1], box[3], height_px, size_px, rng)
            gain = int((_holds(xyxy_px, (x0, y0), size_px) & ~held).sum())
            if gain > best_gain:
                best, best_gain = (x0, y0), gain
        assert best is not None
        windows.append(best)
        held |= _holds(xyxy_px, best, size_px)
        held[i] = True  # a box longer than the window counts as held by its centred window
    return windows


def _random_start(lo: float, hi: float, extent: int, size: int, rng: np.random.Generator) -> int:
    """A window start in [hi - size, lo] (box inside), clamped to the frame."""
    max_start = max(extent - size, 0)
    first, last = math.ceil(hi) - size, math.floor(lo)
    if first > last:  # box longer than the window: centre it
        first = last = round((lo + hi - size) / 2)
    first, last = min(max(first, 0), max_start), min(max(last, 0), max_start)
    return int(rng.integers(first, last + 1))


def _holds(xyxy: np.ndarray, window: tuple[int, int], size: int) -> np.ndarray:
    x0, y0 = window
    return (
        (xyxy[:, 0] >= x0)
        & (xyxy[:, 1] >= y0)
        & (xyxy[:, 2] <= x0 + size)
        & (xyxy[:, 3] <= y0 + size)
    )


def background_windows(
    xyxy_px: np.ndarray,
    width_px: int,
    height_px: int,
    size_px: int,
    n: int,
    rng: np.random.Generator,
    tries: int = 50,
) -> list[tuple[int, int]]:
    """Up to ``n`` windows that touch no box."""
    out: list[tuple[int, int]] = []
    for _ in range(tries):
        if len(out) >= n:
            break
        x0 = int(rng.integers(0, max(width_px - size_px, 0) + 1))
        y0 = int(rng.integers(0, max(height_px - size_px, 0) + 1))
        if not len(xyxy_px) or not _touches(xyxy_px, (x0, y0), size_px).any():
            out.append((x0, y0))
    return out


def _touches(xyxy: np.ndarray, window: tuple[int, int], size: int) -> np.ndarray:
    x0, y0 = window
    return (
        (xyxy[:, 0] < x0 + size) & (xyxy[:, 2] > x0) & (xyxy[:, 1] < y0 + size) & (xyxy[:, 3] > y0)
    )


def tile_windows(
    width_px: int, height_px: int, size_px: int, overlap_frac: float
) -> list[tuple[int, int]]:
    """A grid of windows covering the frame; the last row/column sits flush with the edge."""
    return [
        (x, y)
        for y in _starts(height_px, size_px, overlap_frac)
        for x in _starts(width_px, size_px, overlap_frac)
    ]


def _starts(extent: int, size: int, overlap: float) -> list[int]:
    if extent <= size:
        return [0]
    stride = max(int(size * (1 - overlap)), 1)
    n = math.ceil((extent - size) / stride) + 1
    return [min(i * stride, extent - size) for i in range(n)]


def crop_boxes(
    xyxy_px: np.ndarray,
    class_ids: np.ndarray,
    window: tuple[int, int],
    size_px: int,
    min_visible: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes of a frame inside one window, clipped, in window pixels."""
    x0, y0 = window
    local = xyxy_px - np.array([x0, y0, x0, y0], dtype=np.float32)
    clipped = np.clip(local, 0, size_px)
    area = (local[:, 2] - local[:, 0]) * (local[:, 3] - local[:, 1])
    seen = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    keep = (seen > 0) & (seen >= min_visible * np.maximum(area, 1e-9))
    return clipped[keep].astype(np.float32), class_ids[keep]


# --- cutting ---------------------------------------------------------------------------


def resize_frame(image: np.ndarray, factor: float) -> np.ndarray:
    """Resize by ``factor`` (area filter to shrink, linear to enlarge)."""
    import cv2

    if abs(factor - 1.0) < 1e-6:
        return image
    h, w = image.shape[:2]
    size = (max(round(w * factor), 1), max(round(h * factor), 1))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)


def resized_size(width_px: int, height_px: int, factor: float) -> tuple[int, int]:
    """(width, height) of a frame after :func:`resize_frame`."""
    if abs(factor - 1.0) < 1e-6:
        return width_px, height_px
    return max(round(width_px * factor), 1), max(round(height_px * factor), 1)


def plan_frame(
    record: LabelledImage, factor: float, mode: str, opts: ChipOptions, rng: np.random.Generator
) -> list[Chip]:
    """The chips of one frame (windows and boxes), without decoding it."""
    w, h = resized_size(record.width_px, record.height_px, factor)
    sx, sy = w / record.width_px, h / record.height_px
    xyxy = (record.xyxy_px * np.array([sx, sy, sx, sy], dtype=np.float32)).astype(np.float32)
    size = opts.size_px
    if mode == "tiles":
        windows = tile_windows(w, h, size, opts.overlap_frac)
    elif mode == "objects":
        windows = object_windows(xyxy, w, h, size, rng)
        n_bg = _stochastic_round(opts.background_frac * max(len(windows), 1), rng)
        windows += background_windows(xyxy, w, h, size, n_bg, rng)
    else:
        raise ValueError(f"mode must be 'objects' or 'tiles', got {mode!r}")
    chips = []
    for x0, y0 in windows:
        boxes, ids = crop_boxes(xyxy, record.class_ids, (x0, y0), size, opts.min_visible)
        chips.append(Chip(record.image_path, record.source, factor, x0, y0, boxes, ids))
    return chips


def render(record: LabelledImage, chips: Sequence[Chip], size_px: int) -> list[np.ndarray]:
    """Pixels ``(size, size, 3)`` BGR of chips planned on one frame."""
    if not chips:
        return []
    image = resize_frame(load_image(record.image_path), chips[0].factor)
    return [_padded_crop(image, c.x0_px, c.y0_px, size_px) for c in chips]


def cap_per_source(
    plans: Sequence[tuple[LabelledImage, list[Chip]]], cap: int | None, rng: np.random.Generator
) -> list[tuple[LabelledImage, list[Chip]]]:
    """Keep at most ``cap`` chips of each source, drawn at random (near-copies add little)."""
    if cap is None:
        return list(plans)
    by_source: dict[str, list[tuple[int, int]]] = {}
    for i, (record, chips) in enumerate(plans):
        by_source.setdefault(record.source, []).extend((i, k) for k in range(len(chips)))
    keep: set[tuple[int, int]] = set()
    for refs in by_source.values():
        picked = rng.choice(len(refs), size=min(cap, len(refs)), replace=False)
        keep.update(refs[j] for j in picked)
    return [
        (rec, [c for k, c in enumerate(chips) if (i, k) in keep])
        for i, (rec, chips) in enumerate(plans)
    ]


def _stochastic_round(x: float, rng: np.random.Generator) -> int:
    return int(math.floor(x) + (rng.random() < x - math.floor(x)))


def _padded_crop(image: np.ndarray, x0: int, y0: int, size: int) -> np.ndarray:
    crop = image[y0 : y0 + size, x0 : x0 + size]
    if crop.shape[:2] == (size, size):
        return np.ascontiguousarray(crop)
    out = np.full((size, size, 3), PAD_VALUE, dtype=image.dtype)
    out[: crop.shape[0], : crop.shape[1]] = crop
    return out


# --- writing ---------------------------------------------------------------------------


def write_dataset(
    parts: Mapping[str, Sequence[LabelledImage]],
    out_dir: Path,
    *,
    class_names: Sequence[str],
    scales: Mapping[str, SourceScale],
    target_gsd_cm_per_px: float | None,
    modes: Mapping[str, str],
    opts: ChipOptions = ChipOptions(),
) -> Path:
    """Write ``images/PART``, ``labels/PART``, ``chips.json`` and ``data.yaml``.

    ``parts``: e.g. ``{"train": [...], "val": [...]}``; ``modes`` gives each
    part's mode (``"objects"`` or ``"tiles"``). ``data.yaml`` names no
    ``path``, so ultralytics resolves the parts beside it and the folder can
    move. Returns the ``data.yaml`` path.
    """
    import cv2
    import yaml

    rng = np.random.default_rng(opts.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, list[dict]] = {}
    for part, records in parts.items():
        (out_dir / "images" / part).mkdir(parents=True, exist_ok=True)
        (out_dir / "labels" / part).mkdir(parents=True, exist_ok=True)
        entries = manifest.setdefault(part, [])
        plans = []
        for record in records:
            factor = resize_factor(scales[record.source], target_gsd_cm_per_px)
            plans.append((record, plan_frame(record, factor, modes[part], opts, rng)))
        caps = opts.max_chips_per_source or {}
        cap = caps.get(part)
        for record, chips in cap_per_source(plans, cap, rng):
            pixel_list = render(record, chips, opts.size_px)
            for k, (chip, pixels) in enumerate(zip(chips, pixel_list, strict=True)):
                stem = f"{safe_name(record.source)}__{record.image_path.stem}__{k:03d}"
                image_path = out_dir / "images" / part / f"{stem}.jpg"
                cv2.imwrite(str(image_path), pixels, [cv2.IMWRITE_JPEG_QUALITY, opts.jpeg_quality])
                _write_label(out_dir / "labels" / part / f"{stem}.txt", chip, opts.size_px)
                entries.append(_manifest_entry(stem, chip))
    data = {
        **{part: f"images/{part}" for part in parts},
        "names": dict(enumerate(class_names)),
    }
    first = f"images/{next(iter(parts))}"
    for key in ("train", "val"):  # ultralytics needs both; an evaluation-only set names its part
        data.setdefault(key, first)
    yaml_path = out_dir / "data.yaml"
    yaml_path.write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    (out_dir / "chips.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    log.info("wrote %s", ", ".join(f"{len(v)} {k} chips" for k, v in manifest.items()))
    return yaml_path


def _write_label(path: Path, chip: Chip, size: int) -> None:
    lines = []
    for (x0, y0, x1, y1), cls in zip(chip.xyxy_px, chip.class_ids, strict=True):
        cx, cy, w, h = (
            (x0 + x1) / 2 / size,
            (y0 + y1) / 2 / size,
            (x1 - x0) / size,
            (y1 - y0) / size,
        )
        lines.append(f"{int(cls)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


def _manifest_entry(stem: str, chip: Chip) -> dict:
    return {
        "chip": stem,
        "frame": chip.frame.name,
        "source": chip.source,
        "factor": round(chip.factor, 6),
        "x0_px": chip.x0_px,
        "y0_px": chip.y0_px,
        "n_boxes": len(chip.class_ids),
        "classes": [int(c) for c in chip.class_ids],
    }


def safe_name(text: str) -> str:
    """``text`` with anything but letters, digits, ``-_.`` turned into ``-`` (for file names)."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def per_source_yamls(yaml_path: Path, part: str) -> dict[str, Path]:
    """One data yaml per source of ``part``, listing only that source's chips.

    For metrics per held-out source; the lists sit beside ``data.yaml``.
    """
    import yaml

    data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    manifest = json.loads((yaml_path.parent / "chips.json").read_text(encoding="utf-8"))
    by_source: dict[str, list[str]] = {}
    for e in manifest.get(part, []):
        by_source.setdefault(e["source"], []).append(f"./images/{part}/{e['chip']}.jpg")
    out = {}
    for source, chips in sorted(by_source.items()):
        stem = f"{part}__{safe_name(source)}"
        (yaml_path.parent / f"{stem}.txt").write_text("\n".join(chips) + "\n", encoding="utf-8")
        one = {
            "train": f"{stem}.txt",
            "val": f"{stem}.txt",
            part: f"{stem}.txt",
            "names": data["names"],
        }
        out[source] = yaml_path.parent / f"{stem}.yaml"
        out[source].write_text(
            yaml.safe_dump(one, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    return out


def summarize(yaml_path: Path) -> dict[str, dict]:
    """Per part: chips, frames, sources and instances per class name, from ``chips.json``."""
    import yaml

    names = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))["names"]
    manifest = json.loads((yaml_path.parent / "chips.json").read_text(encoding="utf-8"))
    out = {}
    for part, entries in manifest.items():
        counts = Counter(names[c] for e in entries for c in e["classes"])
        out[part] = {
            "chips": len(entries),
            "background_chips": sum(1 for e in entries if not e["n_boxes"]),
            "frames": len({(e["source"], e["frame"]) for e in entries}),
            "sources": sorted({e["source"] for e in entries}),
            "instances": {n: counts.get(n, 0) for n in names.values()},
        }
    return out
