"""The append-only audit log: who changed which field of what, when, from what to what.

Rows are only ever inserted; the database rejects UPDATE and DELETE on
``audit_log`` (triggers made by the first migration).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.models import AuditLog, utc_now


def as_text(value: Any) -> str | None:
    """How a field value is written in the log (dates ISO-8601, booleans ``true``/``false``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def record(
    *,
    session: Session,
    actor: str,
    entity: str,
    entity_key: str,
    field: str,
    old: Any,
    new: Any,
    note: str | None = None,
    at_utc: dt.datetime | None = None,
) -> AuditLog:
    """Append one entry (flushed with the session's transaction)."""
    entry = AuditLog(
        at_utc=at_utc or utc_now(),
        actor=actor,
        entity=entity,
        entity_key=entity_key,
        field=field,
        old_value=as_text(old),
        new_value=as_text(new),
        note=note,
    )
    session.add(entry)
    return entry


def history(*, session: Session, entity: str, entity_key: str) -> list[AuditLog]:
    """Entries for one entity, oldest first."""
    query = (
        select(AuditLog)
        .where(AuditLog.entity == entity, AuditLog.entity_key == entity_key)
        .order_by(AuditLog.id)
    )
    return list(session.scalars(query))
