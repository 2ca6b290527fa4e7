"""Recheck (复查) verdicts in the ledger: one row per (issue, later flight), audited.

:func:`record_rechecks` writes a flight's verdicts in one transaction: every
``recheck`` row, its audit-log entry and any 反弹 it causes commit together or not
at all, so a crash never leaves part of a flight's verdicts. Recording the same
flight again keeps the first verdict of each issue (the row's natural key is
(issue, flight)) and reports those issues as already recorded.

A closed (已销号) issue found still present is reopened as a 反弹 (rebound)
candidate, as a push does when a detector sees it again
(:func:`pipeline.ledger.assign.reopen_as_rebound`); the recheck row, with its
before/after picture, is the evidence. Other verdicts change no status: a
reviewer closes (销号) on "gone" or sends it back on "still present".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import BadInputError
from pipeline.ledger.assign import reopen_as_rebound
from pipeline.ledger.audit import record
from pipeline.ledger.db import ledger_may_be_away
from pipeline.ledger.models import Flight, Issue, Recheck
from pipeline.ledger.vocab import RECHECK_VERDICT_LABELS
from pipeline.ledger.workflow import get_issue


@dataclass(frozen=True)
class VerdictRecord:
    """One issue's verdict as the ledger keeps it (see :class:`~pipeline.ledger.models.Recheck`).

    ``verdict`` is a code (``still_present``, ``gone``, ``cannot_tell``).
    """

    code: str
    verdict: str
    reason: str | None = None
    earlier_frame_sha256: str | None = None
    new_frame_sha256: str | None = None
    residual_px: float | None = None
    residual_m: float | None = None
    meets_rule: bool | None = None
    zncc: float | None = None
    detector_conf: float | None = None
    coverage: float | None = None
    evidence_path: str | None = None
    evidence_sha256: str | None = None


@dataclass(frozen=True)
class RecordedRechecks:
    """What recording a flight's verdicts did: codes, sorted."""

    flight_key: str
    recorded: tuple[str, ...]
    already: tuple[str, ...]
    rebounded: tuple[str, ...]


def verdict_code(verdict: str) -> str:
    """The ledger's code of a verdict in words (``still present`` → ``still_present``)."""
    code = verdict.replace(" ", "_")
    if code not in RECHECK_VERDICT_LABELS:
        known = ", ".join(RECHECK_VERDICT_LABELS)
        raise BadInputError(f"unknown recheck verdict {verdict!r}; expected one of {known}")
    return code


def _flight_id(session: Session, key: str) -> tuple[int, str]:
    row = session.execute(select(Flight.id, Flight.name).where(Flight.key == key)).one_or_none()
    if row is None:
        raise BadInputError(f"no flight with key {key!r} in the ledger: push it first")
    return row[0], row[1]


def _note(flight_name: str, v: VerdictRecord) -> str:
    parts = [f"复查 flight {flight_name}", v.reason]
    if v.residual_px is not None:
        parts.append(f"residual {v.residual_px:.2f} px")
    if v.evidence_sha256:
        parts.append(f"before/after sha256 {v.evidence_sha256}")
    return "; ".join(p for p in parts if p)


def _record_one(
    session: Session, flight_id: int, flight_name: str, v: VerdictRecord, actor: str
) -> tuple[bool, bool]:
    """``(recorded, rebounded)`` for one verdict."""
    issue = get_issue(session=session, code=v.code, for_update=True)
    seen = select(Recheck.id).where(Recheck.issue_id == issue.id, Recheck.flight_id == flight_id)
    if session.scalar(seen) is not None:
        return False, False
    fields = {k: getattr(v, k) for k in VerdictRecord.__dataclass_fields__ if k != "code"}
    fields["verdict"] = verdict_code(v.verdict)
    session.add(Recheck(issue_id=issue.id, flight_id=flight_id, actor=actor, **fields))
    note = _note(flight_name, v)
    record(session=session, actor=actor, entity="issue", entity_key=issue.code,
           field="recheck", old=None, new=fields["verdict"], note=note)  # fmt: skip
    if issue.status == "closed" and fields["verdict"] == "still_present":
        reopen_as_rebound(session, issue, actor, f"反弹: {note} after 销号 on {issue.closed_on}")
        return True, True
    return True, False


def record_rechecks(
    *,
    session_factory: sessionmaker[Session],
    flight_key: str,
    verdicts: Sequence[VerdictRecord],
    actor: str = "hehu",
) -> RecordedRechecks:
    """Record a flight's verdicts atomically (see the module doc); the flight must be pushed."""
    recorded: list[str] = []
    already: list[str] = []
    rebounded: list[str] = []
    with ledger_may_be_away(), session_factory.begin() as session:
        flight_id, flight_name = _flight_id(session, flight_key)
        for v in sorted(verdicts, key=lambda v: v.code):  # one lock order for every writer
            new, rebound = _record_one(session, flight_id, flight_name, v, actor)
            (recorded if new else already).append(v.code)
            if rebound:
                rebounded.append(v.code)
    return RecordedRechecks(flight_key, tuple(recorded), tuple(already), tuple(rebounded))


@dataclass(frozen=True)
class RecheckView:
    """A recorded verdict as pages and exports show it."""

    verdict: str
    label: str
    reason: str | None
    flight: str
    at_utc: object
    residual_px: float | None
    residual_m: float | None
    meets_rule: bool | None
    evidence_path: str | None
    evidence_sha256: str | None
    recheck_id: int


def rechecks_of(*, session: Session, issue_id: int) -> list[RecheckView]:
    """An issue's recorded verdicts, latest first."""
    query = (
        select(Recheck, Flight.name)
        .join(Flight, Flight.id == Recheck.flight_id)
        .where(Recheck.issue_id == issue_id)
        .order_by(Recheck.at_utc.desc(), Recheck.id.desc())
    )
    return [
        RecheckView(
            r.verdict,
            RECHECK_VERDICT_LABELS[r.verdict],
            r.reason,
            name,
            r.at_utc,
            r.residual_px,
            r.residual_m,
            r.meets_rule,
            r.evidence_path,
            r.evidence_sha256,
            r.id,
        )
        for r, name in session.execute(query)
    ]


def latest_verdict(session: Session, issue: Issue) -> RecheckView | None:
    """The issue's latest recorded verdict, or None."""
    views = rechecks_of(session=session, issue_id=issue.id)
    return views[0] if views else None
