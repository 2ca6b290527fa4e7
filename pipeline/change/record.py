"""A flight's recheck verdicts into the ledger, and the run's recheck stage.

:func:`record_flight_recheck` stores the new flight's frames (no detections: a
push of none, idempotent) so the verdicts can name it, then records every verdict
in one transaction (:func:`pipeline.ledger.rechecks.record_rechecks`).

:func:`recheck_after_push` is the ``recheck`` stage of :data:`pipeline.stages.STAGES`,
run after the flight is pushed: when ``recheck.enabled`` and the ledger holds issues
in a recheck status with earlier evidence under the flight's footprints, they are
rechecked by appearance (no detector is asked) and the verdicts recorded, pictures
under ``<state>/recheck/<flight name>``; issues with a verdict of this flight already
(a second run of it) are not rechecked again. Otherwise it only queries the ledger.
With ``recheck.changes`` (off by default) it also files the flight's new changes
(新增变化) against the ledger's earlier frames as candidates
(:func:`file_flight_changes`).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecheckOutcome:
    """What a run's recheck did: ``verdicts`` counted by code, codes recorded (sorted)."""

    considered: int = 0
    under_flight: int = 0
    verdicts: tuple[tuple[str, int], ...] = ()
    recorded: tuple[str, ...] = ()
    rebounded: tuple[str, ...] = ()
    changes_filed: tuple[str, ...] = ()  # codes of new change (新增变化) candidates


def store_flight_frames(session_factory: Any, plan: Any) -> None:
    """Store ``plan``'s flight and frames in the ledger (a push of no detections, idempotent)."""
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight

    push_flight(session_factory=session_factory, flight=FlightRef(plan.key, plan.name,
                plan.source_dir), frames=[f.meta for f in plan.frames], detections=[])  # fmt: skip


def record_flight_recheck(session_factory: Any, plan: Any, report: Any) -> Any:
    """Record ``report``'s verdicts (a :class:`~pipeline.change.flight_recheck.FlightRecheck`
    of ``plan``) in the ledger; returns :class:`~pipeline.ledger.rechecks.RecordedRechecks`."""
    from pipeline.ledger.rechecks import record_rechecks

    store_flight_frames(session_factory, plan)
    return record_rechecks(session_factory=session_factory, flight_key=plan.key,
                           verdicts=[r.to_record() for r in report.results])  # fmt: skip


def flight_zones(config: Any) -> tuple[Any, ...]:
    """The management zones of the run's configuration (none when it names no zones)."""
    from pipeline.config import resolve
    from pipeline.ledger.zones import load_zones

    return tuple(load_zones(resolve(config.ledger.zones))) if config.ledger.zones else ()


def found_changes(session: Any, plan: Any, config: Any, out_dir: Path) -> list[Any]:
    """``plan``'s new changes (新增变化) inside the zones against the ledger's earlier frames,
    pictures under ``out_dir`` (:func:`pipeline.change.new_changes.find_changes`)."""
    from pipeline.change.new_changes import find_changes

    return find_changes(session, plan, flight_zones(config), out_dir,
                        min_area_m2=config.recheck.change_min_area_m2)  # fmt: skip


def file_flight_changes(session_factory: Any, plan: Any, changes: Any, config: Any) -> Any:
    """File ``changes`` (:class:`~pipeline.change.new_changes.ChangeFound` of ``plan``) as 新增变化
    candidates; returns :class:`~pipeline.ledger.changes.FiledChanges`."""
    from pipeline.ledger.changes import file_changes

    store_flight_frames(session_factory, plan)
    return file_changes(session_factory=session_factory, flight_key=plan.key,
                        changes=[c.to_record() for c in changes], zones=flight_zones(config),
                        cfg=config.ledger.settings)  # fmt: skip


def outcome_of(report: Any, recorded: Any | None, filed: Any | None = None) -> RecheckOutcome:
    counts = Counter(r.verdict.verdict.replace(" ", "_") for r in report.results)
    return RecheckOutcome(report.considered, len(report.results), tuple(sorted(counts.items())),
                          recorded.recorded if recorded else (),
                          recorded.rebounded if recorded else (),
                          filed.filed if filed else ())  # fmt: skip


def recorded_codes(session: Any, flight_key: str) -> set[str]:
    """Codes of the issues that already have a verdict of the flight ``flight_key``."""
    from sqlalchemy import select

    from pipeline.ledger.models import Flight, Issue, Recheck

    query = (
        select(Issue.code)
        .join(Recheck, Recheck.issue_id == Issue.id)
        .join(Flight, Flight.id == Recheck.flight_id)
        .where(Flight.key == flight_key)
    )
    return set(session.scalars(query))


def recheck_after_push(plan: Any, pushed: Any, config: Any) -> RecheckOutcome:
    """The run's recheck stage (see the module doc); ``pushed`` orders it after the push."""
    from pipeline.change.flight_recheck import recheck_flight
    from pipeline.ledger.db import make_engine, make_session_factory

    del pushed  # taken so that the stage runs after push-to-ledger
    if not config.recheck.enabled:
        return RecheckOutcome()
    engine = make_engine(config.db_url())
    try:
        factory = make_session_factory(engine)
        out_dir = Path(config.state_dir()) / "recheck" / plan.name
        with factory() as session:
            done = recorded_codes(session, plan.key)
            report = recheck_flight(session, plan, out_dir, skip=done)
            changes = (
                found_changes(session, plan, config, out_dir) if config.recheck.changes else []
            )
        recorded = record_flight_recheck(factory, plan, report) if report.results else None
        filed = file_flight_changes(factory, plan, changes, config) if changes else None
    finally:
        engine.dispose()
    if filed is not None:
        log.info("recheck: %d new change (新增变化) candidate(s) filed, %d on open issues",
                 len(filed.filed), len(filed.overlapping))  # fmt: skip
    return outcome_of(report, recorded, filed)
