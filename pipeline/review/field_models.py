"""The ``field_check`` table (Alembic revision ``0009``): verdicts from the field (实地核查).

A patroller at the site records 是问题 / 不是问题 / 已整改 with a photo. The photo is
stored like an after-photo (by sha256, :mod:`pipeline.review.uploads`); its own EXIF
position and time, checked against the issue (:mod:`pipeline.review.field`), are kept
beside it: ``photo_status`` says whether the photo is ``verified`` (taken within the
configured distance, after the dispatch), ``too_far``, ``before_dispatch``, ``no_time``
or ``no_gps`` (accepted, unverified). ``client_key`` is the phone's idempotency key: a
retried submission finds its first row instead of adding a second.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Double, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.ledger.models import Base, UtcDateTime, utc_now

#: Field verdicts: 是问题 / 不是问题 / 已整改.
FIELD_VERDICTS = ("problem", "not_problem", "rectified")
PHOTO_STATUSES = ("verified", "too_far", "before_dispatch", "no_time", "no_gps")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FieldCheck(Base):
    """One field verdict on an issue, with its photo and what the photo's EXIF showed."""

    __tablename__ = "field_check"
    __table_args__ = (
        CheckConstraint(_in("verdict", FIELD_VERDICTS), name="verdict"),
        CheckConstraint(_in("photo_status", PHOTO_STATUSES), name="photo_status"),
        Index(None, "issue_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    verdict: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    note: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(128))
    media_type: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(255))
    photo_lat_deg: Mapped[float | None] = mapped_column(Double)
    photo_lon_deg: Mapped[float | None] = mapped_column(Double)
    photo_taken_at_utc: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    distance_m: Mapped[float | None] = mapped_column(Double)
    photo_status: Mapped[str] = mapped_column(String(16))
    client_key: Mapped[str] = mapped_column(String(64), unique=True)
