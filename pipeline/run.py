"""The stages of a flight: the library the Prefect flows wrap.

1. :func:`plan_flight` ingests the folder and returns records.
2. :func:`check_flight_yaw` checks the recorded yaw from image overlap,
   :func:`plan_skips` plans on the ground the tiles that cannot hold a candidate
   (with the checked yaw), and :func:`detect_frames` runs every enabled model once
   per decoded frame on a batch of frames, in pixels. Yaw does not change
   detections, only where they land and which tiles are skipped: with ``--no-skip``
   the two are independent (on a Dask cluster they run side by side).
3. :func:`place_on_ground` georeferences the detections with the corrected yaw.
4. :func:`push_to_ledger` files them as candidate issues.
5. :func:`pipeline.evidence_crops.write_evidence` and :func:`pipeline.flight_report.write_report`
   finish the flight.

Stages exchange records (:mod:`pipeline.flight`) and paths only, never image
arrays. Their order is defined once, in :data:`pipeline.stages.STAGES`, which
every way of running a flight walks.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import HehuConfig, resolve
from pipeline.errors import BadInputError, HehuError
from pipeline.flight import (
    BatchResult,
    FlightPlan,
    GateCounts,
    LatLonRing,
    PlannedFrame,
    RunSummary,
    context_counts,
    unplaced_counts,
)
from pipeline.geo.dem_tie import calibrated
from pipeline.geo.laser import GroundSettings
from pipeline.ingest.names import display_path
from pipeline.records import FrameMeta, GroundDetection, Quarantined

if TYPE_CHECKING:
    from pipeline.detect.skip import SkipPlan
    from pipeline.ledger.push import PushResult

log = logging.getLogger(__name__)


def plan_flight(flight_dir: Path, config: HehuConfig) -> FlightPlan:
    """Ingest ``flight_dir``: the records every later stage uses (yaw as recorded)."""
    from pipeline.ingest import scan_flight
    from pipeline.ingest.verdict import require_frames
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.video.ingest import VideoIngest

    flight_dir = Path(flight_dir)
    if not flight_dir.is_dir():
        raise BadInputError(f"{flight_dir}: not a folder; give the folder of a flight's photos")
    scanned = scan_flight(flight_dir, max_offset_m=config.ingest.max_offset_m,
                          videos=VideoIngest.for_config(config))  # fmt: skip
    require_frames(flight_dir, scanned.frames, scanned.quarantined)  # else one line, exit 1
    frames = tuple(PlannedFrame(m) for m in scanned.frames)
    ground, dem_tie = calibrated(scanned.frames, config.geo.ground_settings())
    if dem_tie is not None:
        log.info("%s: %s", display_path(flight_dir), dem_tie.note)
    # the name is text everywhere (ledger, report file, watermark); the folder's path stays
    # exact here and the ledger keeps its bytes (pipeline.ingest.names.stored_name)
    ref = FlightRef.from_frames(scanned.frames, name=display_path(flight_dir.resolve().name))
    return FlightPlan(ref.key, ref.name, str(flight_dir.resolve()), frames, scanned.quarantined,
                      ground)  # fmt: skip


def check_flight_yaw(plan: FlightPlan, config: HehuConfig) -> FlightPlan:
    """The plan with each frame's yaw correction and check status (as is when switched off)."""
    from pipeline.geo.yaw_check import check_yaw, load_gray_reduced

    if not config.ingest.yaw_check:
        return plan
    metas = [f.meta for f in plan.frames]
    try:
        verdicts = check_yaw(metas, load_gray_reduced, plan.ground)  # skips what it cannot check
    except Exception:  # still, a bug in the check leaves the yaw as recorded, not a failed flight
        log.exception("yaw check failed: every frame keeps its recorded yaw; please report it")
        return plan
    frames = tuple(PlannedFrame(m, v.yaw_offset_deg, v.status)
                   for m, v in zip(metas, verdicts, strict=True))  # fmt: skip
    return dataclasses.replace(plan, frames=frames)


def models_stamp(config: HehuConfig) -> tuple:
    """``(path, mtime_ns, size)`` of the taxonomy and of every file under the models folder.

    A long-running process (``hehu serve``) keys what it keeps of the models on
    this: a retrained or replaced model is loaded and hashed again, an
    unchanged one costs a few ``stat`` calls.
    """
    taxonomy, models_dir = resolve(config.detect.taxonomy), resolve(config.detect.models_dir)
    files = [taxonomy, *sorted(p for p in models_dir.rglob("*") if p.is_file())]
    stamp = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue  # missing: loading the models names it
        stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(stamp)


@functools.lru_cache(maxsize=4)
def _models(models_dir: Path, names: tuple[str, ...] | None, taxonomy_path: Path,
            backend: str, batch: int, threads: int | None, stamp: tuple) -> tuple:  # fmt: skip
    from pipeline.detect.engine import load_models
    from pipeline.detect.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_path)
    return tuple(load_models(taxonomy, models_dir=models_dir, names=names, backend=backend,
                             batch_size=batch, threads=threads))  # fmt: skip


def load_detectors(config: HehuConfig) -> tuple:
    """The enabled models (cards and hashes checked), loaded again only when their files change."""
    d = config.detect
    return _models(resolve(d.models_dir), d.models, resolve(d.taxonomy), d.backend,
                   d.batch_tiles, d.threads, models_stamp(config))  # fmt: skip


def weights_fingerprint(config: HehuConfig) -> str:
    """The enabled models as they will detect: names, weight sha256s (checked against the
    files), card and per-deployment digests. Part of the detection cache key."""
    d = config.detect
    return _fingerprint(resolve(d.models_dir), d.models, resolve(d.taxonomy), models_stamp(config))


@functools.lru_cache(maxsize=4)
def _fingerprint(
    models_dir: Path, names: tuple[str, ...] | None, taxonomy_path: Path, stamp: tuple
) -> str:
    """Per model: weights sha256, and digests of what else decides its detections: the
    card (thresholds, tiling, scale), and the class map and confidence after the
    taxonomy's per-deployment changes."""
    from pipeline.detect.card import CARD_FILE, load_card, sha256_file
    from pipeline.detect.taxonomy import load_taxonomy
    from pipeline.detect.water import WATER_FILE, WATER_MODEL

    taxonomy = load_taxonomy(taxonomy_path)
    parts = []
    for name in sorted(names or taxonomy.enabled_models()):
        card = load_card(models_dir, name)
        weights = (card.weights.pt or card.weights.onnx).sha256
        card_sha = hashlib.sha256((models_dir / name / CARD_FILE).read_bytes()).hexdigest()
        deployed = json.dumps([taxonomy.class_map(card), taxonomy.conf(name)], sort_keys=True)
        deployed_sha = hashlib.sha256(deployed.encode()).hexdigest()
        part = f"{name}={weights},card={card_sha[:16]},deployed={deployed_sha[:16]}"
        if card.surface != "any":  # gated by the water estimate: its weights decide too
            water = models_dir / WATER_MODEL / WATER_FILE
            part += f",water={sha256_file(water)[:16]}"
        parts.append(part)
    return ";".join(parts)


def plan_skips(plan: FlightPlan, config: HehuConfig) -> SkipPlan | None:
    """The flight's tiles that cannot hold a candidate (:mod:`pipeline.detect.skip`), planned
    on the ground with the checked yaw; None when ``detect.skip`` is off (``--no-skip``).
    Tiles outside every zone are skipped only when the ledger drops what lies there."""
    from pipeline.detect.skip import plan_skips as plan_tile_skips
    from pipeline.ledger.zones import load_zones

    if not config.detect.skip:
        return None
    zones = ()
    if config.ledger.zones and config.ledger.settings.outside_zone == "drop":
        zones = load_zones(resolve(config.ledger.zones))
    frames = [(f.meta, f.yaw_offset_deg) for f in plan.frames]
    cards = [m.card for m in load_detectors(config)]
    return plan_tile_skips(frames, cards, ground=plan.ground, zones=zones)


def detect_frames(
    frames: Sequence[PlannedFrame],
    config: HehuConfig,
    *,
    on_frame: Callable[[], None] | None = None,
    ground: GroundSettings | None = None,
    skips: SkipPlan | None = None,
) -> BatchResult:
    """Every enabled model on each frame, decoded once; boxes in pixels.

    The ground resolution that scales each model comes from the frame's
    geotag (yaw does not change it) on ``ground`` (the flight plan's, default the
    config's). ``skips`` (:func:`plan_skips`) names tiles not to detect; a frame is
    decoded at the reduced size its models allow, and not at all when none has a tile
    to run. A frame that cannot be decoded is set
    aside with its reason; the batch goes on. ``on_frame()`` is called after
    each frame, set aside or not.
    """

    models = load_detectors(config)
    weights = {m.name: weights_sha(m) for m in models}
    ground = config.geo.ground_settings() if ground is None else ground
    detections: list[GroundDetection] = []
    set_aside: list[Quarantined] = []
    gates = GateCounts()
    start = time.perf_counter()
    for frame in frames:
        meta = frame.meta
        try:
            results = detect_one(
                meta, models, config, skips.for_frame(meta.sha256) if skips else {}, ground
            )
        except BadInputError as e:
            set_aside.append(_set_aside(meta, str(e)))
        except Exception as e:  # one frame's library error must not fail the flight
            log.exception("detection failed on %s", display_path(meta.path))
            reason = (f"detection failed ({type(e).__name__}: {e}): the frame was not "
                      "inspected; please report it with the file")  # fmt: skip
            set_aside.append(_set_aside(meta, reason))
        else:
            for result in results.values():
                gates.add(meta.sha256, result)
                detections.extend(pixel_detections(meta, result, weights[result.model]))
        if on_frame is not None:
            on_frame()
    seconds = time.perf_counter() - start
    done = len(frames) - len(set_aside)
    return BatchResult(tuple(detections), {}, tuple(set_aside), done, seconds, gates)


def detect_one(
    meta: FrameMeta, models, config: HehuConfig, skip: dict, ground: GroundSettings
) -> dict:
    """One frame through :func:`~pipeline.detect.engine.detect_frame`, decoded as reduced
    as its models allow (:func:`~pipeline.detect.engine.frame_reduction`), scaled with
    its GSD on ``ground``."""
    from pipeline.detect.engine import decode_frame, detect_frame, frame_reduction
    from pipeline.ingest.band import frame_band

    band = frame_band(meta)
    gsd = _gsd(meta, ground)
    frame_hw = (meta.height_px, meta.width_px)
    reduction = frame_reduction(models, frame_hw, gsd_cm_per_px=gsd, band=band.band, skip=skip)
    image = decode_frame(meta.path, reduce=reduction or 8)  # checks the file whole
    if reduction is None:  # no model has a tile to run: the 1/8 decode only checked it
        image = None
    return detect_frame(image, models, gsd_cm_per_px=gsd, band=band.band, band_why=band.why,
                        frame_hw=frame_hw, skip=skip, skip_land=config.detect.skip)  # fmt: skip


def _set_aside(meta: FrameMeta, reason: str) -> Quarantined:
    shown = display_path(meta.path)  # a set-aside record shows names, as ingest's do
    log.warning("set aside %s: %s", shown, display_path(reason))
    return Quarantined(shown, display_path(reason), meta.sha256, meta.size_bytes)


def pixel_detections(meta: FrameMeta, result, weights_sha256: str) -> list[GroundDetection]:
    """One model's detections on one frame as records, not yet placed on the ground."""
    dets = result.detections
    out = []
    for i in range(len(dets)):
        name = result.classes[int(dets.class_id[i])]
        out.append(GroundDetection(
            frame_sha256=meta.sha256, frame_path=meta.path, model=result.model,
            model_sha256=weights_sha256, class_name=name,
            subtype=(result.class_map or {}).get(name), conf=float(dets.conf[i]),
            xyxy_px=tuple(float(v) for v in dets.xyxy_px[i]), captured_at=meta.captured_at,
        ))  # fmt: skip
    return out


def place_on_ground(plan: FlightPlan, result: BatchResult) -> BatchResult:
    """Each processed frame's ground outline and its detections' positions, with the
    plan's yaw corrections; frames that cannot be placed keep pixel-only detections and
    no outline, and are listed in ``unplaced`` with the reason."""
    by_frame: dict[str, list[GroundDetection]] = {}
    for d in result.detections:
        by_frame.setdefault(d.frame_sha256, []).append(d)
    failed = {q.sha256 for q in result.set_aside}
    footprints: dict[str, LatLonRing] = {}
    placed: dict[str, list[GroundDetection]] = {}
    unplaced: dict[str, str] = {}
    for frame in plan.frames:
        sha = frame.meta.sha256
        if sha in failed:
            continue
        georef, why = planned_georef(frame, plan.ground)
        if georef is None:
            unplaced[sha] = why
            continue
        footprints[sha] = tuple(georef.footprint())
        dets = by_frame.get(sha)
        if dets:
            placed[sha] = placed_on(dets, georef, frame.meta)
    detections = tuple(d for sha, dets in by_frame.items() for d in placed.get(sha, dets))
    return dataclasses.replace(result, detections=detections, footprints=footprints,
                               unplaced=unplaced)  # fmt: skip


def placed_on(dets: list[GroundDetection], georef, meta: FrameMeta) -> list[GroundDetection]:
    """One frame's detections with their ground positions and uncertainty on ``georef``."""
    import numpy as np

    from pipeline.detect.ground_boxes import box_uncertainty, locate_boxes

    boxes = np.array([d.xyxy_px for d in dets])
    ground, unc = locate_boxes(boxes, georef), box_uncertainty(boxes, georef, meta)
    return [
        dataclasses.replace(d, lat_deg=float(ground.center_lat_deg[i]),
                            lon_deg=float(ground.center_lon_deg[i]),
                            footprint=tuple(ground.ring_latlon(i)),
                            area_m2=float(ground.area_m2[i]), **unc.row(i))
        if ground.hit[i] else d
        for i, d in enumerate(dets)
    ]  # fmt: skip


def planned_georef(frame: PlannedFrame, ground: GroundSettings):
    """``(georef, None)``, or ``(None, reason)`` for a frame that cannot be placed."""
    from pipeline.geo.placement import place_frame

    placement = place_frame(frame.meta, yaw_offset_deg=frame.yaw_offset_deg, settings=ground)
    if not placement.placed:
        log.info("%s: not placed on the ground (%s); detections kept without ground position",
                 display_path(frame.meta.path), placement.detail)  # fmt: skip
    return placement.georef, placement.reason


def _gsd(meta: FrameMeta, ground: GroundSettings) -> float | None:
    from pipeline.detect.ground_boxes import frame_gsd_cm_per_px
    from pipeline.geo.georef import georeference

    try:
        return frame_gsd_cm_per_px(georeference(meta, settings=ground))
    except HehuError:  # no usable geotag: the models run at native scale
        return None


def weights_sha(model) -> str:
    weights = model.card.weights
    return (weights.pt or weights.onnx).sha256


def merge_batches(batches: Sequence[BatchResult], skips: SkipPlan | None = None) -> BatchResult:
    """One result from many batches, in order; ``skips`` adds the flight's ground shares."""
    gates = GateCounts.merged([b.gates for b in batches])
    if skips is not None:
        gates = dataclasses.replace(gates, ground=skips.ground)
    return BatchResult(
        detections=tuple(d for b in batches for d in b.detections),
        footprints={k: v for b in batches for k, v in b.footprints.items()},
        set_aside=tuple(q for b in batches for q in b.set_aside),
        frames_done=sum(b.frames_done for b in batches),
        detect_seconds=sum(b.detect_seconds for b in batches),
        gates=gates,
        unplaced={k: v for b in batches for k, v in b.unplaced.items()},
    )


def push_to_ledger(plan: FlightPlan, result: BatchResult, config: HehuConfig) -> PushResult:
    """File the flight's detections in the ledger (idempotent; migrates the database first)."""
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.ledger.zones import load_zones

    engine = make_engine(config.db_url())
    try:
        upgrade(engine)
        zones = load_zones(resolve(config.ledger.zones)) if config.ledger.zones else ()
        failed = {q.sha256 for q in result.set_aside}
        return push_flight(
            session_factory=make_session_factory(engine),
            flight=FlightRef(plan.key, plan.name, plan.source_dir),
            frames=[f.meta for f in plan.frames if f.meta.sha256 not in failed],
            detections=result.detections,
            zones=zones,
            config=config.ledger.settings,
            footprints=result.footprints,
            model_frames=result.gates.ran,
            model_looks=result.gates.looked,
        )
    finally:
        engine.dispose()


def summarize(plan: FlightPlan, result: BatchResult, pushed: PushResult, **extra) -> RunSummary:
    return RunSummary(
        flight_key=plan.key,
        frames=result.frames_done,
        quarantined=plan.quarantined + result.set_aside,
        detections=len(result.detections),
        created=pushed.created,
        recurred=pushed.recurred,
        rebounded=pushed.rebounded,
        gates=result.gates,
        context=context_counts(result.detections),
        held=pushed.held,
        unplaced=unplaced_counts(result.unplaced),
        **extra,
    )


def summary_dict(summary: RunSummary) -> dict:
    """A JSON-ready view of a run summary (lists, not tuples; set-aside files as dicts)."""
    out = dataclasses.asdict(summary)
    out["quarantined"] = [q.to_dict() for q in summary.quarantined]
    out["gates"].pop("looked", None)  # ground rings for the ledger's hold, not for reading
    return json.loads(json.dumps(out))
