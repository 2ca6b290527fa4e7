"""A reviewer's decisions on a recheck (复查) verdict: 销号 on "gone", back to 整改中 on
"still present" (:mod:`pipeline.ledger.rechecks` records the verdicts).

Both start from 已整改 (the status a 验收 check closes or sends back) and need the
issue's latest recorded verdict to say so; the audit note names the verdict's flight and
the sha256 of its before/after picture, the closure's evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.ledger.models import Issue
from pipeline.ledger.rechecks import RecheckView, latest_verdict
from pipeline.ledger.workflow import get_issue, transition

if TYPE_CHECKING:
    from pipeline.review.actions import ActionContext


def _latest(session: Session, code: str, wanted: str, action: str) -> RecheckView:
    view = latest_verdict(session, get_issue(session=session, code=code))
    if view is None or view.verdict != wanted:
        said = "no recorded recheck" if view is None else f"the latest recheck says {view.verdict}"
        raise BadInputError(f"{action} needs the latest recheck to say {wanted}; {said}")
    return view


def _note(prefix: str, view: RecheckView, ctx: ActionContext) -> str:
    own = (ctx.form.get("note") or "").strip()[:500]
    sha = f", before/after sha256 {view.evidence_sha256}" if view.evidence_sha256 else ""
    return f"{prefix}: recheck of flight {view.flight}{sha}" + (f"; {own}" if own else "")


def close_on_recheck(session: Session, ctx: ActionContext) -> Issue:
    """销号 on the latest recheck's "gone", its before/after picture as the evidence."""
    view = _latest(session, ctx.code, "gone", "closing on a recheck (复查销号)")
    return transition(session=session, code=ctx.code, to="closed", expected_version=ctx.version,
                      actor=ctx.actor, note=_note("复查销号", view, ctx))  # fmt: skip


def reopen_on_recheck(session: Session, ctx: ActionContext) -> Issue:
    """Back to 整改中 (验收不通过) on the latest recheck's "still present"."""
    view = _latest(session, ctx.code, "still_present", "reopening on a recheck (复查仍存在)")
    return transition(session=session, code=ctx.code, to="rectifying",
                      expected_version=ctx.version, actor=ctx.actor,
                      note=_note("复查仍存在", view, ctx))  # fmt: skip
