"""Server-side web sessions.

The browser's cookie holds a random token; the table holds its sha256, the
user, a per-session CSRF token, expiry and revocation. A session is valid
while it is not revoked, has not expired and its account is active.
``last_seen_utc`` is refreshed at most every :data:`TOUCH_EVERY` so page views
stay reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.ledger.models import utc_now
from pipeline.review.models import User, WebSession
from pipeline.review.security import new_token, token_digest

TOUCH_EVERY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Principal:
    """Who is making a request: the account and the session it came with."""

    user_id: int
    username: str
    display_name: str | None
    role: str
    session_id: int
    csrf_token: str
    last_seen_utc: dt.datetime

    @property
    def label(self) -> str:
        return self.display_name or self.username


def open_session(
    *,
    session: Session,
    user: User,
    hours: float,
    ip: str | None,
    user_agent: str | None,
) -> tuple[str, WebSession]:
    """A new session for ``user``: ``(cookie token, row)``. Only the token's hash is stored."""
    token = new_token()
    now = utc_now()
    row = WebSession(
        token_sha256=token_digest(token),
        user_id=user.id,
        csrf_token=new_token(),
        created_at_utc=now,
        expires_at_utc=now + dt.timedelta(hours=hours),
        last_seen_utc=now,
        ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(row)
    session.flush()
    return token, row


def lookup(*, session: Session, token: str | None) -> Principal | None:
    """The principal of a valid session token, else ``None`` (unknown, expired, revoked)."""
    if not token or len(token) > 128:
        return None
    query = (
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_sha256 == token_digest(token))
    )
    found = session.execute(query).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at_utc is not None or row.expires_at_utc <= utc_now() or not user.active:
        return None
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        session_id=row.id,
        csrf_token=row.csrf_token,
        last_seen_utc=row.last_seen_utc,
    )


def needs_touch(principal: Principal) -> bool:
    return utc_now() - principal.last_seen_utc >= TOUCH_EVERY


def touch(*, session: Session, session_id: int) -> None:
    session.execute(
        update(WebSession).where(WebSession.id == session_id).values(last_seen_utc=utc_now())
    )


def revoke(*, session: Session, session_id: int) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at_utc.is_(None))
        .values(revoked_at_utc=utc_now())
    )


def revoke_token(*, session: Session, token: str) -> None:
    """End the session a cookie token names, if any (logging in again rotates the session)."""
    if token and len(token) <= 128:
        session.execute(
            update(WebSession)
            .where(WebSession.token_sha256 == token_digest(token))
            .where(WebSession.revoked_at_utc.is_(None))
            .values(revoked_at_utc=utc_now())
        )


def revoke_user_sessions(*, session: Session, user_id: int) -> int:
    """End every open session of an account; returns how many."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at_utc.is_(None))
        .values(revoked_at_utc=utc_now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
