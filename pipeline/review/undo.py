"""Undo of a reviewer's last decision: a confirmation or 误报 taken back within a short window.

Only the reviewer who decided may undo, only while the decision is the issue's
latest status change (nothing moved it on since) and only within
``undo_window_s`` (:class:`~pipeline.review.config.ReviewConfig`, 30 s by
default). The issue goes back to 待审核 through the ledger's audited
transition, so the log keeps both the decision and its undoing. Field edits sent
with a confirmation (a corrected subtype) stay, with their own log entries.
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.ledger.models import AuditLog, Issue, utc_now
from pipeline.ledger.workflow import get_issue, transition

if TYPE_CHECKING:
    from pipeline.review.actions import ActionContext

#: Status a decision left the issue in → what the undo's note calls the decision.
UNDOABLE = MappingProxyType({"confirmed": "确认", "false_positive": "误报"})


def last_decision(*, session: Session, code: str) -> AuditLog | None:
    """The issue's latest status change in the audit log."""
    query = (
        select(AuditLog)
        .where(AuditLog.entity == "issue", AuditLog.entity_key == code, AuditLog.field == "status")
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def why_not(
    issue: Issue, entry: AuditLog | None, actor: str, window_s: float, now: dt.datetime
) -> str | None:
    """Why ``actor`` cannot undo the issue's last decision now (``None``: they can)."""
    if issue.status not in UNDOABLE or entry is None or entry.new_value != issue.status:
        return f"{issue.code} 当前没有可撤销的确认或误报决定"
    if entry.old_value != "candidate":
        return f"{issue.code} 的上一次状态变更不是审核决定，不能撤销"
    if entry.actor != actor:
        return f"只能撤销自己的决定：{issue.code} 由 {entry.actor} 决定"
    if (now - entry.at_utc).total_seconds() > window_s:
        return f"已超过撤销时限（{window_s:g} 秒）：请在问题页面上另行修改"
    return None


def undo_deadline(
    *, session: Session, code: str, actor: str, window_s: float, now: dt.datetime | None = None
) -> tuple[int, float] | None:
    """``(version, seconds left)`` while ``actor`` may undo the issue's last decision."""
    now = now or utc_now()
    issue = get_issue(session=session, code=code)
    entry = last_decision(session=session, code=code)
    if why_not(issue, entry, actor, window_s, now) is not None:
        return None
    assert entry is not None
    return issue.version, window_s - (now - entry.at_utc).total_seconds()


def undo(session: Session, ctx: ActionContext) -> Issue:
    """Take back the decision (review action ``undo``); BadInputError when not allowed."""
    issue = get_issue(session=session, code=ctx.code, for_update=True)
    entry = last_decision(session=session, code=ctx.code)
    reason = why_not(issue, entry, ctx.actor, ctx.undo_window_s, utc_now())
    if reason is not None:
        raise BadInputError(reason)
    assert entry is not None
    note = f"撤销{UNDOABLE[issue.status]}（审核记录 #{entry.id}）"
    return transition(session=session, code=ctx.code, to="candidate",
                      expected_version=ctx.version, actor=ctx.actor, note=note)  # fmt: skip
