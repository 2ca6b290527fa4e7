"""A second look, when tiles were skipped, at ground where one frame alone found an object.

Skipping (:mod:`pipeline.detect.skip`) gives each patch of ground to one frame's tile, so
most objects are found in one frame only. Two things rest on other views: association
(one issue per real object, placed from several frames) and the ledger's single-view
hold (an object one frame found and others that looked at its ground did not is held,
not filed). For each placed detection that could open an issue, this stage

1. counts the other frames whose tiles of its model looked at its ground (whether they
   found it or not): a tile that ran, whose core holds the point (the tile less half the
   largest object it keeps whole, on the sides inside the frame: an object there lies
   whole in the tile, or is cut by the frame's edge in every tile);
2. when fewer than ``ledger.single_view_covers`` + 1 did, runs its model on the tile of
   other frames skipped there as seen in another frame, finest GSD first, until that many
   have looked: one tile each, each frame decoded once for all the tiles asked of it.
   One look more than the hold needs: an object one frame found, and two others looked
   at and missed, may still be found by a third, as with ``--no-skip``.

Boxes those tiles find are added as detections of their frame (less those repeating a box
the frame already has), so an object found again is filed with both views. The ground
each partly skipped frame looked at goes to the ledger (``GateCounts.looked``), so an
object found again nowhere is held as it is with ``--no-skip``. With ``--no-skip``, or
the hold switched off, the stage does nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.config import HehuConfig
from pipeline.detect.skip import K_SIGMA, SEEN, SkipPlan, shrunk_rects
from pipeline.flight import BatchResult, FlightPlan, LatLonRing, PlannedFrame
from pipeline.geo.coords import haversine_m
from pipeline.ingest.names import display_path
from pipeline.records import GroundDetection
from pipeline.run import (
    detect_one,
    load_detectors,
    pixel_detections,
    placed_on,
    planned_georef,
    weights_sha,
)

if TYPE_CHECKING:
    from pipeline.detect.engine import LoadedModel
    from pipeline.geo.georef import Georef

log = logging.getLogger(__name__)

#: A new box repeats one its frame already has when this share of the smaller lies in both.
REPEAT_OVERLAP = 0.5


@dataclass(frozen=True)
class _View:
    """A frame the stage may look at: placed on the ground, not set aside."""

    frame: PlannedFrame
    georef: Georef
    gsd_cm_per_px: float


@dataclass(frozen=True)
class _Tiles:
    """One model's tiles of one frame: their cores in frame pixels and the plan's skips."""

    cores_px: np.ndarray
    skipped: Mapping[int, str]

    def holding(self, uv: np.ndarray) -> tuple[list[int], list[int]]:
        """Tiles whose core holds pixel ``uv``: ``(ran, skipped as seen elsewhere)``, each
        list deepest inside first."""
        lo, hi = self.cores_px[:, :2], self.cores_px[:, 2:]
        margin = np.minimum(uv - lo, hi - uv).min(axis=1)
        order = [int(i) for i in np.argsort(-margin) if margin[i] >= 0]
        ran = [i for i in order if i not in self.skipped]
        seen = [i for i in order if self.skipped.get(i) == SEEN]
        return ran, seen


@dataclass
class _Looks:
    """What the stage asks and learns, per model."""

    tiles: dict[str, dict[str, set[int]]] = dataclasses.field(default_factory=dict)
    objects: dict[str, list[GroundDetection]] = dataclasses.field(default_factory=dict)

    def ask(self, sha256: str, model: str, tile: int) -> None:
        self.tiles.setdefault(sha256, {}).setdefault(model, set()).add(tile)


def look_again(
    plan: FlightPlan, result: BatchResult, skips: SkipPlan | None, config: HehuConfig
) -> BatchResult:
    """The flight's placed detections with those a second look found (module docstring)."""
    covers = config.ledger.settings.single_view_covers
    if skips is None or covers is None or not _partly_skipped(skips):
        return result
    could_file = _could_file(result.detections, config.ledger.settings.moving_subtypes)
    if not could_file:  # nothing for the hold or association to weigh
        return result
    models = {m.name: m for m in load_detectors(config)}
    views = _views(plan, result)
    tiles = _TileCache(models, views, skips)
    looks = _Looks()
    for det in could_file:
        if det.model in models and _ask(det, views, tiles, covers, looks):
            looks.objects.setdefault(det.model, []).append(det)
    found = _run(looks, views, tiles, config, plan, result.detections)
    looked = _looked_ground(skips, views, tiles, looks)
    counts = _counts(looks, found)
    for model, c in counts.items():
        log.info("second look, %s: %d boxes looked for in other frames, %d tiles run, "
                 "%d found again", model, *c.values())  # fmt: skip
    gates = dataclasses.replace(result.gates, looked=looked, second_look=counts)
    return dataclasses.replace(result, detections=result.detections + tuple(found), gates=gates)


def _partly_skipped(skips: SkipPlan) -> bool:
    return any(SEEN in causes.values() for by_model in skips.tiles.values()
               for causes in by_model.values())  # fmt: skip


def _views(plan: FlightPlan, result: BatchResult) -> dict[str, _View]:
    from pipeline.detect.ground_boxes import frame_gsd_cm_per_px

    failed = {q.sha256 for q in result.set_aside}
    views = {}
    for frame in plan.frames:
        if frame.meta.sha256 in failed:
            continue
        georef, _ = planned_georef(frame, plan.ground)
        gsd = frame_gsd_cm_per_px(georef) if georef is not None else None
        if georef is not None and gsd is not None:
            views[frame.meta.sha256] = _View(frame, georef, gsd)
    return views


class _TileCache:
    """:class:`_Tiles` per frame and model, made when first asked (None: the model does not
    run on the frame's band)."""

    def __init__(self, models: Mapping[str, LoadedModel], views: Mapping[str, _View],
                 skips: SkipPlan) -> None:  # fmt: skip
        self.models, self.views, self.skips = models, views, skips
        self.made: dict[tuple[str, str], _Tiles | None] = {}

    def of(self, sha256: str, model: str) -> _Tiles | None:
        key = (sha256, model)
        if key not in self.made:
            self.made[key] = self._make(sha256, model)
        return self.made[key]

    def _make(self, sha256: str, model: str) -> _Tiles | None:
        from pipeline.detect.engine import plan_for
        from pipeline.ingest.band import frame_band

        view, card = self.views[sha256], self.models[model].card
        meta = view.frame.meta
        if frame_band(meta).band != card.band:
            return None
        tile_plan = plan_for(card, (meta.height_px, meta.width_px), view.gsd_cm_per_px)
        object_px = tile_plan.tile_px * tile_plan.overlap_frac / min(tile_plan.scale_xy)
        cores = shrunk_rects(tile_plan.tile_rects_px(), object_px / 2,
                             (meta.width_px, meta.height_px), interior_only=True)  # fmt: skip
        return _Tiles(cores, self.skips.for_frame(sha256).get(model, {}))


def _could_file(
    detections: Sequence[GroundDetection], moving: Sequence[str]
) -> list[GroundDetection]:
    """Placed detections that could open an issue (not context, not of a moving subtype)."""
    return [d for d in detections if d.lat_deg is not None and d.lon_deg is not None
            and d.subtype is not None and d.subtype not in moving]  # fmt: skip


def _distance_m(a: GroundDetection, b: GroundDetection) -> float:
    return haversine_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg)  # type: ignore[arg-type]


def _gate_m(a: GroundDetection, b: GroundDetection) -> float:
    """How far two views of one object may land apart: both positions' relative error at
    :data:`K_SIGMA`, plus half of each box's size."""
    sigma = math.hypot(a.sigma_rel_m or 1.0, b.sigma_rel_m or 1.0)
    return K_SIGMA * sigma + (math.sqrt(a.area_m2 or 0.0) + math.sqrt(b.area_m2 or 0.0)) / 2


def _ask(det: GroundDetection, views: Mapping[str, _View], tiles: _TileCache, covers: int,
         looks: _Looks) -> bool:  # fmt: skip
    """Ask for the tiles a second look at ``det`` needs; False when none is needed or none
    can be had."""
    looked, unseen = 0, []
    for sha, view in views.items():
        mine = tiles.of(sha, det.model) if sha != det.frame_sha256 else None
        if mine is None:
            continue
        uv = view.georef.pixels_of([det.lat_deg], [det.lon_deg])[0]
        if not np.isfinite(uv).all():
            continue
        ran, seen = mine.holding(uv)
        if ran:
            looked += 1
        elif seen:
            unseen.append((view.gsd_cm_per_px, sha, seen[0]))
    wanted = sorted(unseen)[: max(0, covers + 1 - looked)]
    for _, sha, tile in wanted:
        looks.ask(sha, det.model, tile)
    return bool(wanted)


def _run(looks: _Looks, views: Mapping[str, _View], tiles: _TileCache, config: HehuConfig,
         plan: FlightPlan, had: Sequence[GroundDetection]) -> list[GroundDetection]:  # fmt: skip
    """The asked tiles run, each frame decoded once; their new boxes, placed."""
    models = tiles.models
    found: list[GroundDetection] = []
    for sha, asked in looks.tiles.items():
        view = views[sha]
        meta = view.frame.meta
        skip = {}
        for model, wanted in asked.items():
            count = len(tiles.of(sha, model).cores_px)  # type: ignore[union-attr]
            skip[model] = {i: SEEN for i in range(count) if i not in wanted}
        try:
            results = detect_one(meta, [models[m] for m in asked], config, skip, plan.ground)
        except Exception as e:  # the frame was detected before: a second look may fail alone
            log.warning("second look at %s failed (%s: %s); its tiles stay unseen",
                        display_path(meta.path), type(e).__name__, e)  # fmt: skip
            for model in asked:
                asked[model] = set()
            continue
        new = [d for r in results.values()
               for d in pixel_detections(meta, r, weights_sha(models[r.model]))]  # fmt: skip
        new = [d for d in new if not _repeats(d, had)]
        if new:
            found.extend(placed_on(new, view.georef, meta))
    return found


def _repeats(det: GroundDetection, had: Sequence[GroundDetection]) -> bool:
    """Whether ``det`` repeats a box of the same model its frame already has."""
    a = np.array(det.xyxy_px)
    for other in had:
        if other.frame_sha256 != det.frame_sha256 or other.model != det.model:
            continue
        b = np.array(other.xyxy_px)
        w, h = np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2])
        smaller = min(np.prod(a[2:] - a[:2]), np.prod(b[2:] - b[:2]))
        if w > 0 and h > 0 and w * h >= REPEAT_OVERLAP * max(smaller, 1e-9):
            return True
    return False


def _looked_ground(skips: SkipPlan, views: Mapping[str, _View], tiles: _TileCache,
                   looks: _Looks) -> dict[str, list[tuple[str, LatLonRing]]]:  # fmt: skip
    """Per model, the ground each partly skipped frame looked at whole: the cores of its
    tiles that ran, and of the tiles the second look ran."""
    from pipeline.detect.ground_boxes import locate_boxes

    looked: dict[str, list[tuple[str, LatLonRing]]] = {}
    for sha, by_model in skips.tiles.items():
        if sha not in views:
            continue
        for model, causes in by_model.items():
            mine = tiles.of(sha, model) if model in tiles.models else None
            if mine is None or SEEN not in causes.values():
                continue
            extra = looks.tiles.get(sha, {}).get(model, set())
            ran = [i for i in range(len(mine.cores_px)) if i not in causes or i in extra]
            if not ran:
                continue
            ground = locate_boxes(mine.cores_px[ran], views[sha].georef)
            rings = looked.setdefault(model, [])
            rings.extend((sha, tuple(ground.ring_latlon(k)))
                         for k in range(len(ran)) if ground.hit[k])  # fmt: skip
    return looked


def _counts(looks: _Looks, found: Sequence[GroundDetection]) -> dict[str, dict[str, int]]:
    counts = {}
    for model, objects in looks.objects.items():
        mine = [d for d in found if d.model == model and d.lat_deg is not None]
        again = sum(any(_distance_m(o, d) <= _gate_m(o, d) for d in mine) for o in objects)
        tiles = sum(len(asked.get(model, ())) for asked in looks.tiles.values())
        counts[model] = {"objects": len(objects), "tiles": tiles, "found": again}
    return counts
