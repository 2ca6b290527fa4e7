"""Train and measure the water estimate (:mod:`pipeline.detect.water`) from weak labels.

No one has drawn water masks for thousands of frames, so the training labels
are weak, and each kind says how it was made:

- ``land``: a frame with no water at all (city streets, roofs): every cell is land.
- ``water_below``: a camera looking down at a river from a bridge: cells below
  ``water_from`` (a fraction of the height) are water, cells above ``land_to``
  are the bridge, the band between is not used.
- ``auto``: a lake shore. The cells of the frame are clustered (k-means on
  Lab colour and local contrast); the smoothest cluster, opened and kept where
  it forms large connected areas, is water. Cells next to its edge (shadows on
  water, docks, the shoreline itself) are not used, so the classifier is never
  told that shaded water is land.
- ``polygons``: hand-drawn water polygons in fractions of the frame's width and
  height (``models/water/masks.yaml``); every cell is labelled by the share of it
  inside them. These are the measuring masks.

Cells are compared with labels by the majority of their pixels; for hand-drawn
masks, cells that are 20–80 % water sit on the shoreline and are reported apart.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.detect.water import (
    CELL_PX,
    MIN_WATER_CELLS,
    N_FEATURES,
    WATER_FILE,
    WATER_THRESHOLD,
    WaterMLP,
    cell_features,
    cell_means,
    reduce_frame,
    water_cells,
)

log = logging.getLogger(__name__)

IGNORE = -1.0
LabelKind = str  # land | water_below | auto | polygons


@dataclass(frozen=True)
class LabelledFrame:
    """One frame and how its cells are labelled; ``source`` groups frames for splits."""

    path: Path
    source: str
    kind: LabelKind
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    water_from: float = 0.3
    land_to: float = 0.05


def decode(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"cannot decode {path}")
    return image


def polygon_share(shape_cells: tuple[int, int], polygons: Iterable[Sequence]) -> np.ndarray:
    """Share of each cell inside the polygons (fractions of width/height): ``(rows, cols)``."""
    import cv2

    rows, cols = shape_cells
    sub = 8  # rasterise at 8 samples per cell side
    canvas = np.zeros((rows * sub, cols * sub), dtype=np.uint8)
    for poly in polygons:
        pts = np.array([[x * cols * sub, y * rows * sub] for x, y in poly], dtype=np.float64)
        cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1)
    return canvas.reshape(rows, sub, cols, sub).mean(axis=(1, 3)).astype(np.float32)


def auto_water(image_bgr: np.ndarray) -> np.ndarray:
    """The ``auto`` weak label of a lake-shore frame: ``(rows, cols)`` 1 water, 0 land,
    :data:`IGNORE` at the edges of the water."""
    import cv2

    small = reduce_frame(image_bgr)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    light = lab[:, :, 0]
    blur = cv2.blur(light, (5, 5))
    contrast = np.sqrt(np.maximum(cv2.blur(light * light, (5, 5)) - blur * blur, 0.0))
    cells = cell_means(np.dstack([lab, contrast[:, :, None]]))
    x = cells.reshape(-1, 4)
    xs = ((x - x.mean(0)) / (x.std(0) + 1e-6)).astype(np.float32)
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 50, 0.1)
    _, assigned, _ = cv2.kmeans(xs, 3, None, criteria, 5, cv2.KMEANS_PP_CENTERS)
    assigned = assigned.ravel()
    smooth = int(np.argmin([x[assigned == k, 3].mean() for k in range(3)]))
    mask = (assigned == smooth).reshape(cells.shape[:2]).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, comp, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    water = np.zeros_like(mask)
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] >= 0.05 * mask.size:
            water[comp == i] = 1
    kernel = np.ones((5, 5), np.uint8)
    edge = cv2.dilate(water, kernel) != cv2.erode(water, kernel)
    label = water.astype(np.float32)
    label[edge] = IGNORE
    return label


def cell_labels(frame: LabelledFrame, image_bgr: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per-cell labels of a frame: 1 water, 0 land, :data:`IGNORE` unused; hand-drawn
    polygons give the water share of each cell (0–1)."""
    rows, _ = shape
    if frame.kind == "land":
        return np.zeros(shape, dtype=np.float32)
    if frame.kind == "water_below":
        label = np.full(shape, IGNORE, dtype=np.float32)
        centre = (np.arange(rows) + 0.5) / rows
        label[centre >= frame.water_from, :] = 1.0
        label[centre <= frame.land_to, :] = 0.0
        return label
    if frame.kind == "auto":
        return auto_water(image_bgr)
    if frame.kind == "polygons":
        return polygon_share(shape, frame.polygons)
    raise ValueError(f"unknown label kind {frame.kind!r} for {frame.path}")


def frame_grid(frame: LabelledFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(features (rows, cols, N_FEATURES), labels (rows, cols))`` of one frame's cells."""
    image = decode(frame.path)
    features = cell_features(image)
    return features, cell_labels(frame, image, features.shape[:2])


def frame_cells(frame: LabelledFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(features (n, N_FEATURES), labels (n,))`` of one frame's cells."""
    features, labels = frame_grid(frame)
    return features.reshape(-1, N_FEATURES), labels.ravel()


def gather(frames: Sequence[LabelledFrame]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and source index of every labelled cell of ``frames``."""
    feats, labels, sources = [], [], []
    names = sorted({f.source for f in frames})
    for frame in frames:
        f, y = frame_cells(frame)
        keep = y != IGNORE
        feats.append(f[keep])
        labels.append(y[keep])
        sources.append(np.full(int(keep.sum()), names.index(frame.source)))
    return np.concatenate(feats), np.concatenate(labels), np.concatenate(sources)


def fit_mlp(
    features: np.ndarray,
    labels: np.ndarray,
    sources: np.ndarray,
    *,
    hidden: tuple[int, ...] = (32, 16),
    epochs: int = 40,
    seed: int = 0,
) -> WaterMLP:
    """Train the classifier; each source weighs the same whatever its number of cells."""
    import torch

    torch.manual_seed(seed)
    mean = features.mean(axis=0)
    std = features.std(axis=0) + 1e-6
    x = torch.from_numpy(((features - mean) / std).astype(np.float32))
    y = torch.from_numpy((labels >= 0.5).astype(np.float32))
    counts = np.bincount(sources)
    w = torch.from_numpy((1.0 / counts[sources]).astype(np.float32))
    w = w / w.mean()
    sizes = (N_FEATURES, *hidden, 1)
    layers: list[Any] = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 512):
            idx = order[start : start + 512]
            logits = net(x[idx])[:, 0]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y[idx], weight=w[idx]
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    return WaterMLP(
        mean.astype(np.float32),
        std.astype(np.float32),
        tuple(m.weight.detach().numpy().T.copy() for m in linears),
        tuple(m.bias.detach().numpy().copy() for m in linears),
    )


def measure(model: WaterMLP, frames: Sequence[LabelledFrame]) -> dict[str, Any]:
    """Cell accuracy, water precision/recall/IoU against the frames' labels, of the
    water cells the engine uses (:func:`~pipeline.detect.water.water_cells`).

    Cells labelled 20–80 % water (a hand-drawn shoreline through them) are
    counted apart as ``shoreline_cells`` and left out of the figures.
    """
    tp = fp = fn = tn = shore = 0
    per_frame = {}
    for frame in frames:
        grid, labels = frame_grid(frame)
        pred = water_cells(model(grid.reshape(-1, N_FEATURES)).reshape(labels.shape)).ravel()
        y = labels.ravel()
        mixed = (y > 0.2) & (y < 0.8)
        used = (y != IGNORE) & ~mixed
        truth = y >= 0.5
        shore += int(mixed.sum())
        a = int((pred & truth & used).sum())
        b = int((pred & ~truth & used).sum())
        c = int((~pred & truth & used).sum())
        d = int((~pred & ~truth & used).sum())
        tp, fp, fn, tn = tp + a, fp + b, fn + c, tn + d
        per_frame[frame.path.name] = {
            "water_true": round(float(truth[used].mean()) if used.any() else 0.0, 3),
            "water_found": round(float(pred[used].mean()) if used.any() else 0.0, 3),
        }
    total = tp + fp + fn + tn
    return {
        "frames": len(frames),
        "cells": total,
        "shoreline_cells": shore,
        "accuracy": _ratio(tp + tn, total),
        "water_precision": _ratio(tp, tp + fp),
        "water_recall": _ratio(tp, tp + fn),
        "water_iou": _ratio(tp, tp + fp + fn),
        "land_called_water": _ratio(fp, fp + tn),
        "per_frame": per_frame,
    }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def write_model(
    model: WaterMLP,
    out_dir: Path,
    *,
    training: dict[str, Any],
    metrics: dict[str, Any],
    licence: dict[str, Any],
) -> Path:
    """``out_dir/water.npz`` and its ``card.yaml`` (sha256, training data, figures)."""
    import yaml

    from pipeline.detect.card import sha256_file

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / WATER_FILE
    model.save(weights)
    card = {
        "name": "water",
        "description": (
            "Water or land for each cell of a frame (1/32 of its long side): a small MLP on "
            "Lab colour, local contrast and gradient of the cell and two neighbourhoods. "
            "Gates models whose card says surface: water. Weakly labelled, see training."
        ),
        "cell_px": CELL_PX,
        "threshold": WATER_THRESHOLD,
        "min_water_cells": MIN_WATER_CELLS,
        "weights": {"file": WATER_FILE, "sha256": sha256_file(weights)},
        "licence": licence,
        "training": {**training, "date": dt.date.today().isoformat()},
        "metrics": metrics,
    }
    path = out_dir / "card.yaml"
    text = "# Written by `hehu water train`. The measuring masks are in masks.yaml.\n"
    path.write_text(text + yaml.safe_dump(card, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def recipe_licence(recipe_path: Path) -> dict[str, Any]:
    """The card's ``licence`` block from the recipe's (the water model starts from random
    weights); :class:`~pipeline.errors.ConfigError` before training when it is missing."""
    import yaml
    from pydantic import ValidationError

    from pipeline.errors import ConfigError
    from pipeline.train.recipe import RecipeLicence, card_licence, require_licence

    raw = (yaml.safe_load(recipe_path.read_text(encoding="utf-8")) or {}).get("licence")
    try:
        given = None if raw is None else RecipeLicence.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(f"{recipe_path}: licence is wrong:\n{e}") from e
    return card_licence(require_licence(given, str(recipe_path)), None)


def load_recipe(recipe_path: Path, data_root: Path) -> list[tuple[str, LabelledFrame]]:
    """``(split, frame)`` for every frame the recipe names under ``data_root``.

    Raises :class:`~pipeline.errors.ConfigError` naming the recipe and the source
    when a source matches no file or a polygons frame has no mask.
    """
    import yaml

    from pipeline.errors import ConfigError

    recipe = yaml.safe_load(recipe_path.read_text(encoding="utf-8"))
    masks_path = recipe_path.with_name("masks.yaml")
    masks = yaml.safe_load(masks_path.read_text(encoding="utf-8")) if masks_path.is_file() else {}
    out = []
    for src in recipe["sources"]:
        name, kind, split = src["name"], src["kind"], src["split"]
        files = sorted({p for pattern in src["glob"].split() for p in data_root.glob(pattern)})
        files = [p for p in files if not any(x in p.name for x in src.get("exclude", []))]
        if not files:
            raise ConfigError(
                f"{recipe_path}: source {name} matches no file under {data_root} "
                f"({src['glob']}); give --data the folder that holds the data sets"
            )
        if src.get("max_frames") and len(files) > src["max_frames"]:
            picks = np.linspace(0, len(files) - 1, src["max_frames"]).round().astype(int)
            files = [files[i] for i in sorted(set(picks.tolist()))]
        for path in files:
            polygons: tuple = ()
            if kind == "polygons":
                drawn = (masks or {}).get(path.parent.name, {})
                if path.name not in drawn:
                    raise ConfigError(
                        f"{masks_path}: {path.parent.name}/{path.name} has no mask; draw its "
                        f"water polygons (or [] for none) before measuring on it"
                    )
                polygons = tuple(tuple(tuple(pt) for pt in poly) for poly in drawn[path.name])
            out.append((split, LabelledFrame(path, name, kind, polygons)))
    return out


def train_and_measure(recipe_path: Path, data_root: Path, out_dir: Path) -> dict[str, Any]:
    """Train on the recipe's ``train`` sources, measure on each ``test`` source, write the
    model and card to ``out_dir``; returns the card's metrics."""
    licence = recipe_licence(recipe_path)
    frames = load_recipe(recipe_path, data_root)
    train = [f for split, f in frames if split == "train"]
    features, labels, sources = gather(train)
    log.info("water: %d labelled cells from %d frames", len(labels), len(train))
    model = fit_mlp(features, labels, sources)
    tests: dict[str, list[LabelledFrame]] = {}
    for split, f in frames:
        if split == "test":
            tests.setdefault(f.source, []).append(f)
    metrics = {name: measure(model, group) for name, group in tests.items()}
    training = {
        "recipe": "train.yaml",
        "sources": {
            f.source: {"kind": f.kind, "frames": sum(1 for _, g in frames if g.source == f.source)}
            for _, f in frames
        },
        "cells": len(labels),
        "water_share": round(float((labels >= 0.5).mean()), 3),
        "held_out": sorted(tests),
    }
    write_model(model, out_dir, training=training, metrics={"held_out": metrics}, licence=licence)
    return metrics
