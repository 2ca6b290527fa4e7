"""Deadlines, 逾期, the verdicts 历史遗留 and 挂账, and scheduled checks (回头看)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text

from pipeline.errors import BadInputError
from pipeline.ledger.audit import history
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.deadlines import (
    Dispatch,
    dispatch,
    due_checks,
    is_overdue,
    overdue_issues,
)
from pipeline.ledger.errors import IllegalTransitionError
from pipeline.ledger.models import Issue
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import list_issues
from pipeline.ledger.workflow import schedule_check, transition, update_issue
from tests.ledger.ledger_helpers import flight_inputs

RULES = LedgerConfig(deadline_days={"default": 30, "luandui": 10, "luandui.floating_garbage": 3})
MONDAY = dt.date(2026, 11, 2)


@pytest.fixture
def code(one_candidate: str) -> str:
    return one_candidate


def _move(session_factory, code, to, version, **changes) -> Issue:
    with session_factory.begin() as session:
        return transition(session=session, code=code, to=to, expected_version=version,
                          actor="李四", changes=changes)  # fmt: skip


def _dispatch(session_factory, code, version, **kw) -> Issue:
    with session_factory.begin() as session:
        return dispatch(session=session, code=code, expected_version=version, actor="李四",
                        order=Dispatch(unit="示例镇", **kw), config=RULES, on=MONDAY)  # fmt: skip


@pytest.mark.parametrize(
    ("subtype", "days"),
    [("luandui.floating_garbage", 3), ("luandui.construction_waste", 10), ("luanjian.shed", 30)],
)
def test_config_rule_by_subtype_then_type_then_default(subtype: str, days: int) -> None:
    assert RULES.deadline(subtype, MONDAY) == MONDAY + dt.timedelta(days=days)
    assert LedgerConfig(deadline_days={"luandui": 5}).deadline("luanjian.shed", MONDAY) is None


def test_a_rule_under_one_day_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        LedgerConfig(deadline_days={"default": 0})


def test_dispatch_takes_the_rule_unless_a_deadline_is_named(session_factory, code) -> None:
    with session_factory() as session:
        subtype = session.scalars(select(Issue.subtype)).one()
    _move(session_factory, code, "confirmed", 1)
    issue = _dispatch(session_factory, code, 2)
    assert (issue.status, issue.deadline) == ("assigned", RULES.deadline(subtype, MONDAY))
    with session_factory() as session:
        log = {(h.field, h.new_value) for h in history(session=session, entity="issue",
                                                       entity_key=code)}  # fmt: skip
    assert ("deadline", issue.deadline.isoformat()) in log


def test_a_named_deadline_overrides_the_rule(session_factory, code) -> None:
    _move(session_factory, code, "confirmed", 1)
    issue = _dispatch(session_factory, code, 2, deadline=dt.date(2026, 12, 24))
    assert issue.deadline == dt.date(2026, 12, 24)


def test_no_rule_and_no_deadline_cannot_dispatch(session_factory, code) -> None:
    _move(session_factory, code, "confirmed", 1)
    no_rule = LedgerConfig(deadline_days={"x": 1})
    with session_factory.begin() as session, pytest.raises(IllegalTransitionError, match="dead"):
        dispatch(session=session, code=code, expected_version=2, actor="x",
                 order=Dispatch(unit="示例镇"), config=no_rule)  # fmt: skip


@pytest.mark.parametrize(
    ("status", "deadline", "overdue"),
    [
        ("assigned", "2026-11-01", True),
        ("rectifying", "2026-11-01", True),
        ("rectifying", "2026-11-02", False),  # due today: not yet late
        ("rectified", "2026-11-01", False),  # reported done, waiting for 验收
        ("closed", "2026-11-01", False),
        ("assigned", None, False),
    ],
)
def test_overdue_means_dispatched_unfinished_and_past_the_deadline(status, deadline, overdue):
    day = dt.date.fromisoformat(deadline) if deadline else None
    assert is_overdue(status, day, MONDAY) is overdue


def test_overdue_issues_are_listed_and_flagged_in_views(session_factory, code) -> None:
    _move(session_factory, code, "confirmed", 1)
    _dispatch(session_factory, code, 2, deadline=dt.date(2000, 1, 1))
    with session_factory() as session:
        assert [i.code for i in overdue_issues(session=session, today=MONDAY)] == [code]
        assert overdue_issues(session=session, today=dt.date(2000, 1, 1)) == []
        (view,) = list_issues(session=session)
    assert view.overdue and view.to_json()["overdue"] is True


def test_historical_is_settled_and_reopens_like_a_rejection(session_factory, code) -> None:
    issue = _move(session_factory, code, "historical", 1)
    assert issue.status == "historical"
    with session_factory.begin() as session, pytest.raises(IllegalTransitionError, match="edit"):
        update_issue(session=session, code=code, expected_version=2, actor="x",
                     changes={"progress": "x"})  # fmt: skip
    assert _move(session_factory, code, "candidate", 2).status == "candidate"


def test_carried_over_needs_a_next_check_and_loses_it_when_resumed(session_factory, code) -> None:
    _move(session_factory, code, "confirmed", 1)
    with pytest.raises(IllegalTransitionError, match="next check date"):
        _move(session_factory, code, "carried_over", 2)
    issue = _move(session_factory, code, "carried_over", 2, next_check_on=dt.date(2026, 11, 1))
    assert (issue.status, issue.next_check_on) == ("carried_over", dt.date(2026, 11, 1))
    with session_factory() as session:
        assert [i.code for i in due_checks(session=session, today=MONDAY)] == [code]
    issue = _move(session_factory, code, "confirmed", 3)
    assert (issue.status, issue.next_check_on) == ("confirmed", None)
    with session_factory() as session:
        assert due_checks(session=session, today=MONDAY) == []
        fields = [h.field for h in history(session=session, entity="issue", entity_key=code)]
    assert fields.count("next_check_on") == 2  # set, then cleared: both audited


def test_a_closed_issue_gets_a_follow_up_check(session_factory, code) -> None:
    version = 1
    for to in ("confirmed", "assigned", "rectifying", "rectified", "closed"):
        extra = {"responsible_unit": "u", "deadline": MONDAY} if to == "assigned" else {}
        version = _move(session_factory, code, to, version, **extra).version
    with session_factory.begin() as session:
        issue = schedule_check(session=session, code=code, expected_version=version,
                               actor="王五", on=dt.date(2026, 12, 1), note="回头看")  # fmt: skip
        assert issue.next_check_on == dt.date(2026, 12, 1)
    with session_factory() as session:
        assert due_checks(session=session, today=dt.date(2026, 11, 30)) == []
        assert [i.code for i in due_checks(session=session, today=dt.date(2026, 12, 1))] == [code]
        last = history(session=session, entity="issue", entity_key=code)[-1]
    assert (last.actor, last.field, last.new_value, last.note) == (
        "王五", "next_check_on", "2026-12-01", "回头看")  # fmt: skip


def test_checks_are_scheduled_only_on_closed_or_carried_over_issues(session_factory, code):
    with session_factory.begin() as session, pytest.raises(IllegalTransitionError, match="回头看"):
        schedule_check(session=session, code=code, expected_version=1, actor="x", on=MONDAY)
    _move(session_factory, code, "carried_over", 1, next_check_on=MONDAY)
    with session_factory.begin() as session, pytest.raises(BadInputError, match="keeps"):
        schedule_check(session=session, code=code, expected_version=2, actor="x", on=None)


def test_migration_0008_keeps_rows_and_refuses_to_downgrade_new_verdicts(
    engine, session_factory, code
) -> None:
    from pipeline.ledger.db import downgrade, upgrade

    _move(session_factory, code, "historical", 1)
    with pytest.raises(RuntimeError, match="历史遗留 or 挂账"):
        downgrade(engine, "0007")
    _move(session_factory, code, "candidate", 2)
    downgrade(engine, "0007")
    assert "next_check_on" not in {c["name"] for c in inspect(engine).get_columns("issue")}
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status, version FROM issue")).one() == ("candidate", 3)
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []


def test_a_rebound_clears_the_follow_up_check(session_factory, zones, code) -> None:
    """A closed issue a later flight sees again is a rebound (待审核): its 回头看 is moot."""
    version = 1
    for to in ("confirmed", "assigned", "rectifying", "rectified", "closed"):
        extra = {"responsible_unit": "u", "deadline": MONDAY} if to == "assigned" else {}
        with session_factory.begin() as session:
            moved = transition(session=session, code=code, to=to, expected_version=version,
                               actor="x", changes=extra, on=dt.date(2024, 5, 2))  # fmt: skip
            version = moved.version
    with session_factory.begin() as session:
        schedule_check(session=session, code=code, expected_version=version, actor="x",
                       on=dt.date(2024, 8, 1))  # fmt: skip
    flight, frames, dets = flight_inputs("R3")  # seen on 2024-05-03, after the closure
    push_flight(session_factory=session_factory, flight=flight, frames=frames, detections=dets,
                zones=zones)  # fmt: skip
    with session_factory() as session:
        issue = session.scalars(select(Issue).where(Issue.code == code)).one()
        assert (issue.status, issue.rebound, issue.next_check_on) == ("candidate", True, None)
        assert due_checks(session=session, today=dt.date(2024, 9, 1)) == []
