"""Merging tile detections into one set per frame.

Two passes, both class-wise and in full-frame pixels:

1. NMS (``cv2.dnn.NMSBoxesBatched``): an object wholly inside the overlap of
   two tiles is found twice with nearly the same box; the weaker copy goes.
2. Border merge: an object cut by a tile border leaves a partial box that
   touches an interior edge of its tile. (a) When at least ``contain`` of its
   area lies inside a same-class box from another tile that reaches past the
   cutting edge and is not cut itself on the facing side, that tile saw the
   whole object: the fragment is dropped.
   (b) When a same-class box from another tile is cut too, on the facing side,
   and the two overlap in the strip the tiles share and agree across it (1-D
   IoU >= 0.5 along the border), each tile saw part of the object: the two
   merge into their union box, with the highest confidence and that box's tile.

   Dropping rather than merging in (a) keeps a big box from swallowing a small
   neighbour that merely touches a border: on the held-out river-plastic
   location, merging cost 4.7 points of mAP50 (0.589 vs 0.636).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.detect.detections import Detections
from pipeline.detect.tiling import TilePlan

#: A box edge this close (scaled-frame px) to an interior tile edge counts as cut.
EDGE_PX = 8.0
_CHUNK = 512


def nms_indices(
    xywh: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, *, conf: float, iou: float
) -> np.ndarray:
    """Rows kept by class-wise NMS (``cv2.dnn.NMSBoxesBatched``), best first.

    ``xywh (N, 4)`` boxes as left, top, width, height; rows with score ``<= conf`` go.
    """
    import cv2

    nms_batched: Any = cv2.dnn.NMSBoxesBatched  # its stubs want lists; arrays work and are faster
    keep = np.asarray(
        nms_batched(
            np.asarray(xywh, np.float64), np.asarray(scores, np.float32),
            np.asarray(class_ids, np.int32), float(conf), float(iou),
        ),
        np.int64,
    ).reshape(-1)  # fmt: skip
    return keep[np.argsort(-np.asarray(scores)[keep], kind="stable")]


def nms(dets: Detections, iou: float) -> Detections:
    """Class-wise NMS; returns kept rows in descending confidence."""
    if len(dets) < 2:
        return dets
    xywh = dets.xyxy_px.astype(np.float64)
    xywh[:, 2:] -= xywh[:, :2]
    return dets[nms_indices(xywh, dets.conf, dets.class_id, conf=-1.0, iou=iou)]


def cut_sides(dets: Detections, plan: TilePlan, edge_px: float = EDGE_PX) -> np.ndarray:
    """``(N, 4) bool``: box touches its tile's interior left, top, right, bottom edge.

    An edge is interior when it is not the frame's own edge.
    """
    if not len(dets):
        return np.zeros((0, 4), bool)
    rects = plan.tile_rects_px()[dets.tile_index]
    h, w = plan.frame_hw
    sx, sy = plan.scale_xy
    margin = np.array([edge_px / sx, edge_px / sy])
    box = dets.xyxy_px.astype(np.float64)
    near_lo = box[:, :2] - rects[:, :2] <= margin
    near_hi = rects[:, 2:] - box[:, 2:] <= margin
    interior_lo = rects[:, :2] > 0.5 / np.array([sx, sy])
    interior_hi = rects[:, 2:] < np.array([w, h]) - 0.5 / np.array([sx, sy])
    return np.concatenate([near_lo & interior_lo, near_hi & interior_hi], axis=1)


def _links(
    box: np.ndarray, tiles: np.ndarray, cut: np.ndarray, cols: np.ndarray, contain: float,
    rects: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Two ``(N, M) bool`` matrices for box i and cut box ``cols[m]`` (same class):
    ``inside`` (rule a: the cut box is a fragment of box i) and ``halves`` (rule b).

    ``rects (N, 4)`` are the rows' tile rectangles in full-frame pixels.
    """
    sub, sub_cut = box[cols], cut[cols]
    lo = np.maximum(box[:, None, :2], sub[None, :, :2])
    hi = np.minimum(box[:, None, 2:], sub[None, :, 2:])
    inter_wh = np.clip(hi - lo, 0, None)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    sub_area = np.prod(sub[:, 2:] - sub[:, :2], axis=1)
    # (a) the cut box lies mostly inside box i, and box i reaches past the tile edge
    # that cuts it, uncut there itself: box i shows the whole object. Without that,
    # a large box swallows a small neighbour that merely touches a border.
    sub_rect = rects[cols]
    beyond = np.concatenate([box[:, None, :2] < sub_rect[None, :, :2],
                             box[:, None, 2:] > sub_rect[None, :, 2:]], axis=2)  # fmt: skip
    whole = ~cut[:, None, [2, 3, 0, 1]]  # box i is not cut itself on the side facing the piece
    crosses = (beyond & whole & sub_cut[None, :, :]).any(axis=2)
    inside = (inter >= contain * np.maximum(sub_area[None, :], 1e-9)) & crosses
    # (b) both cut, on facing sides of the same axis, agreeing across it.
    linked = np.zeros_like(inside)
    for axis in (0, 1):
        across = 1 - axis
        span = np.maximum(box[:, None, 2 + across], sub[None, :, 2 + across]) - np.minimum(
            box[:, None, across], sub[None, :, across]
        )
        agree = (inter_wh[..., across] >= 0.5 * np.maximum(span, 1e-9)) & (inter_wh[..., axis] > 0)
        facing = (cut[:, None, 2 + axis] & sub_cut[None, :, axis]) | (
            cut[:, None, axis] & sub_cut[None, :, 2 + axis]
        )
        linked |= facing & agree
    other_tile = (inter > 0) & (tiles[:, None] != tiles[cols][None, :])
    return inside & other_tile, linked & other_tile


def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def _group_labels(n: int, edges: np.ndarray) -> np.ndarray:
    """Union-find over ``edges (E, 2)``: a root label per node."""
    parent = np.arange(n)
    for a, b in edges:
        ra, rb = _find(parent, int(a)), _find(parent, int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([_find(parent, i) for i in range(n)], np.int64)


def merge_border_cuts(dets: Detections, plan: TilePlan, *, contain: float = 0.7) -> Detections:
    """Merge boxes of one object split across tile borders (see module doc)."""
    cut = cut_sides(dets, plan)
    if len(dets) < 2 or not cut.any():
        return dets
    box = dets.xyxy_px.astype(np.float64)
    rects = plan.tile_rects_px()[dets.tile_index]
    edges, fragments = [], []
    for cls in np.unique(dets.class_id[cut.any(axis=1)]):
        rows = np.flatnonzero(dets.class_id == cls)
        cut_cols = np.flatnonzero(cut[rows].any(axis=1))
        for start in range(0, len(cut_cols), _CHUNK):  # bounds memory at ~N x 512 pairs
            cols = cut_cols[start : start + _CHUNK]
            inside, halves = _links(box[rows], dets.tile_index[rows], cut[rows], cols, contain,
                                    rects[rows])  # fmt: skip
            fragments.append(rows[cols[inside.any(axis=0)]])
            i, m = np.nonzero(halves)
            edges.append(np.stack([rows[i], rows[cols[m]]], axis=1))
    keep = np.ones(len(dets), bool)
    keep[np.concatenate(fragments)] = False  # the other tile saw the whole object: drop the piece
    labels = _group_labels(len(dets), np.concatenate(edges))
    if keep.all() and np.array_equal(labels, np.arange(len(dets))):
        return dets
    return _union_groups(dets[keep], labels[keep])


def _union_groups(dets: Detections, labels: np.ndarray) -> Detections:
    """One row per label: union box, best confidence and that row's class and tile."""
    roots, inverse = np.unique(labels, return_inverse=True)
    lo = np.full((len(roots), 2), np.inf)
    hi = np.full((len(roots), 2), -np.inf)
    np.minimum.at(lo, inverse, dets.xyxy_px[:, :2])
    np.maximum.at(hi, inverse, dets.xyxy_px[:, 2:])
    order = np.lexsort((-dets.conf, inverse))  # by group, best first
    first = order[np.r_[0, np.flatnonzero(np.diff(inverse[order])) + 1]]
    merged = Detections(
        np.concatenate([lo, hi], axis=1),
        dets.conf[first],
        dets.class_id[first],
        dets.tile_index[first],
    )
    return merged.sorted_by_conf()


def merge_detections(
    dets: Detections, plan: TilePlan, *, iou: float = 0.5, contain: float = 0.7
) -> Detections:
    """NMS across tiles, then border merge; rows in descending confidence."""
    return merge_border_cuts(nms(dets, iou), plan, contain=contain)
