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
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RecheckOutcome:
    """What a run's recheck did: ``verdicts`` counted by code, codes recorded (sorted)."""

    considered: int = 0
    under_flight: int = 0
    verdicts: tuple[tuple[str, int], ...] = ()
    recorded: tuple[str, ...] = ()
    rebounded: tuple[str, ...] = ()


def record_flight_recheck(session_factory: Any, plan: Any, report: Any) -> Any:
    """Record ``report``'s verdicts (a :class:`~pipeline.change.flight_recheck.FlightRecheck`
    of ``plan``) in the ledger; returns :class:`~pipeline.ledger.rechecks.RecordedRechecks`."""
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.ledger.rechecks import record_rechecks

    push_flight(session_factory=session_factory, flight=FlightRef(plan.key, plan.name,
                plan.source_dir), frames=[f.meta for f in plan.frames], detections=[])  # fmt: skip
    return record_rechecks(session_factory=session_factory, flight_key=plan.key,
                           verdicts=[r.to_record() for r in report.results])  # fmt: skip


def outcome_of(report: Any, recorded: Any | None) -> RecheckOutcome:
    counts = Counter(r.verdict.verdict.replace(" ", "_") for r in report.results)
    return RecheckOutcome(report.considered, len(report.results), tuple(sorted(counts.items())),
                          recorded.recorded if recorded else (),
                          recorded.rebounded if recorded else ())  # fmt: skip


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
        recorded = record_flight_recheck(factory, plan, report) if report.results else None
    finally:
        engine.dispose()
    return outcome_of(report, recorded)
