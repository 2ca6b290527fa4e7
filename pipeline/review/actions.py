"""What a reviewer can do to an issue, as calls into the ledger workflow.

Each action takes the ``version`` the page was rendered with; the ledger
raises :class:`~pipeline.ledger.errors.ConflictError` when the issue moved on
since, and nothing is written. :data:`ACTIONS` lists them with the status
each starts from, which :func:`apply_action` enforces (and the ledger refuses
edits of settled issues on its own). Form values arrive as text and are checked here; a bad
value raises :class:`~pipeline.errors.BadInputError` with what was expected.

Closing (销号) needs closure evidence: an uploaded after-photo
(:mod:`.uploads`) or a frame of a later flight that shows the place
(:func:`later_frames`); either is stored as a ``review_attachment`` and
written to the audit log in the same transaction as the status change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.ledger.audit import record
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.deadlines import Dispatch, dispatch
from pipeline.ledger.merge import ABSORBABLE
from pipeline.ledger.models import Issue
from pipeline.ledger.vocab import CHANGE_TYPE, SEVERITY_LABELS, type_of
from pipeline.ledger.workflow import (
    EDITABLE_STATUSES,
    check_starts_from,
    check_version,
    get_issue,
    schedule_check,
    transition,
    update_issue,
)
from pipeline.review.i18n import REJECT_REASONS
from pipeline.review.inputs import parse_row_id
from pipeline.review.later_frames import later_frames
from pipeline.review.models import Attachment
from pipeline.review.recheck_actions import close_on_recheck, reopen_on_recheck
from pipeline.review.undo import UNDOABLE, undo
from pipeline.review.uploads import StoredFile

Form = Mapping[str, str]


@dataclass(frozen=True)
class ActionContext:
    """Who acts, on which version, with what (form fields, an optional upload)."""

    code: str
    version: int
    actor: str
    form: Form
    upload: StoredFile | None = None
    subtypes: frozenset[str] = frozenset()
    undo_window_s: float = 30.0  # how long the actor's last decision can be undone
    #: the ledger settings whose ``deadline_days`` give a dispatch its default deadline
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    #: patrol grids (:mod:`pipeline.ledger.grids`): dispatch defaults to the grid's patroller
    grids: tuple[Any, ...] = ()


def _text(form: Form, key: str, limit: int = 2000) -> str | None:
    value = (form.get(key) or "").strip()
    if len(value) > limit:
        raise BadInputError(f"{key} is too long ({len(value)} characters, at most {limit})")
    return value or None


def _date(form: Form, key: str) -> dt.date | None:
    value = _text(form, key, 20)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise BadInputError(f"{key} must be a date YYYY-MM-DD, got {value!r}") from e


def _subtype(ctx: ActionContext) -> str | None:
    value = _text(ctx.form, "subtype", 128)
    if value is None:
        return None
    if type_of(value) is None or (ctx.subtypes and value not in ctx.subtypes):
        raise BadInputError(f"unknown 四乱 subtype {value!r}")
    return value


def _edits(ctx: ActionContext) -> dict[str, Any]:
    """Optional field edits sent with an action (type, severity, description)."""
    changes: dict[str, Any] = {}
    subtype = _subtype(ctx)
    if subtype:
        changes["subtype"] = subtype
    severity = _text(ctx.form, "severity", 16)
    if severity:
        if severity not in SEVERITY_LABELS:
            raise BadInputError(f"severity must be one of {', '.join(SEVERITY_LABELS)}")
        changes["severity"] = severity
    if "description" in ctx.form:
        changes["description"] = _text(ctx.form, "description")
    return changes


def _move(session: Session, ctx: ActionContext, to: str, **kw: Any) -> Issue:
    return transition(
        session=session,
        code=ctx.code,
        to=to,
        expected_version=ctx.version,
        actor=ctx.actor,
        note=kw.pop("note", _text(ctx.form, "note")),
        **kw,
    )


def confirm(session: Session, ctx: ActionContext) -> Issue:
    changes = _edits(ctx)
    if "subtype" not in changes and get_issue(session=session, code=ctx.code).type == CHANGE_TYPE:
        raise BadInputError("a new change (新增变化) is confirmed as a 四乱 subtype: choose one")
    return _move(session, ctx, "confirmed", changes=changes)


def reject_note(form: Form) -> str:
    """The audit note of a rejection: the chosen reason and/or the reviewer's words."""
    key = _text(form, "reason", 64)
    other = _text(form, "reason_text", 500)
    if key is not None and key not in REJECT_REASONS:
        raise BadInputError(f"unknown reason {key!r}; choose one of {', '.join(REJECT_REASONS)}")
    if key is None and other is None:
        raise BadInputError("a rejection (误报) needs a reason: choose one or write one")
    parts = [f"误报原因：{REJECT_REASONS[key][0]}" if key else None, other]
    return "；".join(p for p in parts if p)


def reject(session: Session, ctx: ActionContext) -> Issue:
    return _move(session, ctx, "false_positive", note=reject_note(ctx.form))


def reopen(session: Session, ctx: ActionContext) -> Issue:
    return _move(session, ctx, "candidate")


def edit(session: Session, ctx: ActionContext) -> Issue:
    changes = _edits(ctx)
    if not changes:
        raise BadInputError("nothing to change")
    return update_issue(
        session=session,
        code=ctx.code,
        expected_version=ctx.version,
        actor=ctx.actor,
        changes=changes,
        note=_text(ctx.form, "note"),
    )


def assign(session: Session, ctx: ActionContext) -> Issue:
    """交办: the deadline left empty is the configured rule's for the issue's subtype."""
    unit = _text(ctx.form, "responsible_unit", 255)
    if not unit:
        raise BadInputError("assigning (交办) needs a responsible unit (责任单位)")
    person = _text(ctx.form, "responsible_person", 128)
    if not person and ctx.grids:  # the grid's patroller, when the form names no one
        person = grid_patroller(session, ctx.code, ctx.grids)
    order = Dispatch(unit=unit, deadline=_date(ctx.form, "deadline"), person=person,
                     measures=_text(ctx.form, "rectification_measures"))  # fmt: skip
    return dispatch(session=session, code=ctx.code, expected_version=ctx.version,
                    actor=ctx.actor, order=order, config=ctx.ledger,
                    note=_text(ctx.form, "note"))  # fmt: skip


def _verdict_note(ctx: ActionContext, what: str) -> str:
    note = _text(ctx.form, "note", 500)
    if not note:
        raise BadInputError(f"say why in the note ({what})")
    return note


def historical(session: Session, ctx: ActionContext) -> Issue:
    """历史遗留: an old case, handled outside this campaign; settled like 误报."""
    return _move(session, ctx, "historical", note=_verdict_note(ctx, "历史遗留"))


def carry_over(session: Session, ctx: ActionContext) -> Issue:
    """挂账: carried over and monitored, looked at again on the next check date."""
    when = _date(ctx.form, "next_check_on")
    if when is None:
        raise BadInputError("carrying over (挂账) needs the next check date")
    note = _verdict_note(ctx, "挂账")
    return _move(session, ctx, "carried_over", changes={"next_check_on": when}, note=note)


def resume(session: Session, ctx: ActionContext) -> Issue:
    """A 挂账 issue's rectification starts: back to 已确认, to be dispatched."""
    return _move(session, ctx, "confirmed")


def check_on(session: Session, ctx: ActionContext) -> Issue:
    """Schedule (or, empty, clear) the next check: 挂账's next look or a 回头看."""
    return schedule_check(session=session, code=ctx.code, expected_version=ctx.version,
                          actor=ctx.actor, on=_date(ctx.form, "next_check_on"),
                          note=_text(ctx.form, "note", 500))  # fmt: skip


def grid_patroller(session: Session, code: str, grids: tuple[Any, ...]) -> str | None:
    """The patroller of the grid holding the issue's point (``None`` outside every grid)."""
    from pipeline.ledger.grids import find_grid

    issue = get_issue(session=session, code=code)
    grid = find_grid(grids, issue.lat_deg, issue.lon_deg)
    return grid.props.patroller if grid else None


def start(session: Session, ctx: ActionContext) -> Issue:
    return _move(session, ctx, "rectifying", changes=_progress(ctx, required=False))


def _progress(ctx: ActionContext, *, required: bool) -> dict[str, Any]:
    progress = _text(ctx.form, "progress")
    if required and not progress:
        raise BadInputError("write the rectification progress (整改进展)")
    return {"progress": progress} if progress else {}


def progress(session: Session, ctx: ActionContext) -> Issue:
    return update_issue(
        session=session,
        code=ctx.code,
        expected_version=ctx.version,
        actor=ctx.actor,
        changes=_progress(ctx, required=True),
    )


def rectified(session: Session, ctx: ActionContext) -> Issue:
    return _move(session, ctx, "rectified", changes=_progress(ctx, required=True))


def fail_check(session: Session, ctx: ActionContext) -> Issue:
    if not _text(ctx.form, "note"):
        raise BadInputError("say why the check failed (验收不通过) in the note")
    return _move(session, ctx, "rectifying")


def close(session: Session, ctx: ActionContext) -> Issue:
    from pipeline.review.field import verified_rectification

    frame_id = _text(ctx.form, "later_frame", 20)
    field = None
    if ctx.upload is None and frame_id is None:
        field = verified_rectification(session, get_issue(session=session, code=ctx.code).id)
    if ctx.upload is None and frame_id is None and field is None:
        raise BadInputError(
            "closing (销号) needs evidence: upload an after-photo, pick a later flight's frame "
            "or record a field check 已整改 with a verified photo"
        )
    issue = _move(session, ctx, "closed", on=_date(ctx.form, "closed_on"))
    if field is not None:
        _attach_field_photo(session, issue, ctx, field)
    if ctx.upload is not None:
        _attach_upload(session, issue, ctx)
    if frame_id is not None:
        _attach_frame(session, issue, ctx, frame_id)
    return issue


def _attach_field_photo(session: Session, issue: Issue, ctx: ActionContext, field: Any) -> None:
    """The verified photo of a 已整改 field check, as the closure's after-photo."""
    session.add(Attachment(
        issue_id=issue.id, kind="after_photo", sha256=field.sha256,
        stored_name=field.stored_name, media_type=field.media_type,
        original_name=field.original_name, uploaded_by=field.actor,
    ))  # fmt: skip
    record(session=session, actor=ctx.actor, entity="issue", entity_key=issue.code,
           field="after_photo", old=None, new=field.sha256,
           note=f"实地核查 #{field.id}（{field.actor}，{field.distance_m:.0f} m）")  # fmt: skip


def _attach_upload(session: Session, issue: Issue, ctx: ActionContext) -> None:
    up = ctx.upload
    assert up is not None
    session.add(
        Attachment(
            issue_id=issue.id,
            kind="after_photo",
            sha256=up.sha256,
            stored_name=up.stored_name,
            media_type=up.media_type,
            size_bytes=up.size_bytes,
            original_name=up.original_name,
            uploaded_by=ctx.actor,
        )
    )
    record(
        session=session, actor=ctx.actor, entity="issue", entity_key=issue.code,
        field="after_photo", old=None, new=up.sha256, note=up.original_name,
    )  # fmt: skip


def _attach_frame(session: Session, issue: Issue, ctx: ActionContext, frame_id: str) -> None:
    allowed = {f.frame_id: f for f in later_frames(session=session, code=issue.code)}
    try:
        chosen = allowed[int(frame_id)]
    except (ValueError, KeyError) as e:
        raise BadInputError(f"frame {frame_id!r} is not a later frame of this place") from e
    session.add(
        Attachment(
            issue_id=issue.id, kind="later_frame", sha256=chosen.sha256,
            frame_id=chosen.frame_id, uploaded_by=ctx.actor,
        )
    )  # fmt: skip
    record(
        session=session, actor=ctx.actor, entity="issue", entity_key=issue.code,
        field="later_frame", old=None, new=chosen.sha256, note=chosen.label,
    )  # fmt: skip


def split(session: Session, ctx: ActionContext) -> Issue:
    """Move one sighting (form field ``detection_id``) into a new candidate; returns the new one."""
    from pipeline.ledger.split import split_sighting

    detection_id = parse_row_id(ctx.form.get("detection_id", ""), "a split's detection_id")
    return split_sighting(session=session, code=ctx.code, detection_id=detection_id,
                          expected_version=ctx.version, actor=ctx.actor,
                          note=_text(ctx.form, "note", 500))  # fmt: skip


def merge(session: Session, ctx: ActionContext) -> Issue:
    """Merge this issue into the one named in form field ``into``; returns the kept one."""
    from pipeline.ledger.merge import merge_issues

    into = _text(ctx.form, "into", 64)
    if into is None:
        raise BadInputError("a merge needs the code of the issue to merge into")
    return merge_issues(session=session, code=ctx.code, into=into, expected_version=ctx.version,
                        actor=ctx.actor, note=_text(ctx.form, "note", 500),
                        force=ctx.form.get("force") == "1")  # fmt: skip


#: action name → (function, statuses it starts from). All need the ``review`` permission.
ACTIONS: Mapping[str, tuple[Callable[[Session, ActionContext], Issue], frozenset[str]]] = {
    "confirm": (confirm, frozenset({"candidate"})),
    "reject": (reject, frozenset({"candidate"})),
    "reopen": (reopen, frozenset({"false_positive", "historical"})),
    "historical": (historical, frozenset({"candidate", "confirmed"})),
    "carry_over": (carry_over, frozenset({"candidate", "confirmed"})),
    "resume": (resume, frozenset({"carried_over"})),
    "check_on": (check_on, frozenset({"carried_over", "closed"})),
    "edit": (edit, EDITABLE_STATUSES),
    "assign": (assign, frozenset({"confirmed"})),
    "start": (start, frozenset({"assigned"})),
    "progress": (progress, frozenset({"rectifying"})),
    "rectified": (rectified, frozenset({"rectifying"})),
    "fail_check": (fail_check, frozenset({"rectified"})),
    "close": (close, frozenset({"rectified"})),
    "close_recheck": (close_on_recheck, frozenset({"rectified"})),
    "reopen_recheck": (reopen_on_recheck, frozenset({"rectified"})),
    "merge": (merge, ABSORBABLE),
    "undo": (undo, frozenset(UNDOABLE)),
    "split": (
        split,
        frozenset(
            {"candidate", "confirmed", "false_positive", "assigned", "rectifying", "rectified"}
        ),
    ),
}


def apply_action(session: Session, action: str, ctx: ActionContext) -> Issue:
    """Run ``action`` on the issue of ``ctx``, which must be in a status the action starts from.

    Raises BadInputError for an unknown action, ConflictError on a stale
    version (checked first: what changed says more than what is now refused),
    IllegalTransitionError when the issue's status is not one of the action's
    (:data:`ACTIONS`). The ledger call re-checks the version under its row
    lock, so a status that changes in between is a conflict, never a bypass.
    """
    if action not in ACTIONS:
        raise BadInputError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    function, starts = ACTIONS[action]
    issue = get_issue(session=session, code=ctx.code)
    check_version(session, issue, ctx.version)
    check_starts_from(issue, starts, action)
    return function(session, ctx)
