"""Recheck verdicts in the ledger: atomic, audited, one per flight; 反弹 on a closed issue."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pipeline.errors import BadInputError
from pipeline.ledger.audit import history
from pipeline.ledger.models import AuditLog, Issue, Recheck
from pipeline.ledger.push import push_flight
from pipeline.ledger.rechecks import VerdictRecord, latest_verdict, rechecks_of, record_rechecks
from tests.ledger.ledger_helpers import flight_inputs
from tests.ledger.test_ledger_workflow import move, reach


@pytest.fixture
def pushed(session_factory, zones) -> tuple[list[str], str]:
    """Three issues from flight R1, and the key of flight R2 that sees them again."""
    flight, frames, dets = flight_inputs("R1")
    first = push_flight(session_factory=session_factory, flight=flight, frames=frames,
                        detections=dets, zones=zones)  # fmt: skip
    later, frames2, _ = flight_inputs("R2")
    push_flight(session_factory=session_factory, flight=later, frames=frames2, detections=[],
                zones=zones)  # fmt: skip
    return list(first.created), later.key


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_verdicts_are_recorded_with_their_evidence_and_audited(session_factory, pushed) -> None:
    codes, key = pushed
    verdicts = [
        VerdictRecord(
            codes[0],
            "gone",
            "appearance",
            residual_px=0.9,
            residual_m=0.02,
            meets_rule=True,
            zncc=0.1,
            coverage=1.0,
            evidence_path="/e/a.jpg",
            evidence_sha256="ab" * 32,
        ),
        VerdictRecord(codes[1], "cannot tell", "not covered"),
    ]
    out = record_rechecks(session_factory=session_factory, flight_key=key, verdicts=verdicts,
                          actor="复查员")  # fmt: skip
    assert out.recorded == tuple(sorted(codes[:2])) and not out.already and not out.rebounded
    with session_factory() as session:
        issue = session.scalars(select(Issue).where(Issue.code == codes[0])).one()
        view = latest_verdict(session, issue)
        assert view is not None
        assert (view.verdict, view.label, view.flight) == ("gone", "已消失", "R2")
        assert (view.residual_px, view.evidence_sha256) == (0.9, "ab" * 32)
        log = history(session=session, entity="issue", entity_key=codes[0])
        entry = [e for e in log if e.field == "recheck"]
        assert len(entry) == 1 and entry[0].new_value == "gone" and entry[0].actor == "复查员"
        assert "ab" * 32 in (entry[0].note or "")
        assert issue.status == "candidate"  # a verdict alone moves no open issue
        assert latest_verdict(session, session.scalars(
            select(Issue).where(Issue.code == codes[2])).one()) is None  # fmt: skip

    again = record_rechecks(session_factory=session_factory, flight_key=key,
                            verdicts=[VerdictRecord(codes[0], "still present")])  # fmt: skip
    assert again.recorded == () and again.already == (codes[0],)
    with session_factory() as session:
        issue_id = session.scalar(select(Issue.id).where(Issue.code == codes[0]))
        assert [v.verdict for v in rechecks_of(session=session, issue_id=issue_id)] == ["gone"]


def test_a_bad_verdict_leaves_nothing_written(session_factory, pushed) -> None:
    codes, key = pushed
    audit_before = _count(session_factory, AuditLog)
    verdicts = [VerdictRecord(codes[0], "gone"), VerdictRecord(codes[1], "maybe")]
    with pytest.raises(BadInputError, match="unknown recheck verdict"):
        record_rechecks(session_factory=session_factory, flight_key=key, verdicts=verdicts)
    assert _count(session_factory, Recheck) == 0
    assert _count(session_factory, AuditLog) == audit_before


def test_an_unpushed_flight_is_refused(session_factory, pushed) -> None:
    codes, _ = pushed
    with pytest.raises(BadInputError, match="push it first"):
        record_rechecks(session_factory=session_factory, flight_key="nowhere",
                        verdicts=[VerdictRecord(codes[0], "gone")])  # fmt: skip


def test_a_closed_issue_still_present_rebounds(session_factory, pushed) -> None:
    codes, key = pushed
    version = reach(session_factory, codes[0], "rectified")
    move(session_factory, codes[0], "closed", version)
    out = record_rechecks(session_factory=session_factory, flight_key=key,
                          verdicts=[VerdictRecord(codes[0], "still present", "appearance",
                                                  evidence_sha256="cd" * 32)])  # fmt: skip
    assert out.rebounded == (codes[0],)
    with session_factory() as session:
        issue = session.scalars(select(Issue).where(Issue.code == codes[0])).one()
        assert (issue.status, issue.rebound, issue.rebound_count, issue.closed_on) == (
            "candidate", True, 1, None)  # fmt: skip
        notes = [e.note for e in history(session=session, entity="issue", entity_key=codes[0])
                 if e.field == "status"]  # fmt: skip
        assert notes[-1].startswith("反弹: 复查 flight R2") and "cd" * 32 in notes[-1]


def test_a_closed_issue_gone_stays_closed(session_factory, pushed) -> None:
    codes, key = pushed
    version = reach(session_factory, codes[0], "rectified")
    move(session_factory, codes[0], "closed", version)
    out = record_rechecks(session_factory=session_factory, flight_key=key,
                          verdicts=[VerdictRecord(codes[0], "gone")])  # fmt: skip
    assert out.rebounded == ()
    with session_factory() as session:
        assert session.scalar(select(Issue.status).where(Issue.code == codes[0])) == "closed"
