"""Verdicts and checks: 历史遗留 and 挂账 beside 误报, and the next check date.

``issue`` gains ``next_check_on`` (挂账's next look, or a closed issue's 回头看)
and the statuses ``historical`` (历史遗留) and ``carried_over`` (挂账) join the
status check. As in 0004, changing the CHECK rebuilds the table on SQLite
(Alembic's batch mode), which :func:`pipeline.ledger.db.upgrade` runs with
foreign keys off and checks (``PRAGMA foreign_key_check``) before committing.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BEFORE = ("candidate", "confirmed", "false_positive", "assigned", "rectifying", "rectified",
          "closed", "merged")  # fmt: skip
AFTER = (*BEFORE, "historical", "carried_over")


def _check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def upgrade() -> None:
    with op.batch_alter_table("issue") as batch:
        batch.add_column(sa.Column("next_check_on", sa.Date(), nullable=True))
        batch.drop_constraint(op.f("ck_issue_status"), type_="check")
        batch.create_check_constraint(op.f("ck_issue_status"), _check(AFTER))


def downgrade() -> None:
    held = sa.text("SELECT count(*) FROM issue WHERE status IN ('historical', 'carried_over')")
    if op.get_bind().execute(held).scalar():
        raise RuntimeError(
            "the ledger holds issues judged 历史遗留 or 挂账; a schema before 0008 cannot "
            "store them"
        )
    with op.batch_alter_table("issue") as batch:
        batch.drop_constraint(op.f("ck_issue_status"), type_="check")
        batch.create_check_constraint(op.f("ck_issue_status"), _check(BEFORE))
        batch.drop_column("next_check_on")
