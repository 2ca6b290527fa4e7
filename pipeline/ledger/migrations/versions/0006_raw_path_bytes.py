"""Paths stored losslessly: the exact bytes beside the display text.

A Linux file name is bytes and need not be UTF-8; it may also hold terminal
control characters. ``frame.path`` and ``flight.source_dir`` keep a printable,
valid UTF-8 display form; the new ``frame.path_bytes`` and
``flight.source_dir_bytes`` hold the exact bytes, only where the display form is
not the name itself (:func:`pipeline.ingest.names.stored_name`). Existing rows
keep ``NULL``: their text is the name. A downgrade drops the bytes (such
frames keep their display text only).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (("frame", "path_bytes"), ("flight", "source_dir_bytes"))


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
