"""The detect-tile-merge loop: any detector callable over a frame's tiles.

Stateless, in the shape of supervision's ``InferenceSlicer(callback)``: the
geometry comes from :mod:`pipeline.detect.tiling` (plan, cut, map back), the
cross-tile merge from :mod:`pipeline.detect.merge`; this module only runs a
:data:`Detector` over the tiles in batches and hands the boxes to the merge.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pipeline.detect.detections import Detections
from pipeline.detect.merge import merge_detections
from pipeline.detect.tiling import TilePlan, cut_tiles, scale_frame, to_frame

#: Tiles per detector call. On 2 CPU cores yolo11n ran 21 ms a tile in batches
#: of 4 and 23 ms in batches of 8 (ONNX Runtime), 22 and 30 ms (PyTorch):
#: bigger batches only add memory traffic on a CPU; raise it for a GPU.
DEFAULT_BATCH = 4

#: A detector: ``tiles (B, S, S, 3) uint8 BGR`` (as OpenCV decodes) -> one
#: :class:`Detections` per tile, boxes in that tile's pixels.
Detector = Callable[[np.ndarray], list[Detections]]


def detect_tiled(
    frame: np.ndarray,
    detector: Detector,
    plan: TilePlan,
    *,
    batch_size: int = DEFAULT_BATCH,
    iou: float = 0.5,
    contain: float = 0.7,
) -> Detections:
    """Run ``detector`` over every tile of ``frame`` and merge: full-frame detections.

    ``frame (H, W, 3) uint8`` in the channel order the detector expects (BGR
    for hehu's backends). ``iou`` is the class-wise NMS threshold across tiles,
    ``contain`` the share of a border-cut box that must lie inside a
    same-class box of a neighbouring tile for it to count as a fragment of
    that box (see :mod:`pipeline.detect.merge`).
    """
    return detect_scaled(
        scale_frame(frame, plan), detector, plan, batch_size=batch_size, iou=iou, contain=contain
    )


def detect_scaled(
    scaled: np.ndarray,
    detector: Detector,
    plan: TilePlan,
    *,
    batch_size: int = DEFAULT_BATCH,
    iou: float = 0.5,
    contain: float = 0.7,
    tiles: np.ndarray | None = None,
) -> Detections:
    """:func:`detect_tiled` on a frame already resized to ``plan.scaled_hw``;
    ``tiles`` (indices into the plan) runs only those tiles."""
    order = np.arange(len(plan)) if tiles is None else np.asarray(tiles, dtype=np.int64)
    parts = [Detections.empty()]
    for start in range(0, len(order), max(1, batch_size)):
        indices = order[start : start + batch_size]
        parts.append(to_frame(detector(cut_tiles(scaled, plan, indices)), plan, indices))
    return merge_detections(Detections.concat(parts), plan, iou=iou, contain=contain)
