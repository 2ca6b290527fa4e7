"""Changed ground as regions: connected pixels over the threshold, with their area in m².

:func:`change_regions` thresholds a :class:`pipeline.change.compare.Comparison`,
opens the mask (drops specks of one or two working pixels), labels its connected
regions and keeps those of at least ``min_area_m2`` (100 m² by default, the
smallest patch in the offices' interpretation rules; cars need a few m²). Areas
are pixels × GSD² at the new frame's centre: a first-order figure for a nadir
frame, larger errors towards the far side of an oblique one. A ``zone`` callable
keeps only regions it accepts (e.g. inside the management zones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.change.compare import Comparison

#: The offices' smallest mapped patch, m².
MIN_AREA_M2 = 100.0


@dataclass(frozen=True)
class ChangeRegion:
    """One changed region of the new frame.

    ``xyxy_px``: bounding box in the new frame's full-resolution pixels;
    ``centroid_px``: ``(u, v)`` likewise; ``area_px``: changed pixels at full
    resolution; ``area_m2``: that times GSD² (None without a GSD); ``score``:
    mean change score over the region (1 = threshold).
    """

    xyxy_px: tuple[float, float, float, float]
    centroid_px: tuple[float, float]
    area_px: float
    area_m2: float | None
    score: float

    def to_dict(self) -> dict[str, object]:
        return {
            "xyxy_px": [round(v, 1) for v in self.xyxy_px],
            "centroid_px": [round(v, 1) for v in self.centroid_px],
            "area_px": round(self.area_px, 1),
            "area_m2": None if self.area_m2 is None else round(self.area_m2, 2),
            "score": round(self.score, 3),
        }


Zone = Callable[[ChangeRegion], bool]


def change_mask(comparison: Comparison, threshold: float = 1.0) -> np.ndarray:
    """``(h, w) bool`` working-scale mask of change, opened by a 3×3 square."""
    import cv2

    mask = ((comparison.score > threshold) & comparison.valid).astype(np.uint8)
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0


def change_regions(
    comparison: Comparison,
    *,
    gsd_cm_per_px: float | None,
    min_area_m2: float = MIN_AREA_M2,
    threshold: float = 1.0,
    zone: Zone | None = None,
) -> list[ChangeRegion]:
    """Changed regions of at least ``min_area_m2``, largest first.

    ``gsd_cm_per_px``: the new frame's GSD at full resolution; without it areas are
    unknown and ``min_area_m2`` cannot apply (every region is kept, ``area_m2`` None).
    """
    import cv2

    mask = change_mask(comparison, threshold)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(mask.astype(np.uint8), 8)
    s = comparison.scale
    px_m2 = None if not gsd_cm_per_px else (gsd_cm_per_px / 100.0 * s) ** 2
    out = []
    for k in range(1, n):
        x, y, w, h, count = (int(v) for v in stats[k])
        area_m2 = None if px_m2 is None else count * px_m2
        if area_m2 is not None and area_m2 < min_area_m2:
            continue
        score = float(comparison.score[labels == k].mean())
        region = ChangeRegion(
            xyxy_px=(x * s, y * s, (x + w) * s, (y + h) * s),
            centroid_px=(float(centroids[k][0] + 0.5) * s, float(centroids[k][1] + 0.5) * s),
            area_px=count * s * s,
            area_m2=area_m2,
            score=score,
        )
        if zone is None or zone(region):
            out.append(region)
    return sorted(out, key=lambda r: -r.area_px)
