"""The audit log cannot be rewritten by inserting over an entry, nor by a replica session.

SQLite: ``REPLACE INTO audit_log`` (or ``INSERT OR REPLACE``) with an existing
id replaced the entry: SQLite deletes the old row without firing DELETE
triggers (unless ``recursive_triggers`` is on). A BEFORE INSERT trigger now
refuses an id that exists.

PostgreSQL: the append-only triggers of 0001 fire ``ALWAYS``, so a session
with ``session_replication_role = replica`` no longer skips them. Disabling or
dropping them needs the table's owner: hehu's app connects as a role that
owns nothing and may only insert into and read the audit log
(:mod:`pipeline.ledger.roles`, README "Database roles").

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_NO_REPLACE = """CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: an entry with this id exists'); END"""
PG_TRIGGERS = ("audit_log_no_update_delete", "audit_log_no_truncate")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_NO_REPLACE)
    elif dialect == "postgresql":
        for name in PG_TRIGGERS:
            op.execute(f"ALTER TABLE audit_log ENABLE ALWAYS TRIGGER {name}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
    elif dialect == "postgresql":
        for name in PG_TRIGGERS:
            op.execute(f"ALTER TABLE audit_log ENABLE TRIGGER {name}")
