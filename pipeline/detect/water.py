"""Where a frame is water: a per-cell estimate that gates models declared ``surface: water``.

A frame is reduced to :data:`WORK_LONG_PX` on its long side and cut into
square cells of :data:`CELL_PX` pixels. Each cell is described by colour
(CIE Lab mean and spread), texture (local contrast, gradient energy) and the
same figures over two wider neighbourhoods, so a cell also "sees" whether it
sits in a large smooth expanse or among roofs and trees. A small multilayer
perceptron, trained by :mod:`pipeline.train.water` from weakly labelled real
frames, turns each cell's features into a water probability.

The weights live in ``models/water/`` (``water.npz`` with its ``card.yaml``:
sha256, training data, held-out figures), and inference is numpy only.
:class:`WaterMap` answers the two questions the engine asks: how much of a
region (a tile, a box) is water.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from pipeline.errors import ConfigError

#: Long side of the reduced frame the estimate works on, in pixels.
WORK_LONG_PX = 1024
#: Side of one cell of the estimate, in reduced pixels (a 4000 px frame: 125 px cells).
CELL_PX = 32
#: Neighbourhoods (in cells) whose means are appended as context features.
CONTEXT_CELLS = (3, 9)
#: Features per cell before context: Lab mean (3), Lab std (3), local contrast,
#: gradient, edge density, orientation coherence of the gradients.
BASE_FEATURES = 10
N_FEATURES = BASE_FEATURES * (1 + len(CONTEXT_CELLS))
#: Probability at or above which a cell counts as water.
WATER_THRESHOLD = 0.5
#: Water patches of fewer cells (8-connected; 2 % of a 16:9 frame) are taken for land: a
#: shadow on grass or a patch of pavement, not a river. On the held-out masks this takes
#: land called water from 0.9 % to 0.0 % (Brighton), 1.2 % to 0.2 % (Minsk video), 1.3 % to
#: 0.7 % (Grogol Location_1) and 12.0 % to 10.6 % (Minsk stills), no water IoU lower.
MIN_WATER_CELLS = 12

WATER_MODEL = "water"
WATER_FILE = "water.npz"


class WaterModelError(ConfigError):
    """The water model's folder, card or weights are missing or do not match."""


def reduce_frame(image_bgr: np.ndarray) -> np.ndarray:
    """``image_bgr`` reduced so its long side is :data:`WORK_LONG_PX` (never enlarged),
    cropped to whole cells. ``(h, w, 3) uint8``."""
    import cv2

    h, w = image_bgr.shape[:2]
    scale = min(1.0, WORK_LONG_PX / max(h, w))
    if scale < 1.0:
        size = (max(CELL_PX, round(w * scale)), max(CELL_PX, round(h * scale)))
        image_bgr = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)
    rh, rw = image_bgr.shape[:2]
    ch, cw = max(1, rh // CELL_PX), max(1, rw // CELL_PX)
    if rh < CELL_PX or rw < CELL_PX:
        image_bgr = cv2.resize(image_bgr, (cw * CELL_PX, ch * CELL_PX))
    return np.ascontiguousarray(image_bgr[: ch * CELL_PX, : cw * CELL_PX, :3])


def cell_means(values: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` pixel maps → ``(H/CELL, W/CELL, C)`` cell means."""
    h, w, c = values.shape
    return values.reshape(h // CELL_PX, CELL_PX, w // CELL_PX, CELL_PX, c).mean(axis=(1, 3))


def cell_features(image_bgr: np.ndarray) -> np.ndarray:
    """Features of every cell of a decoded frame: ``(rows, cols, N_FEATURES) float32``."""
    import cv2

    small = reduce_frame(image_bgr)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32) / 255.0
    lightness = lab[:, :, 0]
    blur = cv2.blur(lightness, (5, 5))
    contrast = np.sqrt(np.maximum(cv2.blur(lightness * lightness, (5, 5)) - blur * blur, 0.0))
    gx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1, ksize=3)
    gradient = np.sqrt(gx * gx + gy * gy)
    edges = cv2.Canny(small[:, :, 1], 60, 150).astype(np.float32) / 255.0
    mean = cell_means(lab)
    spread = np.sqrt(np.maximum(cell_means(lab * lab) - mean * mean, 0.0))
    texture = cell_means(np.stack([contrast, gradient, edges, gx * gx, gy * gy, gx * gy], axis=2))
    jxx, jyy, jxy = texture[:, :, 3], texture[:, :, 4], texture[:, :, 5]
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + 1e-6)
    base = np.concatenate([mean, spread, texture[:, :, :3], coherence[:, :, None]], axis=2)
    base = base.astype(np.float32)
    context = [
        cv2.blur(base, (k, k), borderType=cv2.BORDER_REFLECT)[:, :, :BASE_FEATURES]
        if min(base.shape[:2]) > 1
        else base
        for k in CONTEXT_CELLS
    ]
    return np.concatenate([base, *context], axis=2).astype(np.float32)


@dataclass(frozen=True)
class WaterMLP:
    """The trained classifier: standardisation, then ``tanh`` layers, then a sigmoid.

    ``weights[i] (n_in, n_out)``, ``biases[i] (n_out,)``; ``mean``/``std``
    ``(N_FEATURES,)`` standardise the features first.
    """

    mean: np.ndarray
    std: np.ndarray
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if self.mean.shape != (N_FEATURES,) or self.std.shape != (N_FEATURES,):
            raise ValueError(
                f"mean and std must have shape ({N_FEATURES},), "
                f"got {self.mean.shape} and {self.std.shape}"
            )
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError("weights and biases must be non-empty lists of equal length")
        n_in = N_FEATURES
        for w, b in zip(self.weights, self.biases, strict=True):
            if w.ndim != 2 or w.shape[0] != n_in or b.shape != (w.shape[1],):
                raise ValueError(f"layer shapes do not chain: {w.shape} after {n_in} inputs")
            n_in = w.shape[1]
        if n_in != 1:
            raise ValueError(f"the last layer must have one output, got {n_in}")

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """Water probability of each row of ``features (..., N_FEATURES)``: ``(...)``."""
        x = (features.reshape(-1, N_FEATURES) - self.mean) / self.std
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = x @ w + b
            if i < len(self.weights) - 1:
                x = np.tanh(x)
        prob = 1.0 / (1.0 + np.exp(-np.clip(x[:, 0], -30, 30)))
        return prob.reshape(features.shape[:-1]).astype(np.float32)

    def save(self, path: Path) -> None:
        arrays = {"mean": self.mean, "std": self.std}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"w{i}"], arrays[f"b{i}"] = w, b
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path: Path) -> WaterMLP:
        try:
            with np.load(path, allow_pickle=False) as z:
                n = sum(1 for k in z.files if k.startswith("w"))
                return cls(
                    z["mean"].astype(np.float32),
                    z["std"].astype(np.float32),
                    tuple(z[f"w{i}"].astype(np.float32) for i in range(n)),
                    tuple(z[f"b{i}"].astype(np.float32) for i in range(n)),
                )
        except (OSError, KeyError, ValueError) as e:
            raise WaterModelError(
                f"cannot read the water model {path}: {e}; retrain it with `hehu water train`"
            ) from e


@dataclass(frozen=True, eq=False)
class WaterMap:
    """Water probability per cell of one frame, and questions about regions of it.

    ``prob (rows, cols) float32`` covers the frame's ``frame_hw`` pixels
    (cell ``(r, c)`` spans ``frame_hw / (rows, cols)`` pixels).
    """

    prob: np.ndarray
    frame_hw: tuple[int, int]

    @cached_property
    def water(self) -> np.ndarray:
        return water_cells(self.prob)

    @property
    def fraction(self) -> float:
        """Share of the frame that is water, 0–1."""
        return float(self.water.mean()) if self.prob.size else 0.0

    def _cells(self, xyxy_px: np.ndarray, margin_cells: int) -> tuple[np.ndarray, ...]:
        rows, cols = self.prob.shape
        h, w = self.frame_hw
        x = np.asarray(xyxy_px, dtype=np.float64).reshape(-1, 4)
        c0 = np.clip(np.floor(x[:, 0] / w * cols).astype(int) - margin_cells, 0, cols - 1)
        c1 = np.clip(np.ceil(x[:, 2] / w * cols).astype(int) + margin_cells, c0 + 1, cols)
        r0 = np.clip(np.floor(x[:, 1] / h * rows).astype(int) - margin_cells, 0, rows - 1)
        r1 = np.clip(np.ceil(x[:, 3] / h * rows).astype(int) + margin_cells, r0 + 1, rows)
        return r0, r1, c0, c1

    def region_fraction(self, xyxy_px: np.ndarray, *, margin_cells: int = 0) -> np.ndarray:
        """Share of water cells under each box ``xyxy_px (N, 4)`` in frame pixels,
        the box grown by ``margin_cells`` cells each way: ``(N,) float32``."""
        water = self.water.astype(np.float32)
        out = np.zeros(len(np.asarray(xyxy_px).reshape(-1, 4)), dtype=np.float32)
        for i, (r0, r1, c0, c1) in enumerate(zip(*self._cells(xyxy_px, margin_cells), strict=True)):
            out[i] = water[r0:r1, c0:c1].mean()
        return out


def water_cells(prob: np.ndarray) -> np.ndarray:
    """Which cells of a ``(rows, cols)`` probability grid are water: at or above
    :data:`WATER_THRESHOLD`, in a patch of at least :data:`MIN_WATER_CELLS` cells."""
    import cv2

    water = prob >= WATER_THRESHOLD
    if not water.any():
        return water
    n, label, stats, _ = cv2.connectedComponentsWithStats(water.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_WATER_CELLS
    return keep[label]


def estimate_water(image_bgr: np.ndarray, model: WaterMLP) -> WaterMap:
    """The :class:`WaterMap` of a decoded frame ``(H, W, 3) uint8`` BGR."""
    return WaterMap(model(cell_features(image_bgr)), tuple(image_bgr.shape[:2]))


def load_water_model(models_dir: Path | str) -> WaterMLP:
    """The water classifier under ``models_dir/water`` with its card's sha256 checked."""
    import yaml

    from pipeline.detect.card import sha256_file
    from pipeline.detect.licence import check_licence

    folder = Path(models_dir) / WATER_MODEL
    card_path, weights_path = folder / "card.yaml", folder / WATER_FILE
    if not card_path.is_file() or not weights_path.is_file():
        raise WaterModelError(
            f"a model declares surface: water but {folder} lacks card.yaml or {WATER_FILE}: "
            f"restore models/{WATER_MODEL} from the hehu checkout or train it with "
            f"`hehu water train`"
        )
    card = yaml.safe_load(card_path.read_text(encoding="utf-8")) or {}
    try:
        check_licence(card, str(card_path))
    except ConfigError as e:
        raise WaterModelError(str(e)) from e
    expected = (card.get("weights") or {}).get("sha256")
    found = sha256_file(weights_path)
    if expected != found:
        raise WaterModelError(
            f"refusing {weights_path}: its sha256 is {found} but {card_path} expects "
            f"{expected}; retrain with `hehu water train`, which rewrites both"
        )
    return WaterMLP.load(weights_path)
