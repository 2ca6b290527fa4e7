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


#: Ways to overwrite an audit entry by inserting over its id.
OVERWRITES = {
    "sqlite": [
        "REPLACE INTO audit_log (id, at_utc, actor, entity, entity_key, field, new_value) "
        "VALUES (1, '2024-01-01 00:00:00', 'x', 'issue', 'X-1', 'status', 'rewritten')",
        "INSERT OR REPLACE INTO audit_log (id, at_utc, actor, entity, entity_key, field) "
        "VALUES (1, '2024-01-01 00:00:00', 'x', 'issue', 'X-1', 'status')",
        "INSERT INTO audit_log (id, at_utc, actor, entity, entity_key, field) "
        "VALUES (1, '2024-01-01 00:00:00', 'x', 'issue', 'X-1', 'status') "
        "ON CONFLICT (id) DO UPDATE SET new_value = 'rewritten'",
    ],
    "postgresql": [
        "INSERT INTO audit_log (id, at_utc, actor, entity, entity_key, field) "
        "VALUES (1, now(), 'x', 'issue', 'X-1', 'status') "
        "ON CONFLICT (id) DO UPDATE SET new_value = 'rewritten'",
    ],
}


def test_an_entry_cannot_be_replaced_by_inserting_over_its_id(engine, session_factory, backend):
    _one_entry(session_factory)
    for statement in OVERWRITES[backend]:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    with session_factory() as session:
        (entry,) = history(session=session, entity="issue", entity_key="X-1")
    assert (entry.id, entry.actor, entry.new_value) == (1, "reviewer", "confirmed")
    _one_entry(session_factory)  # appending still works
