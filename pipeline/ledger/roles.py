"""PostgreSQL roles for the ledger: a migration role owns the tables, an app role uses them.

The owner of a table can disable or drop its triggers, so a ledger whose app
connects as the owner has an audit log only as append-only as the app's
password is safe. Two roles close that (README, "Database roles"):

- the **migration role** creates and owns the tables: ``hehu ledger upgrade``
  runs as it, and nothing else does;
- the **app role** (``hehu run``, ``hehu serve``, the review server) owns
  nothing. :func:`grant_app_role` gives it reading and writing on the ledger's
  tables, except the audit log, where it may only ``INSERT`` and ``SELECT``, and
  ``alembic_version``, which it may only read. It cannot ``UPDATE``, ``DELETE``
  or ``TRUNCATE`` the audit log, nor ``ALTER TABLE … DISABLE TRIGGER`` or
  ``DROP TRIGGER`` (only an owner may).

Grants cover the tables that exist, so they are given again after each
upgrade (``hehu ledger upgrade --app-role NAME`` does both).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

from pipeline.errors import ConfigError

#: Tables the app role may only read and append to.
APPEND_ONLY = ("audit_log",)
#: Tables the app role may only read.
READ_ONLY = ("alembic_version",)


def _checked_role(conn: Connection, role: str) -> str:
    """``role`` quoted for SQL, after checking it exists and can be held to its grants."""
    if conn.dialect.name != "postgresql":
        raise ConfigError(
            f"database roles are a PostgreSQL feature; the ledger at {conn.engine.url!r} is "
            f"{conn.dialect.name}: leave out --app-role"
        )
    found = conn.execute(
        text("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = :r"),
        {"r": role},
    ).first()
    if found is None:
        raise ConfigError(
            f"no PostgreSQL role {role!r}: create it first, as a superuser or a role with "
            f"CREATEROLE: CREATE ROLE {role} LOGIN PASSWORD '…'"
        )
    if found[0] or found[1]:
        raise ConfigError(
            f"role {role!r} is {'a superuser' if found[0] else 'the one running this upgrade'}: "
            "it could rewrite the audit log; give the app a role that owns nothing"
        )
    return conn.dialect.identifier_preparer.quote(role)


def grant_app_role(engine: Engine, role: str) -> None:
    """Give ``role`` what hehu's app needs on the current schema's ledger tables, and no more.

    Run as the tables' owner (the migration role), after each upgrade.
    """
    _apply(engine, role, lambda schema, who: [
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
        *(f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {who}" for t in APPEND_ONLY),
        *(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {t} FROM {who}" for t in READ_ONLY),
    ])  # fmt: skip


def revoke_app_role(engine: Engine, role: str) -> None:
    """Take back everything :func:`grant_app_role` gave ``role`` (before ``DROP ROLE``)."""
    _apply(engine, role, lambda schema, who: [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"REVOKE USAGE ON SCHEMA {schema} FROM {who}",
    ])  # fmt: skip


def _apply(engine: Engine, role: str, statements: Callable[[str, str], list[str]]) -> None:
    """Run ``statements(schema, role)`` (both quoted) in one transaction, on the current schema."""
    with engine.begin() as conn:
        who = _checked_role(conn, role)
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        for sql in statements(conn.dialect.identifier_preparer.quote(schema), who):
            conn.exec_driver_sql(sql)
