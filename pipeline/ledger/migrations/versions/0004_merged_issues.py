"""Merged issues: a reviewer merges a duplicate candidate into the issue of the same object.

``issue`` gains ``merged_into_id`` (the issue that took its evidence) and the
status ``merged`` (已合并) joins the status check. Changing a CHECK constraint
on SQLite means rebuilding the table (Alembic's batch mode); the rebuild drops
the old ``issue`` table, which SQLite refuses while foreign keys point at it
and are enforced, so :func:`pipeline.ledger.db.upgrade` runs SQLite migrations
with foreign keys off and checks them (``PRAGMA foreign_key_check``) before
committing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BEFORE = ("candidate", "confirmed", "false_positive", "assigned", "rectifying", "rectified",
          "closed")  # fmt: skip
AFTER = (*BEFORE, "merged")


def _check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def upgrade() -> None:
    with op.batch_alter_table("issue") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_issue_merged_into_id_issue"), "issue", ["merged_into_id"], ["id"]
        )
        batch.drop_constraint(op.f("ck_issue_status"), type_="check")
        batch.create_check_constraint(op.f("ck_issue_status"), _check(AFTER))


def downgrade() -> None:
    merged = sa.text("SELECT count(*) FROM issue WHERE status = 'merged'")
    if op.get_bind().execute(merged).scalar():
        raise RuntimeError(
            "the ledger holds merged issues (已合并); a schema before 0004 cannot store them"
        )
    with op.batch_alter_table("issue") as batch:
        batch.drop_constraint(op.f("ck_issue_status"), type_="check")
        batch.create_check_constraint(op.f("ck_issue_status"), _check(BEFORE))
        batch.drop_constraint(op.f("fk_issue_merged_into_id_issue"), type_="foreignkey")
        batch.drop_column("merged_into_id")
