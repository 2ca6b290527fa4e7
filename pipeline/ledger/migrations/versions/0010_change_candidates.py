"""New change (新增变化) candidates: the issue type ``change``.

Ground that differs between two flights inside a management zone is filed as an issue
of type ``change`` (:mod:`pipeline.ledger.changes`): its evidence is a detection of
the changed region in the new frame with the watermarked before/after picture as its
evidence file; a reviewer confirms it as a 四乱 subtype (the issue takes that type) or
rejects it. Only the type CHECK of ``issue`` changes, which on SQLite rebuilds the
table (Alembic's batch mode) with foreign keys off and checked before commit, as 0004
does (:func:`pipeline.ledger.db.upgrade`).

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BEFORE = ("luanzhan", "luancai", "luandui", "luanjian")
AFTER = (*BEFORE, "change")


def _check(types: tuple[str, ...]) -> str:
    return f"type IN ({', '.join(repr(t) for t in types)})"


def upgrade() -> None:
    with op.batch_alter_table("issue") as batch:
        batch.drop_constraint(op.f("ck_issue_type"), type_="check")
        batch.create_check_constraint(op.f("ck_issue_type"), _check(AFTER))


def downgrade() -> None:
    changes = text("SELECT count(*) FROM issue WHERE type = 'change'")
    if op.get_bind().execute(changes).scalar():
        raise RuntimeError(
            "the ledger holds new change (新增变化) issues not yet confirmed as a 四乱 type; "
            "a schema before 0010 cannot store them: review or reject them first"
        )
    with op.batch_alter_table("issue") as batch:
        batch.drop_constraint(op.f("ck_issue_type"), type_="check")
        batch.create_check_constraint(op.f("ck_issue_type"), _check(BEFORE))
