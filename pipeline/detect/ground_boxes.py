"""Detections on the ground: footprints, centres and areas.

Each box is outlined by its 4 corners and 4 edge midpoints (8 points, clockwise
in the image from the top-left corner) and every point goes through
:meth:`pipeline.geo.georef.Georef.locate`, so an oblique frame's box becomes
the trapezoid it really covers. The area is the shoelace area of that outline
in the frame's local ENU metres; the centre is the box centre pixel located
on the ground (under perspective it is not the outline's centroid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.detect.detections import Detections

if TYPE_CHECKING:
    from pipeline.geo.georef import Georef
    from pipeline.geo.uncertainty import PointUncertainty, PositionErrors
    from pipeline.records import FrameMeta

#: Outline points per box: TL, top-mid, TR, right-mid, BR, bottom-mid, BL, left-mid.
OUTLINE_POINTS = 8


@dataclass(frozen=True, eq=False)
class GroundDetections:
    """N boxes on the ground, as parallel arrays.

    ``footprint_latlon_deg (N, 8, 2)`` WGS-84 (lat, lon); ``footprint_en_m (N, 8, 2)``
    (east, north) metres in the frame's local ENU; ``center_lat_deg``,
    ``center_lon_deg``, ``area_m2`` ``(N,)``; ``hit (N,) bool`` is true when all
    9 points reached the ground (else the row's values are NaN).
    """

    footprint_latlon_deg: np.ndarray
    footprint_en_m: np.ndarray
    center_lat_deg: np.ndarray
    center_lon_deg: np.ndarray
    area_m2: np.ndarray
    hit: np.ndarray

    def __post_init__(self) -> None:
        n = self.hit.shape[0]
        for name in ("footprint_latlon_deg", "footprint_en_m"):
            if getattr(self, name).shape != (n, OUTLINE_POINTS, 2):
                raise ValueError(
                    f"{name} must have shape (N, 8, 2) = ({n}, 8, 2), "
                    f"got {getattr(self, name).shape}"
                )
        for name in ("center_lat_deg", "center_lon_deg", "area_m2"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")

    def __len__(self) -> int:
        return int(self.hit.shape[0])

    def ring_latlon(self, i: int) -> list[tuple[float, float]]:
        """Row ``i``'s outline as a closed (lat, lon) ring."""
        ring = [(float(a), float(b)) for a, b in self.footprint_latlon_deg[i]]
        return [*ring, ring[0]]


def box_outline_px(xyxy_px: np.ndarray) -> np.ndarray:
    """``(N, 4)`` boxes -> ``(N, 8, 2)`` (u, v) outline points, clockwise from top-left."""
    x1, y1, x2, y2 = (np.asarray(xyxy_px, np.float64)[:, i] for i in range(4))
    xm, ym = (x1 + x2) / 2, (y1 + y2) / 2
    u = np.stack([x1, xm, x2, x2, x2, xm, x1, x1], axis=1)
    v = np.stack([y1, y1, y1, ym, y2, y2, y2, ym], axis=1)
    return np.stack([u, v], axis=2)


def polygon_area(xy: np.ndarray) -> np.ndarray:
    """Shoelace area of ``(N, M, 2)`` polygons (any orientation), ``(N,)``."""
    x, y = xy[..., 0], xy[..., 1]
    return 0.5 * np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1))


def locate_detections(dets: Detections, georef: Georef) -> GroundDetections:
    """Place full-frame detections on the ground with one vectorised ``locate``."""
    return locate_boxes(dets.xyxy_px, georef)


def locate_boxes(xyxy_px: np.ndarray, georef: Georef) -> GroundDetections:
    """Place ``(N, 4)`` full-frame pixel boxes on the ground with one vectorised ``locate``."""
    xyxy_px = np.asarray(xyxy_px, np.float64).reshape(-1, 4)
    n = len(xyxy_px)
    outline = box_outline_px(xyxy_px)
    centre = (xyxy_px[:, :2] + xyxy_px[:, 2:]) / 2
    uv = np.concatenate([outline.reshape(-1, 2), centre]) if n else np.zeros((0, 2))
    pts = georef.locate(uv)
    k = n * OUTLINE_POINTS
    hit = pts.hit[:k].reshape(n, OUTLINE_POINTS).all(axis=1) & pts.hit[k:]
    en = np.stack([pts.east_m[:k], pts.north_m[:k]], axis=1).reshape(n, OUTLINE_POINTS, 2)
    latlon = np.stack([pts.lat_deg[:k], pts.lon_deg[:k]], axis=1).reshape(n, OUTLINE_POINTS, 2)
    area = np.where(hit, polygon_area(en), np.nan)
    return GroundDetections(latlon, en, pts.lat_deg[k:], pts.lon_deg[k:], area, hit)


def frame_georef(meta: FrameMeta) -> Georef | None:
    """The frame's :class:`Georef`, or None when it lacks a usable geotag."""
    from pipeline.errors import MissingGeotagError
    from pipeline.geo.georef import georeference

    try:
        return georeference(meta)
    except MissingGeotagError:
        return None


def frame_gsd_cm_per_px(georef: Georef | None) -> float | None:
    """Ground resolution at the frame centre, or None when unknown."""
    if georef is None:
        return None
    gsd = georef.gsd_cm_per_px()
    return gsd if math.isfinite(gsd) and gsd > 0 else None


@dataclass(frozen=True, eq=False)
class BoxUncertainty:
    """Per box, the ground uncertainty of its centre (:mod:`pipeline.geo.uncertainty`)."""

    points: PointUncertainty

    def row(self, i: int) -> dict[str, float | None]:
        """Box ``i``'s fields of :class:`pipeline.records.GroundDetection` (None where NaN)."""
        p = self.points
        values = {
            "sigma_m": p.sigma_m[i],
            "sigma_rel_m": p.sigma_rel_m[i],
            "sigma_bias_m": p.sigma_bias_m[i],
            "range_m": p.range_m[i],
            "depression_deg": p.depression_deg[i],
        }
        return {k: float(v) if math.isfinite(v) else None for k, v in values.items()}


def box_uncertainty(
    xyxy_px: np.ndarray, georef: Georef, meta: FrameMeta, errors: PositionErrors | None = None
) -> BoxUncertainty:
    """The ground uncertainty of ``(N, 4)`` boxes' centres in ``meta``'s frame."""
    from pipeline.geo.uncertainty import locate_uncertainty

    xyxy_px = np.asarray(xyxy_px, np.float64).reshape(-1, 4)
    centre = (xyxy_px[:, :2] + xyxy_px[:, 2:]) / 2
    return BoxUncertainty(locate_uncertainty(georef, centre, meta, errors))
