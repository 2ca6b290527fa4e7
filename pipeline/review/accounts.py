"""Accounts and rate-limited login. Repository functions take ``(*, session, …)``.

Every change to an account is written to the ledger's audit log (entity
``user``); passwords and hashes never are.

Login is limited per account and per client address: after
``max_failures`` failed tries inside ``window_s`` seconds further tries are
refused without checking the password (:class:`LoginThrottledError`, HTTP 429)
until the oldest failure leaves the window. A successful login starts the
account's count afresh. Unknown names cost the same argon2 verification as
known ones, so timing does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError, HehuError
from pipeline.ledger.audit import record
from pipeline.ledger.models import utc_now
from pipeline.review.models import LoginAttempt, User
from pipeline.review.security import (
    check_password_strength,
    check_role,
    normalise_username,
    verify_password,
)
from pipeline.review.store import Db

_DUMMY_HASH: dict[int, str] = {}


class LoginThrottledError(HehuError, PermissionError):
    """Too many failed logins for this account or address; ``retry_after_s`` says how long."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class UserExistsError(BadInputError):
    """An account with this name exists already."""


@dataclass(frozen=True)
class LoginLimits:
    window_s: int = 300
    max_failures_user: int = 5
    max_failures_ip: int = 20


def create_user(
    *,
    session: Session,
    hasher: Any,
    username: str,
    role: str,
    password: str,
    actor: str,
    display_name: str | None = None,
) -> User:
    name = normalise_username(username)
    check_role(role)
    check_password_strength(password)
    if get_user(session=session, username=name) is not None:
        raise UserExistsError(f"an account named {name!r} exists already")
    user = User(
        username=name,
        display_name=display_name,
        role=role,
        password_hash=hasher.hash(password),
        active=True,
    )
    session.add(user)
    session.flush()
    _audit(session, actor, name, "role", None, role)
    return user


def get_user(*, session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.strip().lower())).first()


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _require(session: Session, username: str) -> User:
    user = get_user(session=session, username=username)
    if user is None:
        raise BadInputError(f"no account named {username!r}; list them with: hehu users list")
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to demote or disable the last active admin (nobody could manage accounts)."""
    if user.role != "admin" or not user.active:
        return
    admins = session.scalar(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    )
    if (admins or 0) <= 1:
        raise BadInputError(f"{user.username} is the last active admin; make another admin first")


def set_role(*, session: Session, username: str, role: str, actor: str) -> User:
    user = _require(session, username)
    check_role(role)
    if user.role != role:
        _keep_an_admin(session, user)
        _audit(session, actor, user.username, "role", user.role, role)
        user.role = role
    return user


def set_active(*, session: Session, username: str, active: bool, actor: str) -> User:
    """Enable or disable an account; disabling also ends its sessions."""
    from pipeline.review.sessions import revoke_user_sessions

    user = _require(session, username)
    if user.active and not active:
        _keep_an_admin(session, user)
    if user.active != active:
        _audit(session, actor, user.username, "active", user.active, active)
        user.active = active
    if not active:
        revoke_user_sessions(session=session, user_id=user.id)
    return user


def set_password(
    *, session: Session, hasher: Any, username: str, password: str, actor: str
) -> User:
    """Set a new password and end the account's sessions."""
    from pipeline.review.sessions import revoke_user_sessions

    user = _require(session, username)
    check_password_strength(password)
    user.password_hash = hasher.hash(password)
    user.password_changed_at_utc = utc_now()
    _audit(session, actor, user.username, "password", None, "(changed)")
    revoke_user_sessions(session=session, user_id=user.id)
    return user


def _audit(session: Session, actor: str, username: str, field: str, old: Any, new: Any) -> None:
    record(
        session=session,
        actor=actor,
        entity="user",
        entity_key=username,
        field=field,
        old=old,
        new=new,
    )


def _failures_since(session: Session, column: Any, value: str, since: dt.datetime) -> list[Any]:
    query = (
        select(LoginAttempt.at_utc)
        .where(column == value, LoginAttempt.at_utc >= since, LoginAttempt.success.is_(False))
        .order_by(LoginAttempt.at_utc)
    )
    return list(session.scalars(query))


def check_throttle(
    *, session: Session, username: str, ip: str, limits: LoginLimits, now: dt.datetime
) -> None:
    """Raise :class:`LoginThrottledError` when the account or the address is over its limit."""
    window_start = now - dt.timedelta(seconds=limits.window_s)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at_utc)).where(
            LoginAttempt.username == username, LoginAttempt.success.is_(True)
        )
    )
    user_since = max(window_start, last_ok) if last_ok else window_start
    for failures, limit, what in (
        (_failures_since(session, LoginAttempt.username, username, user_since),
         limits.max_failures_user, "this account"),
        (_failures_since(session, LoginAttempt.ip, ip, window_start),
         limits.max_failures_ip, "this address"),
    ):  # fmt: skip
        if len(failures) >= limit:
            oldest = failures[len(failures) - limit]
            wait = int((oldest - window_start).total_seconds()) + 1
            raise LoginThrottledError(
                f"too many failed logins for {what}: {len(failures)} in the last "
                f"{limits.window_s // 60} minutes; try again in {wait} s",
                retry_after_s=max(wait, 1),
            )


def login(
    *,
    db: Db,
    hasher: Any,
    username: str,
    password: str,
    ip: str,
    limits: LoginLimits,
) -> int | None:
    """The id of the active account these credentials open, else ``None``; every try is recorded.

    Raises :class:`LoginThrottledError` before checking anything when over a
    limit. The password is checked outside any write transaction (argon2 takes
    ~0.1 s, and SQLite writers queue behind each other).
    """
    name = username.strip().lower()[:64]
    now = utc_now()
    with db.read() as session:
        check_throttle(session=session, username=name, ip=ip, limits=limits, now=now)
        user = get_user(session=session, username=name) if name else None
        stored = user.password_hash if user is not None and user.active else None
        user_id = user.id if user is not None else None
    ok = verify_password(hasher, stored or _dummy_hash(hasher), password) and stored is not None
    with db.write() as session:
        session.add(LoginAttempt(at_utc=now, username=name, ip=ip[:64], success=ok))
        if ok and stored is not None and hasher.check_needs_rehash(stored):
            found = session.get(User, user_id)
            if found is not None:
                found.password_hash = hasher.hash(password)
    return user_id if ok else None


def _dummy_hash(hasher: Any) -> str:
    key = id(hasher)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hasher.hash("not-a-password-of-anyone")
    return _DUMMY_HASH[key]
