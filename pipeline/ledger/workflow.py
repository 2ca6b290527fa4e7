"""Reviewing an issue: status transitions and edits, with optimistic locking, audited.

Every edit names the ``version`` of the issue it was made on. When the issue
has moved on since (someone else confirmed, assigned or edited it), the edit
raises :class:`ConflictError` and writes nothing; nothing is ever silently
overwritten. The check happens twice: against the loaded row (PostgreSQL
locks it ``FOR UPDATE``; SQLite transactions hold the write lock), and in the
``UPDATE … WHERE version = ?`` SQLAlchemy emits for the version column.
Each changed field becomes one audit-log row.

Legal transitions are :data:`pipeline.ledger.vocab.TRANSITIONS`; moving to
已交办 needs a responsible unit and a deadline, moving to 已销号 sets the
closure date. A caller's action may also name the statuses it starts from
(``from_statuses``: the review app's 开始整改 starts from 已交办 only, although
已整改 → 整改中 is a legal move for 验收不通过). Fields of a settled issue
(已销号, 误报, 历史遗留: :data:`EDITABLE_STATUSES` leaves them out) cannot be edited;
only a status change (reopening a 误报, a rebound seen by a later flight)
brings it back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pipeline.errors import BadInputError
from pipeline.ledger.audit import history, record
from pipeline.ledger.errors import ConflictError, IllegalTransitionError, IssueNotFoundError
from pipeline.ledger.models import Issue, utc_now
from pipeline.ledger.vocab import (
    CHECKED_STATUSES,
    OPEN_STATUSES,
    SEVERITY_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    type_of,
)

#: Fields a reviewer may edit (status has its own function; ``type`` follows ``subtype``).
EDITABLE = frozenset(
    {
        "subtype",
        "description",
        "river_name",
        "river_code",
        "reach",
        "river_chief",
        "responsible_unit",
        "responsible_person",
        "rectification_measures",
        "deadline",
        "progress",
        "area_m2",
        "severity",
    }
)

#: Statuses whose fields may be edited: not the settled 已销号 (closed), 误报 (false_positive)
#: and 历史遗留 (historical).
EDITABLE_STATUSES = OPEN_STATUSES

#: Fields a status change may also set: the edits, and the next check date of 挂账.
MOVE_FIELDS = EDITABLE | {"next_check_on"}


def check_starts_from(issue: Issue, statuses: Collection[str], action: str) -> None:
    """Raise :class:`IllegalTransitionError` unless ``issue``'s status is one of ``statuses``."""
    if issue.status in statuses:
        return
    allowed = ", ".join(f"{s} ({STATUS_LABELS.get(s, '?')})" for s in sorted(statuses))
    raise IllegalTransitionError(
        f"issue {issue.code} is {issue.status} ({STATUS_LABELS.get(issue.status, '?')}): "
        f"{action} is allowed only from {allowed or 'no status'}; reload it to see what it allows"
    )


def check_transition(code: str, status: str, to: str) -> None:
    """Raise :class:`IllegalTransitionError` unless a person may move ``status`` → ``to``."""
    if to in TRANSITIONS.get(status, ()):
        return
    allowed = ", ".join(f"{s} ({STATUS_LABELS[s]})" for s in sorted(TRANSITIONS.get(status, ())))
    raise IllegalTransitionError(
        f"issue {code} is {status} ({STATUS_LABELS.get(status, '?')}); it cannot move to "
        f"{to} ({STATUS_LABELS.get(to, 'unknown status')}); allowed next: {allowed or 'none'}"
    )


def get_issue(*, session: Session, code: str, for_update: bool = False) -> Issue:
    """The issue with ``code``; raises :class:`IssueNotFoundError`."""
    query = select(Issue).where(Issue.code == code)
    issue = session.scalars(query.with_for_update() if for_update else query).one_or_none()
    if issue is None:
        raise IssueNotFoundError(f"no issue with code {code!r}; list codes with: hehu ledger list")
    return issue


def check_version(session: Session, issue: Issue, expected_version: int) -> None:
    if issue.version == expected_version:
        return
    last = history(session=session, entity="issue", entity_key=issue.code)
    who = (
        f" (last change: {last[-1].field} by {last[-1].actor} "
        f"at {last[-1].at_utc:%Y-%m-%d %H:%M} UTC)"
        if last
        else ""
    )
    raise ConflictError(
        f"issue {issue.code} changed since you loaded it: your edit was made on version "
        f"{expected_version}, it is now at version {issue.version}{who}; nothing was written — "
        f"reload it and redo your edit"
    )


def _validate(field: str, value: Any, allowed: frozenset[str] = EDITABLE) -> Any:
    if field not in allowed:
        raise BadInputError(
            f"{field!r} cannot be edited here; editable fields: {', '.join(sorted(allowed))}"
        )
    if field == "subtype" and type_of(value) is None:
        raise BadInputError(
            f"subtype {value!r} must start with a 四乱 type: "
            "luanzhan., luancai., luandui. or luanjian."
        )
    if field == "severity" and value is not None and value not in SEVERITY_LABELS:
        raise BadInputError(f"severity must be one of {', '.join(SEVERITY_LABELS)}, got {value!r}")
    dated = field in ("deadline", "next_check_on")
    if dated and value is not None and not isinstance(value, dt.date):
        raise BadInputError(f"{field} must be a date, got {value!r}")
    return value


def _set(
    session: Session, issue: Issue, changes: Mapping[str, Any], actor: str, note: str | None
) -> None:
    changed = False
    for field, new in changes.items():
        old = getattr(issue, field)
        if old == new:
            continue
        record(
            session=session,
            actor=actor,
            entity="issue",
            entity_key=issue.code,
            field=field,
            old=old,
            new=new,
            note=note,
        )
        setattr(issue, field, new)
        changed = True
    if changed:
        issue.updated_at_utc = utc_now()


def _flush(session: Session, issue: Issue, expected_version: int) -> Issue:
    code = issue.code  # the failed flush expires the instance
    try:
        session.flush()
    except StaleDataError as e:
        raise ConflictError(
            f"issue {code} was changed by someone else while you edited version "
            f"{expected_version}; nothing was written — reload it and redo your edit"
        ) from e
    return issue


def update_issue(
    *,
    session: Session,
    code: str,
    expected_version: int,
    actor: str,
    changes: Mapping[str, Any],
    note: str | None = None,
    from_statuses: Collection[str] = EDITABLE_STATUSES,
    action: str = "editing",
) -> Issue:
    """Edit fields of an issue (see :data:`EDITABLE`); changing ``subtype`` also sets the type.

    The issue must be in one of ``from_statuses`` and never settled (closed,
    false positive): :class:`IllegalTransitionError` names ``action`` otherwise.
    """
    fields = {f: _validate(f, v) for f, v in changes.items()}
    issue = get_issue(session=session, code=code, for_update=True)
    check_version(session, issue, expected_version)
    check_starts_from(issue, EDITABLE_STATUSES.intersection(from_statuses), action)
    if "subtype" in fields:
        fields["type"] = type_of(fields["subtype"])
    _set(session, issue, fields, actor, note)
    return _flush(session, issue, expected_version)


def transition(
    *,
    session: Session,
    code: str,
    to: str,
    expected_version: int,
    actor: str,
    changes: Mapping[str, Any] | None = None,
    note: str | None = None,
    on: dt.date | None = None,
    from_statuses: Collection[str] | None = None,
    action: str | None = None,
) -> Issue:
    """Move an issue to status ``to`` (a code such as ``assigned``), with optional field edits.

    ``on`` is the closure date when closing (default: today). With
    ``from_statuses``, the issue must also be in one of them (the starting
    statuses of the caller's ``action``).
    """
    fields = {f: _validate(f, v, MOVE_FIELDS) for f, v in (changes or {}).items()}
    issue = get_issue(session=session, code=code, for_update=True)
    check_version(session, issue, expected_version)
    if from_statuses is not None:
        check_starts_from(issue, from_statuses, action or f"moving to {to}")
    check_transition(code, issue.status, to)
    if "subtype" in fields:
        fields["type"] = type_of(fields["subtype"])
    if to == "carried_over" and not fields.get("next_check_on"):
        raise IllegalTransitionError(
            f"issue {code} cannot be carried over (挂账) without a next check date"
        )
    if to not in CHECKED_STATUSES:
        fields["next_check_on"] = None
    if to == "assigned":
        missing = [
            f for f in ("responsible_unit", "deadline") if not fields.get(f, getattr(issue, f))
        ]
        if missing:
            raise IllegalTransitionError(
                f"issue {code} cannot be assigned (已交办) without {' and '.join(missing)}"
            )
    fields["status"] = to
    if to == "closed":
        fields["closed_on"] = on or dt.date.today()
    _set(session, issue, fields, actor, note)
    return _flush(session, issue, expected_version)


def schedule_check(
    *,
    session: Session,
    code: str,
    expected_version: int,
    actor: str,
    on: dt.date | None,
    note: str | None = None,
) -> Issue:
    """Set (or with ``on=None`` clear) the next check of a 挂账 or closed issue: 挂账's next
    look, or a 回头看 (follow-up check) of a closed one; audited like any edit."""
    issue = get_issue(session=session, code=code, for_update=True)
    check_version(session, issue, expected_version)
    check_starts_from(issue, CHECKED_STATUSES, "scheduling a check (回头看)")
    if on is None and issue.status == "carried_over":
        raise BadInputError(f"issue {code} is carried over (挂账): it keeps a next check date")
    _set(session, issue, {"next_check_on": on}, actor, note)
    return _flush(session, issue, expected_version)
