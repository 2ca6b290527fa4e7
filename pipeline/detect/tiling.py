"""Tile geometry on full-resolution frames. Stateless: plans, cuts, maps back.

A drone frame (12–20 MP) is first rescaled by ``scale`` (so objects appear at
the ground resolution a model was trained at), then covered by square tiles of
``tile_px`` with at least ``overlap_frac`` overlap; the last tile in each row
and column is flush with the edge, and a frame smaller than a tile is padded
(bottom/right, grey 114 like ultralytics' letterbox). Boxes found in a tile
come back to full-frame pixels with :func:`to_frame`. The loop that sends
tiles to a detector and merges the boxes is :mod:`pipeline.detect.slicer`.

Coordinates: the *scaled frame* is the rescaled image the tiles are cut from;
*full-frame pixels* are the decoded image's. ``origins_xy`` are tile top-left
corners in the scaled frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.detect.detections import Detections

#: Grey that pads tiles beyond the frame edge (ultralytics' letterbox colour).
PAD_VALUE = 114


@dataclass(frozen=True, eq=False)
class TilePlan:
    """Where the tiles of one frame lie.

    ``frame_hw`` is the decoded frame's (height, width) px; ``scaled_hw`` the
    rescaled frame's; ``origins_xy (T, 2) int64`` the tiles' top-left corners
    in the scaled frame, row-major (left to right, then top to bottom).
    """

    frame_hw: tuple[int, int]
    scaled_hw: tuple[int, int]
    tile_px: int
    overlap_frac: float
    origins_xy: np.ndarray

    def __len__(self) -> int:
        return int(self.origins_xy.shape[0])

    @property
    def scale_xy(self) -> tuple[float, float]:
        """Scaled-frame px per full-frame px, per axis (≈ the requested scale)."""
        return self.scaled_hw[1] / self.frame_hw[1], self.scaled_hw[0] / self.frame_hw[0]

    def tile_rects_scaled(self) -> np.ndarray:
        """``(T, 4)`` tile rectangles (x1, y1, x2, y2) in the scaled frame, clipped to it."""
        h, w = self.scaled_hw
        x1y1 = self.origins_xy
        x2y2 = np.minimum(x1y1 + self.tile_px, [w, h])
        return np.concatenate([x1y1, x2y2], axis=1)

    def tile_rects_px(self) -> np.ndarray:
        """``(T, 4) float64`` tile rectangles in full-frame pixels, clipped to the frame."""
        sx, sy = self.scale_xy
        return self.tile_rects_scaled() / np.array([sx, sy, sx, sy])


def axis_starts(length_px: int, tile_px: int, overlap_frac: float) -> np.ndarray:
    """Tile start offsets along one axis covering ``[0, length_px)``.

    The fewest tiles whose spacing is at most ``tile_px * (1 - overlap_frac)``,
    spread evenly so the first starts at 0 and the last ends at ``length_px``
    (overlaps are then equal and at least the requested one).
    """
    if length_px <= tile_px:
        return np.zeros(1, np.int64)
    stride = max(1, math.floor(tile_px * (1.0 - overlap_frac)))
    n = math.ceil((length_px - tile_px) / stride) + 1
    return np.round(np.linspace(0, length_px - tile_px, n)).astype(np.int64)


def plan_tiles(
    frame_hw: tuple[int, int], *, tile_px: int, overlap_frac: float = 0.2, scale: float = 1.0
) -> TilePlan:
    """Plan the tiles of a ``(height, width)`` frame rescaled by ``scale``."""
    h, w = int(frame_hw[0]), int(frame_hw[1])
    if h < 1 or w < 1:
        raise ValueError(f"frame_hw must be positive (height, width), got {frame_hw}")
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError(f"scale must be a positive number, got {scale}")
    if tile_px < 1 or not 0.0 <= overlap_frac < 1.0:
        raise ValueError(
            f"need tile_px >= 1 and 0 <= overlap_frac < 1, got {tile_px}, {overlap_frac}"
        )
    scaled_hw = (max(1, round(h * scale)), max(1, round(w * scale)))
    ys = axis_starts(scaled_hw[0], tile_px, overlap_frac)
    xs = axis_starts(scaled_hw[1], tile_px, overlap_frac)
    gx, gy = np.meshgrid(xs, ys)
    origins = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.int64)
    return TilePlan((h, w), scaled_hw, int(tile_px), float(overlap_frac), origins)


def reduced_hw(frame_hw: tuple[int, int], reduction: int) -> tuple[int, int]:
    """A frame's size decoded at ``1 / reduction`` (libjpeg rounds up)."""
    return -(-frame_hw[0] // reduction), -(-frame_hw[1] // reduction)


def scale_frame(frame: np.ndarray, plan: TilePlan) -> np.ndarray:
    """The frame resized to ``plan.scaled_hw`` (the frame itself at scale 1).

    ``frame`` is the plan's frame, or that frame decoded reduced by 2, 4 or 8.
    """
    if frame.shape[:2] not in [reduced_hw(plan.frame_hw, f) for f in (1, 2, 4, 8)]:
        raise ValueError(
            f"frame has shape {frame.shape[:2]} but the plan was made for {plan.frame_hw}"
        )
    if plan.scaled_hw == frame.shape[:2]:
        return frame
    import cv2

    shrink = plan.scaled_hw[0] < frame.shape[0]
    size_wh = (plan.scaled_hw[1], plan.scaled_hw[0])
    return cv2.resize(frame, size_wh, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def cut_tiles(
    scaled: np.ndarray, plan: TilePlan, indices: Sequence[int] | np.ndarray
) -> np.ndarray:
    """Tiles ``indices`` of the scaled frame as a ``(B, S, S, C) uint8`` batch, padded with 114."""
    if scaled.shape[:2] != plan.scaled_hw:
        raise ValueError(
            f"scaled frame has shape {scaled.shape[:2]}, plan expects {plan.scaled_hw}"
        )
    s = plan.tile_px
    channels = scaled.shape[2] if scaled.ndim == 3 else 1
    batch = np.empty((len(indices), s, s, channels), np.uint8)
    h, w = plan.scaled_hw
    for b, t in enumerate(indices):
        x, y = plan.origins_xy[t]
        th, tw = min(s, h - y), min(s, w - x)
        batch[b, :th, :tw] = scaled[y : y + th, x : x + tw].reshape(th, tw, channels)
        if th < s or tw < s:
            batch[b, th:] = PAD_VALUE
            batch[b, :th, tw:] = PAD_VALUE
    return batch


def to_frame(
    per_tile: Sequence[Detections], plan: TilePlan, indices: Sequence[int] | np.ndarray
) -> Detections:
    """Tile-pixel detections -> full-frame pixels, tagged with their tile index.

    ``per_tile[k]`` belongs to tile ``indices[k]``. Boxes are shifted by the
    tile origin, the rescale is undone, and boxes are clipped to the frame
    (boxes wholly in the padding vanish).
    """
    if len(per_tile) != len(indices):
        raise ValueError(f"the detector returned {len(per_tile)} results for {len(indices)} tiles")
    dets = Detections.concat(
        [d.with_tile_index(int(t)) for d, t in zip(per_tile, indices, strict=True)]
    )
    if not len(dets):
        return dets
    sx, sy = plan.scale_xy
    origin = plan.origins_xy[dets.tile_index].astype(np.float64)
    xyxy = (dets.xyxy_px + np.tile(origin, 2)) / np.array([sx, sy, sx, sy])
    shifted = Detections(xyxy, dets.conf, dets.class_id, dets.tile_index)
    return shifted.clipped(plan.frame_hw[1], plan.frame_hw[0])
