"""The review app's tables, on the ledger's metadata (Alembic revision ``0002``).

- ``app_user``: accounts with a role and an argon2 hash (never the password);
- ``web_session``: server-side sessions; the cookie holds a random token and
  the table only its sha256, so a copy of the database opens no session;
  each session has its own CSRF token; logout sets ``revoked_at_utc``;
- ``login_attempt``: one row per login try, for rate limiting and review;
- ``review_attachment``: what a closure (销号) rests on: an uploaded
  after-photo (stored by sha256, never by its uploaded name) or a frame of a
  later flight that shows the place;
- ``review_issue_conf``: each issue's highest evidence confidence, kept by
  database triggers on ``evidence`` (insert, update, delete), so the queue
  sorts and filters on a plain column instead of aggregating every
  candidate's evidence on each page view.

Importing this module also declares the indexes the review queue filters
and sorts on over the ledger's own tables (:data:`QUEUE_INDEXES`), so
``Base.metadata`` describes the database ``upgrade head`` makes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pipeline.ledger.models import Base, Evidence, Issue, UtcDateTime, utc_now

#: Roles, weakest first; each has every permission of the ones before it.
ROLES = ("viewer", "reviewer", "operator", "admin")
ATTACHMENT_KINDS = ("after_photo", "later_frame")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(Base):
    """One account. ``username`` is what the audit log records as the actor."""

    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    password_changed_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)


class WebSession(Base):
    """A logged-in browser. Valid while not revoked and before ``expires_at_utc``."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    expires_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    revoked_at_utc: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """One login try (``username`` as typed, lower-cased; it may name no account)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index(None, "username", "at_utc"),
        Index(None, "ip", "at_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool]


class Attachment(Base):
    """Closure evidence of an issue: an uploaded after-photo or a later flight's frame.

    ``stored_name`` is the file's name under the uploads folder, made from its
    sha256; ``original_name`` is shown to people and never used as a path.
    """

    __tablename__ = "review_attachment"
    __table_args__ = (
        CheckConstraint(_in("kind", ATTACHMENT_KINDS), name="kind"),
        Index(None, "issue_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str | None] = mapped_column(String(128))
    frame_id: Mapped[int | None] = mapped_column(ForeignKey("frame.id"))
    media_type: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    original_name: Mapped[str | None] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)


class IssueConf(Base):
    """An issue's highest evidence confidence (maintained by triggers; see revision 0002)."""

    __tablename__ = "review_issue_conf"

    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), primary_key=True)
    max_conf: Mapped[float | None] = mapped_column(Double)


#: What the queue filters and sorts on, over the ledger's tables (made by revision 0002).
QUEUE_INDEXES = (
    Index("ix_issue_status_type", Issue.status, Issue.type),
    Index("ix_issue_river_name", Issue.river_name),
    Index("ix_issue_zone_id", Issue.zone_id),
    Index("ix_issue_first_flight_id", Issue.first_flight_id),
    Index("ix_evidence_flight_id_issue_id", Evidence.flight_id, Evidence.issue_id),
)

from pipeline.review import field_models as _field_models  # noqa: E402, F401  (field_check joins Base.metadata)
