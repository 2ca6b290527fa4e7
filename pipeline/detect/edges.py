"""How sharply a box stands out from its surroundings: floating or submerged?

Something floating on the surface (a bottle, a bag, a clump of foam) has a
crisp outline; a rock or weed bed under clear water is seen through the water
column, blurred and faded. :func:`edge_ratio` measures that as the 95th
percentile of the gradient magnitude over the box and its outline (the box
grown by a tenth of its longer side, at least 2 px) over the median gradient
in a ring around that (half the box's longer side wide, at least 4 px): calm
water around a floating item gives a large ratio, a submerged rock among
other submerged rocks a small one. On the 8,439 hand-labelled floating items
of the three Grogol river locations 1 % score under 6.8–7.4 and 0.1–0.2 %
under 4; a rock under clear lake water at Brighton Beach, which river-debris
took for floating garbage, scores 3.2. A card's ``min_edge_ratio`` drops
boxes under it.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Outline and ring widths as shares of the box's longer side, and their floors in pixels.
OUTLINE_FRAC, OUTLINE_MIN_PX = 0.1, 2
RING_FRAC, RING_MIN_PX = 0.5, 4
#: The surroundings' median gradient is floored here (grey levels per pixel): a perfectly
#: flat ring (saturated glare, a synthetic frame) must not make any speck look sharp.
FLAT_FLOOR = 1.0


def edge_ratio(image_bgr: np.ndarray, xyxy_px: np.ndarray) -> np.ndarray:
    """``(N,)`` 95th-percentile gradient of box and outline over the ring's median, per box."""
    h, w = image_bgr.shape[:2]
    out = np.full(len(xyxy_px), np.inf, dtype=np.float32)
    for i, box in enumerate(np.asarray(xyxy_px, dtype=np.float64)):
        x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
        x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue  # too small to judge: kept
        side = max(x1 - x0, y1 - y0)
        o = max(OUTLINE_MIN_PX, int(OUTLINE_FRAC * side))
        x0, y0, x1, y1 = max(0, x0 - o), max(0, y0 - o), min(w, x1 + o), min(h, y1 + o)
        m = max(RING_MIN_PX, int(RING_FRAC * side))
        X0, Y0, X1, Y1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        grey = cv2.cvtColor(image_bgr[Y0:Y1, X0:X1], cv2.COLOR_BGR2GRAY).astype(np.float32)
        mag = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3),
                            cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3))  # fmt: skip
        inner = np.zeros(mag.shape, dtype=bool)
        inner[y0 - Y0 : y1 - Y0, x0 - X0 : x1 - X0] = True
        ring = mag[~inner]
        if ring.size < 16:
            continue  # the box fills the frame: nothing to compare with, kept
        out[i] = np.percentile(mag[inner], 95) / max(float(np.median(ring)), FLAT_FLOOR)
    return out
