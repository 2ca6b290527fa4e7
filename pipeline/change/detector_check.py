"""The detector's say in a recheck: does it find the object at the box's place, then and now?

The earlier crop (a :data:`pipeline.change.recheck.TILE_PX` square around the box in
the earlier frame) and the same ground resampled from the new frame go to the
detector as one batch of two tiles, so both are seen at the same scale and
orientation. A detection of the wanted classes whose IoU with the box is at least
``MATCH_IOU`` counts as the object.
"""

from __future__ import annotations

import numpy as np

from pipeline.detect.detections import Detections
from pipeline.detect.metrics import box_iou
from pipeline.detect.slicer import Detector


def square_window(box_old_px, side_px: int, hw: tuple[int, int]) -> tuple[int, int, int, int]:
    """A ``side_px`` square centred on the box, slid inside an ``hw`` frame where it fits."""
    cx, cy = (box_old_px[0] + box_old_px[2]) / 2, (box_old_px[1] + box_old_px[3]) / 2
    x0 = round(cx - side_px / 2)
    y0 = round(cy - side_px / 2)
    x0 = min(max(0, x0), max(0, hw[1] - side_px))
    y0 = min(max(0, y0), max(0, hw[0] - side_px))
    return x0, y0, x0 + side_px, y0 + side_px


def _cut(image: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """``image[window]``, padded with black where the window leaves the image."""
    x0, y0, x1, y1 = window
    out = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
    h, w = image.shape[:2]
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out


def best_match(
    dets: Detections, box_px, class_ids: tuple[int, ...] | None, min_conf: float, iou: float
) -> float:
    """Confidence of the best detection on the box (0 when none qualifies)."""
    keep = dets.conf >= min_conf
    if class_ids is not None:
        keep &= np.isin(dets.class_id, class_ids)
    if not keep.any():
        return 0.0
    overlap = box_iou(dets.xyxy_px[keep], np.asarray(box_px, np.float64)[None])[:, 0]
    hits = dets.conf[keep][overlap >= iou]
    return float(hits.max()) if len(hits) else 0.0


def detector_scores(
    old_bgr: np.ndarray,
    new_ground: np.ndarray,
    window: tuple[int, int, int, int],
    box_old_px,
    detector: Detector,
    class_ids: tuple[int, ...] | None,
    min_conf: float,
    iou: float,
) -> tuple[float, float]:
    """``(then, now)``: the detector's best confidence on the box in the earlier frame's
    ``window`` and in ``new_ground`` (the same ground resampled from the new frame), 0
    where it finds nothing on the box."""
    tiles = np.stack([_cut(old_bgr, window), new_ground])
    box = np.asarray(box_old_px, np.float64) - np.array(window[:2] * 2, np.float64)
    then, now = (best_match(d, box, class_ids, min_conf, iou) for d in detector(tiles))
    return then, now
