"""Pair each frame of a new flight with the earlier frames that saw the same ground.

Every frame is georeferenced (:func:`pipeline.geo.georef.georeference`) and its
ground footprint placed in one local plane: ENU at the first new frame's
position (:func:`pipeline.geo.coords.geodetic_to_enu`; over a reach of a few
kilometres the plane's distortion is far below GPS error). Footprints are convex
(a frustum cut by level ground, capped at the far range), so their overlap is
computed by Sutherland–Hodgman clipping with no geometry library.

A candidate earlier frame ``o`` for a new frame ``n`` scores::

    score = share × (gsd_min / gsd_max) × cos(off_nadir_o)

- ``share``: the part of the new frame's footprint the earlier one covers (0–1);
- ``gsd_min / gsd_max``: 1 when both see the ground at the same resolution, ½ when
  one is twice as coarse (detail the coarser frame lacks cannot be compared);
- ``cos(off_nadir_o)``: 1 for an earlier frame looking straight down, ½ at 60°
  off nadir (oblique views hide ground behind relief and register worse).

Pairs with ``share`` under ``min_share`` are dropped; each new frame keeps its
``top_k`` best. Frames that cannot be georeferenced are returned as skipped, with
why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pipeline.detect.ground_boxes import polygon_area
from pipeline.errors import BadInputError
from pipeline.geo.coords import geodetic_to_enu
from pipeline.geo.georef import Georef, georeference
from pipeline.records import FrameMeta

FloatArray = NDArray[np.float64]

#: Default least share of a new frame's footprint an earlier frame must cover.
MIN_SHARE = 0.2
#: Default number of earlier frames kept per new frame.
TOP_K = 3


@dataclass(frozen=True, eq=False)
class FrameOnGround:
    """A frame placed on the ground: ``ring_en_m (M, 2)`` its footprint (east, north),
    counter-clockwise, in the pairing's common plane; GSD at the principal point and
    the optical axis's angle from straight down."""

    meta: FrameMeta
    georef: Georef
    ring_en_m: FloatArray
    gsd_cm_per_px: float
    off_nadir_deg: float

    @property
    def area_m2(self) -> float:
        return float(polygon_area(self.ring_en_m[None])[0])


@dataclass(frozen=True)
class FramePair:
    """One new frame and one earlier frame that sees its ground; see the module doc."""

    new_path: str
    new_sha256: str
    old_path: str
    old_sha256: str
    share: float
    gsd_ratio: float
    off_nadir_deg: float
    score: float

    def to_dict(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


def clip_polygon(subject: FloatArray, clip: FloatArray) -> FloatArray:
    """Sutherland–Hodgman: ``subject (N, 2)`` cut to the convex, counter-clockwise
    ``clip (M, 2)``; the overlap (K, 2), empty (0, 2) when there is none."""
    out = np.asarray(subject, np.float64).reshape(-1, 2)
    clip = np.asarray(clip, np.float64).reshape(-1, 2)
    for a, b in zip(clip, np.roll(clip, -1, axis=0), strict=True):
        if len(out) == 0:
            break
        edge = b - a
        side = edge[0] * (out[:, 1] - a[1]) - edge[1] * (out[:, 0] - a[0])  # > 0: inside (left)
        kept: list[FloatArray] = []
        for i in range(len(out)):
            j = (i + 1) % len(out)
            if side[i] >= 0:
                kept.append(out[i])
            if (side[i] >= 0) != (side[j] >= 0):
                t = side[i] / (side[i] - side[j])
                kept.append(out[i] + t * (out[j] - out[i]))
        out = np.array(kept).reshape(-1, 2)
    return out


def ccw(ring: FloatArray) -> FloatArray:
    """``ring (M, 2)`` turned counter-clockwise if it was not (and without a closing point)."""
    ring = np.asarray(ring, np.float64).reshape(-1, 2)
    if len(ring) > 1 and np.allclose(ring[0], ring[-1]):
        ring = ring[:-1]
    x, y = ring[:, 0], ring[:, 1]
    return ring[::-1] if np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) < 0 else ring


def overlap_share(new_ring: FloatArray, old_ring: FloatArray) -> float:
    """Area of ``new ∩ old`` over the area of ``new`` (rings in metres, convex)."""
    new_ring, old_ring = ccw(new_ring), ccw(old_ring)
    whole = float(polygon_area(new_ring[None])[0])
    part = clip_polygon(new_ring, old_ring)
    if whole <= 0 or len(part) < 3:
        return 0.0
    return min(1.0, float(polygon_area(part[None])[0]) / whole)


def off_nadir_deg(georef: Georef) -> float:
    """Angle between the optical axis and straight down, degrees."""
    axis = georef.rays_enu([(georef.camera.cx_px, georef.camera.cy_px)])[0]
    return math.degrees(math.acos(max(-1.0, min(1.0, -float(axis[2])))))


def place_frame_on_ground(
    meta: FrameMeta, origin_latlon: tuple[float, float], georef: Georef | None = None
) -> FrameOnGround:
    """``meta``'s footprint in the plane at ``origin_latlon``; raises BadInputError
    (MissingGeotagError among them) when the frame cannot be placed."""
    g = georeference(meta) if georef is None else georef
    ring = np.array(g.footprint()[:-1], np.float64)
    e, n, _ = geodetic_to_enu(ring[:, 0], ring[:, 1], 0.0, lat0_deg=origin_latlon[0],
                              lon0_deg=origin_latlon[1], h0_m=0.0)  # fmt: skip
    gsd = g.gsd_cm_per_px()
    if not (math.isfinite(gsd) and gsd > 0):
        raise BadInputError(f"{meta.path}: the frame's centre does not see the ground")
    return FrameOnGround(meta, g, ccw(np.column_stack([e, n])), gsd, off_nadir_deg(g))


def place_frames(
    frames: Sequence[FrameMeta],
    origin_latlon: tuple[float, float],
    yaw_offsets: Mapping[str, float] | None = None,
) -> tuple[list[FrameOnGround], list[tuple[str, str]]]:
    """Frames placed on the ground, and ``(path, reason)`` of those that could not be.

    ``yaw_offsets``: degrees by frame sha256, the yaw check's corrections
    (:attr:`pipeline.geo.yaw_check.YawVerdict.yaw_offset_deg`).
    """
    placed, skipped = [], []
    for meta in frames:
        offset = (yaw_offsets or {}).get(meta.sha256, 0.0)
        try:
            g = georeference(meta, yaw_offset_deg=offset)
            placed.append(place_frame_on_ground(meta, origin_latlon, g))
        except BadInputError as e:
            skipped.append((meta.path, str(e)))
    return placed, skipped


def score_pair(new: FrameOnGround, old: FrameOnGround) -> FramePair:
    """The pairing score of ``old`` for ``new`` (see the module doc)."""
    share = overlap_share(new.ring_en_m, old.ring_en_m)
    lo, hi = sorted((new.gsd_cm_per_px, old.gsd_cm_per_px))
    ratio = lo / hi
    score = share * ratio * math.cos(math.radians(min(old.off_nadir_deg, 90.0)))
    return FramePair(new.meta.path, new.meta.sha256, old.meta.path, old.meta.sha256,
                     share, ratio, old.off_nadir_deg, score)  # fmt: skip


def _origin(frames: Sequence[FrameMeta]) -> tuple[float, float]:
    for meta in frames:
        if meta.gps is not None:
            return meta.gps.lat_deg, meta.gps.lon_deg
    return 0.0, 0.0


def pair_frames(
    new: Sequence[FrameMeta],
    earlier: Sequence[FrameMeta],
    *,
    top_k: int = TOP_K,
    min_share: float = MIN_SHARE,
    yaw_offsets: Mapping[str, float] | None = None,
) -> tuple[list[FramePair], list[tuple[str, str]]]:
    """Each new frame's ``top_k`` best earlier frames, best first per new frame.

    Returns the pairs (new frames in the order given) and ``(path, reason)`` of
    frames, new or earlier, that could not be placed on the ground. ``yaw_offsets``:
    the yaw check's corrections by sha256 (see :func:`place_frames`).
    """
    origin = _origin(new)
    placed_new, skipped = place_frames(new, origin, yaw_offsets)
    placed_old, skipped_old = place_frames(earlier, origin, yaw_offsets)
    pairs: list[FramePair] = []
    for n in placed_new:
        scored = [score_pair(n, o) for o in placed_old if _near(n, o)]
        scored = [p for p in scored if p.share >= min_share]
        pairs += sorted(scored, key=lambda p: -p.score)[:top_k]
    return pairs, skipped + skipped_old


def _near(a: FrameOnGround, b: FrameOnGround) -> bool:
    """Bounding boxes of the two footprints meet (a cheap test before clipping)."""
    lo_a, hi_a = a.ring_en_m.min(axis=0), a.ring_en_m.max(axis=0)
    lo_b, hi_b = b.ring_en_m.min(axis=0), b.ring_en_m.max(axis=0)
    return bool(np.all(lo_a <= hi_b) and np.all(lo_b <= hi_a))


def prior_homography(new: FrameOnGround, old: FrameOnGround, grid: int = 5) -> FloatArray | None:
    """The new frame's pixels → the earlier frame's, as the geotags predict (flat ground).

    Fits pixel → ground homographies of both frames on a ``grid × grid`` lattice of
    pixels and chains them; None when too few lattice points meet the ground.
    """
    import cv2

    maps = []
    for f in (new, old):
        cam = f.georef.camera
        s = (np.arange(grid) + 0.5) / grid
        uv = np.array([(u * cam.width_px, v * cam.height_px) for v in s for u in s])
        pts = f.georef.locate(uv)
        if pts.hit.sum() < 4:
            return None
        lat0, lon0 = new.meta.gps.lat_deg, new.meta.gps.lon_deg  # type: ignore[union-attr]
        e, n, _ = geodetic_to_enu(pts.lat_deg[pts.hit], pts.lon_deg[pts.hit], 0.0,
                                  lat0_deg=lat0, lon0_deg=lon0, h0_m=0.0)  # fmt: skip
        h, _ = cv2.findHomography(uv[pts.hit], np.column_stack([e, n]), 0)
        if h is None:
            return None
        maps.append(h)
    return np.linalg.inv(maps[1]) @ maps[0]
