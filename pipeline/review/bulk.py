"""Bulk decisions for operators: confirm, or reject as 误报, every candidate a queue filter shows.

The selection is the filter, recomputed on the server, and must still hold the
number of issues the operator saw (else nothing is written and the page says
the selection changed). Each issue goes through :func:`~pipeline.review.actions.apply_action`
in one transaction, so each gets its own audit entry under the operator's name,
with a note saying it was a bulk decision; one refusal writes none of them.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.ledger.workflow import get_issue
from pipeline.review.actions import ActionContext, Form, apply_action, reject_note
from pipeline.review.queue import QueueFilter, matching_codes

BULK_ACTIONS = ("confirm", "reject")
BULK_NOTE = "批量操作"


def _fields(action: str, form: Form) -> dict[str, str]:
    if action == "confirm":
        return {"note": BULK_NOTE}
    other = (form.get("reason_text") or "").strip()
    fields = {
        "reason": form.get("reason") or "",
        "reason_text": f"{other}；{BULK_NOTE}" if other else BULK_NOTE,
    }
    if not fields["reason"] and not other:
        raise BadInputError("批量误报需要选择或填写误报原因")
    reject_note(fields)  # checks the reason
    return fields


def bulk_decide(
    *,
    session: Session,
    filt: QueueFilter,
    action: str,
    form: Form,
    actor: str,
    expected: int,
    limit: int,
) -> list[str]:
    """Apply ``action`` to every candidate ``filt`` matches; returns their codes."""
    if action not in BULK_ACTIONS:
        raise BadInputError(f"批量操作只能是确认或误报，收到 {action!r}")
    filt = replace(filt, status="candidate")
    codes = matching_codes(session=session, filt=filt)
    if len(codes) != expected:
        raise BadInputError(
            f"筛选结果已变化：现在有 {len(codes)} 条待审核，页面显示的是 {expected} 条；"
            "请刷新后再操作"
        )
    if len(codes) > limit:
        raise BadInputError(
            f"一次最多批量处理 {limit} 条，当前筛选有 {len(codes)} 条：请缩小筛选范围"
        )
    fields = _fields(action, form)
    for code in codes:
        version = get_issue(session=session, code=code).version
        apply_action(session, action, ActionContext(code, version, actor, fields))
    return codes
