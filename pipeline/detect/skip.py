"""Which tiles of a flight cannot hold a candidate, planned on the ground before detecting.

Per model, a tile is skipped when

- **seen in another frame** (:data:`SEEN`): every object it could show whole was
  already given to the model, whole, in a tile of a frame that sees the ground
  as finely or more (same GSD within 5 %, then closer to nadir first). Frames
  are walked best first; a tile that runs adds its *core* to the covered ground:
  the tile shrunk by half the largest object it keeps whole (the card's tile
  overlap on the ground, ``S``), since any object of size up to ``S`` whose
  centre lies there lies wholly in the tile. A tile is skipped when its own
  core, grown by ``K_SIGMA`` times the relative placement error of two frames
  (:mod:`pipeline.geo.uncertainty`, per-frame noise), lies in covered ground.
  Its core is shrunk only on its interior sides: an object near a tile border
  inside the frame lies whole in the neighbouring tile (the overlap is ``S``),
  whose own test stands for it; one near the frame's edge must be covered
  where it is;
- **outside every zone** (:data:`OUTSIDE`): with management zones configured and
  the ledger set to drop detections outside them (``outside_zone: drop``), its
  ground, grown by ``K_SIGMA`` times the absolute placement error, meets no zone;
- **land** (:data:`LAND`): decided later, on the decoded frame, for water-only models
  (:mod:`pipeline.detect.water`); counted with the others.

Frames that cannot be placed on the ground, and tiles that reach above the
horizon, are never skipped and cover nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from pipeline.detect.engine import LAND, plan_for

if TYPE_CHECKING:
    from pipeline.detect.card import ModelCard
    from pipeline.geo.cover import GroundGrid
    from pipeline.geo.georef import Georef
    from pipeline.geo.laser import GroundSettings
    from pipeline.ledger.zones import Zone
    from pipeline.records import FrameMeta

log = logging.getLogger(__name__)

SEEN = "seen in another frame"
OUTSIDE = "outside every zone"
#: Skip causes, in the order summaries show them.
CAUSES = (SEEN, OUTSIDE, LAND)
#: Placement errors are taken at this many sigma when growing ground for a test.
K_SIGMA = 2.0
#: Frames whose GSDs differ by less than this factor count as the same GSD.
GSD_STEP = 1.05
#: Ground cells of the coverage grid (metres), a fraction of the smallest tile's side.
CELL_FRACTION = 1 / 64


@dataclass(frozen=True)
class SkipPlan:
    """Tiles not to detect: ``tiles[frame sha256][model][tile index] = cause``;
    ``ground[model]``: ``flight_m2`` (ground the flight's tiles show) and ``detected_m2``
    (ground under the tiles that run), for the frames the plan could place."""

    tiles: dict[str, dict[str, dict[int, str]]] = field(default_factory=dict)
    ground: dict[str, dict[str, float]] = field(default_factory=dict)

    def for_frame(self, sha256: str) -> dict[str, dict[int, str]]:
        return self.tiles.get(sha256, {})

    def batch(self, sha256s: Iterable[str]) -> SkipPlan:
        """The plan for some frames only (what a detection batch needs, and its cache key)."""
        return SkipPlan({s: self.tiles[s] for s in sha256s if s in self.tiles})


@dataclass(frozen=True, eq=False)
class _FrameTiles:
    """One model's tiles of one frame on the flight-local ground (ENU metres).

    ``outline``, ``core``, ``test`` ``(T, 8, 2)``: each tile, shrunk by ``S/2`` all
    round, and shrunk by ``S/2`` on its interior sides; ``placed (T,)`` all points
    reached the ground; ``rel_m``/``abs_m`` ``(T,)`` 1σ relative and absolute error.
    """

    sha256: str
    order: tuple[float, float, int]
    pose: tuple
    outline: np.ndarray
    core: np.ndarray
    test: np.ndarray
    placed: np.ndarray
    rel_m: np.ndarray
    abs_m: np.ndarray


def plan_skips(
    frames: Sequence[tuple[FrameMeta, float]],
    cards: Sequence[ModelCard],
    *,
    ground: GroundSettings,
    zones: Sequence[Zone] = (),
) -> SkipPlan:
    """The skip plan of a flight: ``frames`` as ``(meta, yaw_offset_deg)``; ``zones``
    only when detections outside them are dropped (else pass none)."""
    from pipeline.ingest.band import frame_band

    placed = [(m, g) for m, yaw in frames if (g := _georef(m, yaw, ground)) is not None]
    if not placed:
        return SkipPlan()
    lat0, lon0 = placed[0][1].pose.lat_deg, placed[0][1].pose.lon_deg
    plan = SkipPlan()
    for card in cards:
        tiles = [
            _frame_tiles(meta, georef, card, ground, (lat0, lon0), i)
            for i, (meta, georef) in enumerate(placed)
            if frame_band(meta).band == card.band
        ]
        tiles = [t for t in tiles if t is not None]
        if tiles:
            _plan_model(plan, card.name, tiles, zones, (lat0, lon0))
    return plan


def _georef(meta: FrameMeta, yaw_offset_deg: float, ground: GroundSettings) -> Georef | None:
    from pipeline.geo.placement import place_frame

    return place_frame(meta, yaw_offset_deg=yaw_offset_deg, settings=ground).georef


def shrunk_rects(rects_px: np.ndarray, margin_px: float, frame_wh: tuple[int, int], *,
                 interior_only: bool) -> np.ndarray:  # fmt: skip
    """``(T, 4)`` tile rectangles shrunk by ``margin_px`` on every side, or on the sides
    that are not the frame's edge; a side never passes the tile's centre."""
    rects = np.asarray(rects_px, np.float64)
    lo, hi = rects[:, :2].copy(), rects[:, 2:].copy()
    mid = (lo + hi) / 2
    shrink_lo = np.full(lo.shape, True) if not interior_only else lo > 0.5
    shrink_hi = np.full(hi.shape, True) if not interior_only else hi < np.array(frame_wh) - 0.5
    lo = np.where(shrink_lo, np.minimum(lo + margin_px, mid), lo)
    hi = np.where(shrink_hi, np.maximum(hi - margin_px, mid), hi)
    return np.concatenate([lo, hi], axis=1)


def _frame_tiles(meta: FrameMeta, georef: Georef, card: ModelCard, ground: GroundSettings,
                 origin: tuple[float, float], index: int) -> _FrameTiles | None:  # fmt: skip
    from pipeline.detect.ground_boxes import frame_gsd_cm_per_px, locate_boxes
    from pipeline.geo.georef import georeference
    from pipeline.geo.uncertainty import locate_uncertainty

    gsd = frame_gsd_cm_per_px(georeference(meta, settings=ground))  # as detection scales it
    if gsd is None:
        return None
    plan = plan_for(card, (meta.height_px, meta.width_px), gsd)
    rects = plan.tile_rects_px()
    object_px = plan.tile_px * plan.overlap_frac / min(plan.scale_xy)  # S in frame pixels
    wh = (meta.width_px, meta.height_px)
    boxes = [rects, shrunk_rects(rects, object_px / 2, wh, interior_only=False),
             shrunk_rects(rects, object_px / 2, wh, interior_only=True)]  # fmt: skip
    located = [locate_boxes(b, georef) for b in boxes]
    outline, core, test = (_to_flight_enu(g.footprint_latlon_deg, origin) for g in located)
    centres = (rects[:, :2] + rects[:, 2:]) / 2
    unc = locate_uncertainty(georef, centres, meta)
    placed = located[0].hit & located[1].hit & located[2].hit & np.isfinite(unc.sigma_m)
    axis = georef.rays_enu([(georef.camera.cx_px, georef.camera.cy_px)])[0]
    off_nadir = math.degrees(math.acos(min(1.0, max(-1.0, -float(axis[2])))))
    order = (float(round(math.log(gsd) / math.log(GSD_STEP))), off_nadir, index)
    pose = (georef.pose, georef.camera, (meta.width_px, meta.height_px))
    return _FrameTiles(meta.sha256, order, pose, outline, core, test, placed,
                       np.nan_to_num(unc.sigma_rel_m), np.nan_to_num(unc.sigma_m))  # fmt: skip


def _to_flight_enu(latlon_deg: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
    from pipeline.geo.coords import geodetic_to_enu

    lat, lon = np.nan_to_num(latlon_deg[..., 0]), np.nan_to_num(latlon_deg[..., 1])
    east, north, _ = geodetic_to_enu(lat, lon, 0.0, lat0_deg=origin[0], lon0_deg=origin[1])
    return np.stack([east, north], axis=-1)


def _grid(tiles: Sequence[_FrameTiles], zones_margin_m: float) -> GroundGrid:
    from pipeline.geo.cover import GroundGrid

    pts = np.concatenate([t.outline[t.placed].reshape(-1, 2) for t in tiles] or [np.zeros((1, 2))])
    if not len(pts):
        pts = np.zeros((1, 2))
    margin = zones_margin_m + 1.0
    bounds = (*(pts.min(axis=0) - margin), *(pts.max(axis=0) + margin))
    sides = [np.linalg.norm(t.outline[:, 0] - t.outline[:, 2], axis=1) for t in tiles]
    side = float(np.min(np.concatenate(sides))) if sides else 1.0
    return GroundGrid((bounds[0], bounds[1], bounds[2], bounds[3]), max(0.05, side * CELL_FRACTION))


def _zone_layer(grid: GroundGrid, zones: Sequence[Zone], origin: tuple[float, float]) -> np.ndarray:
    layer = grid.layer()
    for zone in zones:
        for polygon in zone.polygons:
            rings = [_to_flight_enu(np.array([(lat, lon) for lon, lat in ring]), origin)
                     for ring in polygon]  # fmt: skip
            grid.fill(layer, rings[:1])
            grid.cut(layer, rings[1:])
    return layer


def _plan_model(plan: SkipPlan, model: str, tiles: Sequence[_FrameTiles],
                zones: Sequence[Zone], origin: tuple[float, float]) -> None:  # fmt: skip
    """Skip tiles outside every zone, then, GSD step by GSD step from the finest, drop the
    tiles whose ground the tiles still running cover, the worst-placed first."""
    margin = max((float(t.abs_m.max()) for t in tiles), default=0.0) * K_SIGMA
    grid = _grid(tiles, margin)
    zone_layer = _zone_layer(grid, zones, origin) if zones else None
    skips: dict[tuple[str, int], str] = {}
    running = [(t, i) for t in sorted(tiles, key=lambda t: t.order) for i in range(len(t.placed))
               if t.placed[i]]  # fmt: skip
    if zone_layer is not None:
        for t, i in running:
            if not grid.touches(zone_layer, t.outline[i], grow_m=K_SIGMA * float(t.abs_m[i])):
                skips[(t.sha256, i)] = OUTSIDE
        running = [(t, i) for t, i in running if (t.sha256, i) not in skips]
    cover = _Cover(grid, np.zeros(grid.shape, np.uint16), grid.layer())
    for step in sorted({t.order[0] for t, _ in running}):
        members = [(t, i) for t, i in running if t.order[0] == step]
        for t, i in members:
            cover.add(t, i)
        for t, i in reversed(members):
            if cover.redundant(t, i):
                skips[(t.sha256, i)] = SEEN
    shown, detected = grid.layer(), grid.layer()
    for t, i in running:
        grid.fill(shown, [t.outline[i]])
        if (t.sha256, i) not in skips:
            grid.fill(detected, [t.outline[i]])
    for (sha, i), cause in skips.items():
        plan.tiles.setdefault(sha, {}).setdefault(model, {})[i] = cause
    plan.ground[model] = {"flight_m2": round(grid.area_m2(shown), 1),
                          "detected_m2": round(grid.area_m2(detected), 1)}  # fmt: skip


class _Cover:
    """The tiles still running, for the test of :func:`_plan_model`: their cores counted per
    ground cell (``count``), their outlines in a list, the ground of the tiles taken out
    (``needed``) and the running tiles those rely on whole (``pinned``)."""

    def __init__(self, grid: GroundGrid, count: np.ndarray, needed: np.ndarray) -> None:
        self.grid, self.count, self.needed = grid, count, needed
        self.outlines = _Outlines()
        self.pinned: set[tuple[str, int]] = set()

    def add(self, t: _FrameTiles, i: int) -> None:
        self.grid.add_inner(self.count, t.core[i])
        self.outlines.add((t.sha256, i), t.outline[i], t.pose)

    def redundant(self, t: _FrameTiles, i: int) -> bool:
        """Take tile ``i`` of ``t`` out when every object it shows whole is shown whole by
        a tile still running: its outline, grown by the two frames' relative error, lies in
        one running tile's, or its test ground in the running cores (less none that a tile
        taken out before relies on)."""
        key = (t.sha256, i)
        if key in self.pinned:
            return False
        grow = K_SIGMA * math.sqrt(2.0) * float(t.rel_m[i])  # two frames' per-frame noise
        self.outlines.remove(key)
        holder = _holder(t.outline[i], grow, t.pose, self.outlines.around(t.outline[i]))
        if holder is not None:
            self.pinned.add(holder)
            self.grid.add_inner(self.count, t.core[i], -1)
            return True
        self.grid.add_inner(self.count, t.core[i], -1)
        win = self.grid.window(t.core[i])
        still = not (win.of(self.needed) & (win.of(self.count) == 0)).any()
        if still and self.grid.covered(self.count, t.test[i], grow_m=grow):
            self.grid.mark(self.needed, t.test[i], grow_m=grow)
            return True
        self.grid.add_inner(self.count, t.core[i])
        self.outlines.add(key, t.outline[i], t.pose)
        return False


class _Outlines:
    """The running tiles' outlines (anticlockwise, with their frame's pose), indexed by the
    ground squares their bounding boxes meet, so a test looks only at those that could
    hold a polygon instead of at every tile of the flight."""

    def __init__(self) -> None:
        self.rings: dict[tuple[str, int], tuple[np.ndarray, tuple]] = {}
        self.squares: dict[tuple[int, int], set[tuple[str, int]]] = {}
        self.side_m: float | None = None

    def _squares(self, polygon: np.ndarray) -> list[tuple[int, int]]:
        lo, hi = polygon.min(axis=0), polygon.max(axis=0)
        if self.side_m is None:  # about a tile: each outline meets a few squares
            self.side_m = max(float((hi - lo).max()), 1e-3)
        (i0, j0), (i1, j1) = np.floor(lo / self.side_m), np.floor(hi / self.side_m)
        return [(i, j) for i in range(int(i0), int(i1) + 1) for j in range(int(j0), int(j1) + 1)]

    def add(self, key: tuple[str, int], outline: np.ndarray, pose: tuple) -> None:
        self.rings[key] = (_ccw(outline), pose)
        for square in self._squares(outline):
            self.squares.setdefault(square, set()).add(key)

    def remove(self, key: tuple[str, int]) -> None:
        ring, _ = self.rings.pop(key)
        for square in self._squares(ring):
            self.squares[square].discard(key)

    def around(self, polygon: np.ndarray) -> dict[tuple[str, int], tuple[np.ndarray, tuple]]:
        """The outlines that could hold ``polygon``: those whose box holds its box."""
        if self.side_m is None:
            return {}
        lo, hi = polygon.min(axis=0), polygon.max(axis=0)
        (i, j) = np.floor(polygon[0] / self.side_m).astype(int)
        out = {}
        for key in sorted(self.squares.get((int(i), int(j)), ())):
            ring = self.rings[key][0]
            if (ring.min(axis=0) <= lo).all() and (ring.max(axis=0) >= hi).all():
                out[key] = self.rings[key]
        return out


def _ccw(polygon: np.ndarray) -> np.ndarray:
    """The polygon's points anticlockwise (east, north)."""
    x, y = polygon[:, 0], polygon[:, 1]
    area = np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
    return polygon if area > 0 else polygon[::-1]


def _holder(
    polygon: np.ndarray, grow_m: float, pose: tuple,
    outlines: dict[tuple[str, int], tuple[np.ndarray, tuple]],
) -> tuple[str, int] | None:  # fmt: skip
    """A key of ``outlines`` (convex, anticlockwise, with their frame's recorded pose)
    holding ``polygon`` with ``grow_m`` to spare on every side, or None. A frame recorded
    in exactly the same pose (camera, position, attitude, size) is the same view repeated:
    the same outline holds it, with nothing to spare."""
    if not outlines:
        return None
    keys = list(outlines)
    rings = np.stack([outlines[k][0] for k in keys])  # (M, K, 2)
    spare = np.array([0.0 if outlines[k][1] == pose else grow_m for k in keys])
    spare = spare[:, None, None] - 1e-6
    edges = np.roll(rings, -1, axis=1) - rings
    length = np.linalg.norm(edges, axis=2, keepdims=True)
    normal = np.stack([-edges[..., 1], edges[..., 0]], axis=2) / np.maximum(length, 1e-9)
    rel = polygon[None, None, :, :] - rings[:, :, None, :]  # (M, K, P, 2)
    inward = np.einsum("mkpd,mkd->mkp", rel, normal)
    inward = np.where(length > 1e-6, inward, np.inf)  # repeated points make no edge
    fits = np.flatnonzero((inward >= spare).all(axis=(1, 2)))
    return keys[int(fits[0])] if len(fits) else None


def coverage_lines(
    tiles: dict[str, dict[str, int]],
    ground: dict[str, dict[str, float]],
    second_look: dict[str, dict[str, int]] | None = None,
) -> list[str]:
    """Per model, one line: the share of tiles and of the flight's ground detected, and
    the tiles skipped by cause (``tiles``/``ground``/``second_look`` as in the run's gate
    counts), then one for what the second look ran (:mod:`pipeline.second_look`)."""
    lines = []
    for model in sorted(tiles):
        counts = tiles[model]
        total = sum(counts.values())
        ran = counts.get("detected", 0)
        line = f"{model}: {ran} of {total} tiles detected ({ran / max(total, 1):.0%})"
        area = ground.get(model)
        if area and area.get("flight_m2"):
            share = area["detected_m2"] / area["flight_m2"]
            line += (f"; the tiles planned to run show {share:.0%} of the "
                     f"{area['flight_m2']:,.0f} m² the flight's tiles show")  # fmt: skip
        skipped = [f"{cause} {counts[cause]}" for cause in CAUSES if counts.get(cause)]
        lines.append(line + (f"; skipped: {', '.join(skipped)}" if skipped else ""))
        look = (second_look or {}).get(model)
        if look:
            lines.append(f"{model}: second look at {look['objects']} box(es) that could be "
                         f"candidates, in {look['tiles']} skipped tile(s) of other frames; "
                         f"{look['found']} found again")  # fmt: skip
    return lines
