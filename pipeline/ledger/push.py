"""``push_flight``: a flight's frames and detections into the ledger, idempotently.

Two transactions:

1. store the flight, frames and detections by natural key with ``INSERT …
   ON CONFLICT DO NOTHING`` in key order (:mod:`pipeline.ledger.flight_rows`) — many
   pushes can run this at once;
2. under the ledger's assignment lock, file the detections that no issue
   holds yet as evidence of new or existing issues (:mod:`pipeline.ledger.assign`).

Pushing the same flight again, or from several processes at once, leaves the
same rows: the second push finds every row present and every detection
filed. A push interrupted between the two steps is completed by the next push
of the same flight.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from pipeline.ledger.assign import assign_detections
from pipeline.ledger.bounds import push_bounded
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.db import ledger_may_be_away
from pipeline.ledger.flight_rows import (
    FlightRef,
    LatLonRing,
    Looked,
    store_detections,
    store_flight_row,
    store_frames,
)
from pipeline.ledger.plausible import hold_reason
from pipeline.ledger.vocab import type_of
from pipeline.ledger.zones import Zone
from pipeline.records import FrameMeta, GroundDetection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushResult:
    """What a push changed. Codes are sorted; counts are of detections."""

    flight_key: str
    detections: int
    created: tuple[str, ...]
    recurred: tuple[str, ...]
    rebounded: tuple[str, ...]
    context_only: int
    not_georeferenced: int
    dropped_outside_zone: int
    held: tuple[tuple[str, int], ...] = ()  # (hold reason, 四乱 detections), sorted


def _located(det: GroundDetection) -> bool:
    return all(v is not None and math.isfinite(v) for v in (det.lat_deg, det.lon_deg))


def push_flight(
    *,
    session_factory: sessionmaker[Session],
    flight: FlightRef,
    frames: Sequence[FrameMeta],
    detections: Sequence[GroundDetection],
    zones: Sequence[Zone] = (),
    config: LedgerConfig | None = None,
    footprints: Mapping[str, LatLonRing] | None = None,
    actor: str = "hehu",
    model_frames: Mapping[str, Collection[str]] | None = None,
    model_looks: Mapping[str, Sequence[Looked]] | None = None,
) -> PushResult:
    """Store a flight and file its 四乱 detections as ledger candidates (see the module docstring).

    ``footprints`` maps a frame's sha256 to its ground outline ``((lat, lon), …)``;
    ``model_frames`` (model name → sha256 of the frames it ran on whole) enables the
    single-view hold (:func:`pipeline.ledger.assign.assign_detections`); ``model_looks``
    adds, per model, the ground frames left out of it looked at (``(sha256, ring)``).
    Detections of context-only classes (``subtype`` None) and ones without a
    ground position are stored but open no issue. ``actor`` is written to the
    audit log. Strings longer than their columns are cut (:mod:`pipeline.ledger.bounds`).
    """
    config = config or LedgerConfig()
    flight, frames, detections, model_frames, model_looks = push_bounded(
        flight, frames, detections, model_frames, model_looks
    )
    pitch = {f.sha256: f.xmp.gimbal_pitch_deg if f.xmp else None for f in frames}

    def hold(det: GroundDetection) -> str | None:
        return hold_reason(det, pitch.get(det.frame_sha256), config)

    with ledger_may_be_away(), session_factory.begin() as session:
        flight_id = store_flight_row(session=session, flight=flight, frames=frames)
        frame_ids = store_frames(
            session=session,
            flight_id=flight_id,
            frames=frames,
            detections=detections,
            footprints=footprints,
        )
        detection_ids = store_detections(
            session=session,
            frame_ids=frame_ids,
            detections=detections,
            quantum_px=config.box_quantum_px,
            hold=hold,
        )
    with ledger_may_be_away(), session_factory.begin() as session:
        out = assign_detections(
            session=session,
            flight_id=flight_id,
            detection_ids=detection_ids,
            zones=zones,
            config=config,
            actor=actor,
            model_frames=model_frames,
            model_looks=model_looks,
        )
    held = Counter(r for d in detections if type_of(d.subtype) and (r := hold(d)))
    if out.held_single_view:
        held["single_view"] += out.held_single_view
    result = PushResult(
        flight_key=flight.key,
        detections=len(detection_ids),
        created=tuple(sorted(out.created)),
        recurred=tuple(sorted(set(out.recurred))),
        rebounded=tuple(sorted(set(out.rebounded))),
        context_only=sum(type_of(d.subtype) is None for d in detections),
        not_georeferenced=sum(not _located(d) for d in detections),
        dropped_outside_zone=out.dropped_outside_zone,
        held=tuple(sorted(held.items())),
    )  # fmt: skip
    log.info(
        "flight %s: %d detections, %d new candidates, %d recurrences, %d rebounds, held %s",
        flight.name,
        result.detections,
        len(result.created),
        len(result.recurred),
        len(result.rebounded),
        dict(result.held) or "none",
    )
    return result
