"""Detections: a frozen struct of parallel numpy arrays, one row per box.

Boxes are ``xyxy_px`` (left, top, right, bottom) in pixels of whatever image
they were found in: a tile's pixels straight from a detector, the full frame's
pixels after :func:`pipeline.detect.tiling.to_frame`. ``tile_index`` is the
tile a box came from (``-1`` when unknown). Arrays are copied and made
read-only on construction, so a ``Detections`` never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _frozen(array: object, dtype: type) -> np.ndarray:
    out: np.ndarray = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Detections:
    """N boxes. ``xyxy_px (N, 4) float32``, ``conf (N,) float32``,
    ``class_id (N,) int64`` (model class index), ``tile_index (N,) int64``."""

    xyxy_px: np.ndarray
    conf: np.ndarray
    class_id: np.ndarray
    tile_index: np.ndarray

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy_px)
        if xyxy.ndim != 2 or xyxy.shape[1] != 4:
            raise ValueError(f"xyxy_px must be a 2D array of shape (N, 4), got shape {xyxy.shape}")
        n = xyxy.shape[0]
        for name in ("conf", "class_id", "tile_index"):
            arr = np.asarray(getattr(self, name))
            if arr.shape != (n,):
                raise ValueError(
                    f"{name} must be a 1D array of shape (N,) = ({n},) to match xyxy_px, "
                    f"got shape {arr.shape}"
                )
        for name in ("class_id", "tile_index"):
            arr = np.asarray(getattr(self, name))
            if n and not (
                np.issubdtype(arr.dtype, np.integer) or np.array_equal(arr, np.round(arr))
            ):
                raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
        if n and not np.isfinite(xyxy).all():
            rows = np.flatnonzero(~np.isfinite(xyxy).all(axis=1))[:5].tolist()
            raise ValueError(f"xyxy_px has non-finite values in rows {rows}")
        bad = np.flatnonzero((xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1]))
        if bad.size:
            raise ValueError(
                f"xyxy_px must have x2 >= x1 and y2 >= y1; rows {bad[:5].tolist()} do not"
            )
        object.__setattr__(self, "xyxy_px", _frozen(xyxy, np.float32))
        object.__setattr__(self, "conf", _frozen(self.conf, np.float32))
        object.__setattr__(self, "class_id", _frozen(self.class_id, np.int64))
        object.__setattr__(self, "tile_index", _frozen(self.tile_index, np.int64))

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            np.zeros((0, 4), np.float32),
            np.zeros(0, np.float32),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )

    @classmethod
    def from_arrays(
        cls,
        xyxy_px: np.ndarray,
        conf: np.ndarray,
        class_id: np.ndarray,
        tile_index: int | np.ndarray = -1,
    ) -> Detections:
        """Build from boxes, scores and classes; a scalar ``tile_index`` applies to every row."""
        n = np.asarray(xyxy_px).reshape(-1, 4).shape[0]
        tiles = (
            np.full(n, tile_index, np.int64) if np.ndim(tile_index) == 0 else np.asarray(tile_index)
        )
        return cls(np.asarray(xyxy_px).reshape(-1, 4), conf, class_id, tiles)

    @classmethod
    def concat(cls, parts: Sequence[Detections]) -> Detections:
        """All rows of ``parts``, in order."""
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.xyxy_px for p in parts]),
            np.concatenate([p.conf for p in parts]),
            np.concatenate([p.class_id for p in parts]),
            np.concatenate([p.tile_index for p in parts]),
        )

    def __len__(self) -> int:
        return int(self.xyxy_px.shape[0])

    def __getitem__(self, index: np.ndarray | slice | Sequence[int]) -> Detections:
        """Rows selected by a boolean mask, an index array or a slice."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(
            self.xyxy_px[index], self.conf[index], self.class_id[index], self.tile_index[index]
        )

    def filter(self, mask: np.ndarray) -> Detections:
        """Rows where the boolean ``mask (N,)`` is true."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self),):
            raise ValueError(f"mask must have shape ({len(self)},), got {mask.shape}")
        return self[mask]

    def above(self, conf: float) -> Detections:
        """Rows with confidence >= ``conf``."""
        return self[self.conf >= conf]

    def transformed(
        self, *, scale_xy: tuple[float, float] = (1.0, 1.0), shift_xy: tuple[float, float] = (0, 0)
    ) -> Detections:
        """Boxes mapped by ``p' = p * scale + shift`` (per axis); scales must be > 0."""
        sx, sy = scale_xy
        if sx <= 0 or sy <= 0:
            raise ValueError(f"scale_xy must be positive, got {scale_xy}")
        factor = np.array([sx, sy, sx, sy], np.float64)
        offset = np.array([*shift_xy, *shift_xy], np.float64)
        xyxy = self.xyxy_px.astype(np.float64) * factor + offset
        return Detections(xyxy, self.conf, self.class_id, self.tile_index)

    def scaled(self, factor: float) -> Detections:
        """Boxes multiplied by ``factor`` (e.g. from a rescaled frame back to full size)."""
        return self.transformed(scale_xy=(factor, factor))

    def clipped(self, width_px: int, height_px: int) -> Detections:
        """Boxes clipped to ``[0, width_px] x [0, height_px]``; boxes left empty are dropped."""
        xyxy = self.xyxy_px.copy()
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width_px)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height_px)
        keep = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        return Detections(xyxy[keep], self.conf[keep], self.class_id[keep], self.tile_index[keep])

    def with_tile_index(self, tile_index: int) -> Detections:
        return Detections(
            self.xyxy_px, self.conf, self.class_id, np.full(len(self), tile_index, np.int64)
        )

    def area_px(self) -> np.ndarray:
        """Box areas in square pixels, ``(N,) float32``."""
        wh = self.xyxy_px[:, 2:] - self.xyxy_px[:, :2]
        return wh[:, 0] * wh[:, 1]

    def sorted_by_conf(self) -> Detections:
        """Rows in descending confidence (stable)."""
        return self[np.argsort(-self.conf, kind="stable")]

    def __repr__(self) -> str:
        return f"Detections(n={len(self)}, classes={np.unique(self.class_id).tolist()})"
