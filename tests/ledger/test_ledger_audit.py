"""The audit log is append-only, enforced by the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from pipeline.ledger.audit import history, record
from pipeline.ledger.models import AuditLog


def _one_entry(session_factory) -> None:
    with session_factory.begin() as session:
        record(
            session=session,
            actor="reviewer",
            entity="issue",
            entity_key="X-1",
            field="status",
            old="candidate",
            new="confirmed",
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET new_value = 'closed'",
        "UPDATE audit_log SET actor = actor",
        "DELETE FROM audit_log",
    ],
)
def test_database_rejects_update_and_delete(engine, session_factory, statement: str) -> None:
    _one_entry(session_factory)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement)
    with session_factory() as session:
        (entry,) = history(session=session, entity="issue", entity_key="X-1")
    assert (entry.actor, entry.field, entry.old_value, entry.new_value) == (
        "reviewer",
        "status",
        "candidate",
        "confirmed",
    )


def test_orm_update_and_delete_are_rejected_too(session_factory) -> None:
    _one_entry(session_factory)
    for stmt in (update(AuditLog).values(note="rewritten"), delete(AuditLog)):
        with pytest.raises(DBAPIError, match="append-only"), session_factory.begin() as session:
            session.execute(stmt)
    with session_factory() as session:
        assert session.scalars(select(AuditLog.note)).all() == [None]


def test_postgresql_rejects_truncate(engine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL only")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))
