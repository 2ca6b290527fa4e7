"""Numbers from the outside world, bounded before they reach the database.

Row ids are 64-bit signed integers in SQLite and PostgreSQL; a larger Python
int makes the driver raise (``OverflowError``) instead of finding nothing.
Paths take :data:`pipeline.review.deps.RowId`, which uses the same bound;
query and form values go through :func:`parse_row_id`.
"""

from __future__ import annotations

from pipeline.errors import BadInputError

#: The largest row id SQLite (INTEGER) and PostgreSQL (BIGINT) can hold.
MAX_ROW_ID = 2**63 - 1


def parse_row_id(text: str | int | None, what: str) -> int:
    """``text`` as a row id (1 … :data:`MAX_ROW_ID`); else BadInputError naming ``what``."""
    try:
        value = int(str(text).strip())
    except ValueError as e:
        raise BadInputError(f"{what} must be a whole number, got {str(text)[:40]!r}") from e
    if not 1 <= value <= MAX_ROW_ID:
        raise BadInputError(f"{what} must be between 1 and {MAX_ROW_ID}, got {str(text)[:40]}")
    return value
