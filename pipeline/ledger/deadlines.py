"""Deadlines and checks: the 整改时限 set at dispatch, what is overdue, what checks are due.

Dispatch (交办) gives an issue a rectification deadline: the one the
dispatcher names, else the configured rule for its subtype
(:meth:`pipeline.ledger.config.LedgerConfig.deadline`, days from the
dispatch date). An issue is overdue (逾期) while it is dispatched or being
rectified (:data:`~pipeline.ledger.vocab.OVERDUE_STATUSES`) and its deadline
has passed. A 挂账 (carried over) issue carries the date of its next look,
a closed one may carry a 回头看 (follow-up check); both are due on that date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.models import Issue
from pipeline.ledger.vocab import CHECKED_STATUSES, OVERDUE_STATUSES
from pipeline.ledger.workflow import get_issue, transition


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """Whether an issue in ``status`` with ``deadline`` is 逾期 on ``today``."""
    return status in OVERDUE_STATUSES and deadline is not None and deadline < today


@dataclass(frozen=True)
class Dispatch:
    """What a dispatch (交办) names; ``deadline`` ``None``: the configured rule's."""

    unit: str
    deadline: dt.date | None = None
    person: str | None = None
    measures: str | None = None


def default_deadline(
    *, session: Session, code: str, config: LedgerConfig, on: dt.date
) -> dt.date | None:
    """The 整改时限 the configured rule gives the issue ``code`` dispatched on ``on``."""
    return config.deadline(get_issue(session=session, code=code).subtype, on)


def dispatch(
    *,
    session: Session,
    code: str,
    expected_version: int,
    actor: str,
    order: Dispatch,
    config: LedgerConfig,
    note: str | None = None,
    on: dt.date | None = None,
) -> Issue:
    """Move a confirmed issue to 已交办 with its unit and deadline (the rule's when not named).

    ``on`` is the dispatch date the rule counts from (default: today).
    """
    deadline = order.deadline or default_deadline(
        session=session, code=code, config=config, on=on or dt.date.today()
    )
    changes = {
        "responsible_unit": order.unit,
        "responsible_person": order.person,
        "rectification_measures": order.measures,
        "deadline": deadline,
    }
    return transition(
        session=session,
        code=code,
        to="assigned",
        expected_version=expected_version,
        actor=actor,
        changes={k: v for k, v in changes.items() if v is not None},
        note=note,
    )


def overdue_issues(*, session: Session, today: dt.date) -> list[Issue]:
    """Issues 逾期 on ``today``, the longest overdue first."""
    query = (
        select(Issue)
        .where(Issue.status.in_(sorted(OVERDUE_STATUSES)), Issue.deadline < today)
        .order_by(Issue.deadline, Issue.code)
    )
    return list(session.scalars(query))


def due_checks(*, session: Session, today: dt.date) -> list[Issue]:
    """挂账 issues due for their next look and closed ones due for 回头看, on or before
    ``today``, the earliest first."""
    query = (
        select(Issue)
        .where(Issue.status.in_(sorted(CHECKED_STATUSES)), Issue.next_check_on <= today)
        .order_by(Issue.next_check_on, Issue.code)
    )
    return list(session.scalars(query))
