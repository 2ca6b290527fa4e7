"""Accounts. Repository functions take ``(*, session, …)``; logging in is :mod:`.login`.

Every change to an account is written to the ledger's audit log (entity
``user``); passwords and hashes never are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.ledger.audit import record
from pipeline.ledger.models import utc_now
from pipeline.review.models import User
from pipeline.review.passwords import check_password_strength
from pipeline.review.security import check_role, normalise_username


class UserExistsError(BadInputError):
    """An account with this name exists already."""


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
    check_password_strength(password, username=name)
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
    check_password_strength(password, username=user.username)
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
