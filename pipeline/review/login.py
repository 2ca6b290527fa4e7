"""Logging in: rate limits per address, slow-down per account, both counted atomically.

Every try is recorded (``login_attempt``) *before* its password is checked,
in one serialised transaction that also reads the counts (SQLite's write
lock; on PostgreSQL an advisory lock), so concurrent tries cannot all slip
under a limit that each of them checked alone.

- **Per address**: after ``max_failures_ip`` failures inside ``window_s``
  further tries are refused without a check (:class:`LoginThrottledError`,
  HTTP 429) until the oldest failure leaves the window.
- **Per account**: never a lockout (that would hand the owner's account to
  whoever types five wrong passwords). After ``max_failures_user`` failures
  since its last success, each try on the account is *scheduled*
  ``delay_base_s × 2^(n − max_failures_user)`` (at most ``delay_max_s``)
  after the previous one and waits for its turn; the right password still
  opens the account. A try whose turn is more than ``delay_max_s`` away is
  refused (429 with ``Retry-After``) instead of queued, so a flood of tries
  buys an attacker one check per delay, not one per request.

A try's ``at_utc`` is when its password is (to be) checked. Unknown names
cost the same argon2 verification as known ones, so timing does not tell
which names exist.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline.errors import HehuError
from pipeline.ledger.models import utc_now
from pipeline.review.models import LoginAttempt, User
from pipeline.review.security import verify_password
from pipeline.review.store import Db

#: PostgreSQL advisory lock serialising login bookkeeping ("hehu" "logn").
LOGIN_LOCK_KEY = 0x68656875_6C6F676E
_DUMMY_HASH: dict[int, str] = {}


class LoginThrottledError(HehuError, PermissionError):
    """Too many failed logins for this address or account; ``retry_after_s`` says how long."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class LoginLimits:
    window_s: int = 300
    max_failures_user: int = 5
    max_failures_ip: int = 20
    delay_base_s: float = 1.0
    delay_max_s: float = 30.0

    def delay_s(self, failures: int) -> float:
        """Seconds between tries on an account that has ``failures`` recent failures."""
        if failures < self.max_failures_user:
            return 0.0
        return min(self.delay_base_s * 2.0 ** (failures - self.max_failures_user), self.delay_max_s)


@dataclass(frozen=True)
class Ticket:
    """A recorded try: its row, how long to wait before checking it, and the account's hash."""

    attempt_id: int
    wait_s: float
    user_id: int | None
    stored_hash: str | None


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(LOGIN_LOCK_KEY)))


def _failures(session: Session, column: Any, value: str, since: dt.datetime) -> list[dt.datetime]:
    query = (
        select(LoginAttempt.at_utc)
        .where(column == value, LoginAttempt.at_utc >= since, LoginAttempt.success.is_(False))
        .order_by(LoginAttempt.at_utc)
    )
    return list(session.scalars(query))


def _check_address(session: Session, ip: str, limits: LoginLimits, now: dt.datetime) -> None:
    window_start = now - dt.timedelta(seconds=limits.window_s)
    failures = _failures(session, LoginAttempt.ip, ip, window_start)
    if len(failures) >= limits.max_failures_ip:
        oldest = failures[len(failures) - limits.max_failures_ip]
        wait = max(int((oldest - window_start).total_seconds()) + 1, 1)
        raise LoginThrottledError(
            f"too many failed logins from this address: {len(failures)} in the last "
            f"{limits.window_s // 60} minutes; try again in {wait} s",
            retry_after_s=wait,
        )


def _turn(session: Session, name: str, limits: LoginLimits, now: dt.datetime) -> dt.datetime:
    """When the account's next try may be checked (raises when that is too far off)."""
    window_start = now - dt.timedelta(seconds=limits.window_s)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at_utc)).where(
            LoginAttempt.username == name, LoginAttempt.success.is_(True)
        )
    )
    since = max(window_start, last_ok) if last_ok else window_start
    failures = _failures(session, LoginAttempt.username, name, since)
    delay = limits.delay_s(len(failures))
    if not delay:
        return now
    turn = max(now, failures[-1] + dt.timedelta(seconds=delay))
    if (turn - now).total_seconds() > limits.delay_max_s:
        wait = math.ceil((turn - now).total_seconds() - limits.delay_max_s)
        raise LoginThrottledError(
            f"too many failed logins for this account: {len(failures)} recently, tries are "
            f"{delay:.0f} s apart; try again in {wait} s",
            retry_after_s=max(wait, 1),
        )
    return turn


def reserve(*, session: Session, username: str, ip: str, limits: LoginLimits) -> Ticket:
    """Check the limits and record a try as failed until proven otherwise (atomic; see module)."""
    _lock(session)
    now = utc_now()
    _check_address(session, ip, limits, now)
    turn = _turn(session, username, limits, now) if username else now
    attempt = LoginAttempt(at_utc=turn, username=username, ip=ip[:64], success=False)
    session.add(attempt)
    user = session.scalars(select(User).where(User.username == username)).first()
    session.flush()
    active = user is not None and user.active
    return Ticket(
        attempt.id,
        (turn - now).total_seconds(),
        user.id if user is not None else None,
        user.password_hash if active and user is not None else None,
    )


async def login(
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
    limit; waits (without holding a thread) for the account's turn when its
    tries are slowed. The password is checked outside any write transaction
    (argon2 takes ~0.1 s, and SQLite writers queue behind each other).
    """
    from anyio import sleep, to_thread

    name = username.strip().lower()[:64]

    def _reserve() -> Ticket:
        with db.write() as session:
            return reserve(session=session, username=name, ip=ip, limits=limits)

    ticket = await to_thread.run_sync(_reserve)
    if ticket.wait_s > 0:
        await sleep(ticket.wait_s)
    stored = ticket.stored_hash
    ok = await to_thread.run_sync(
        lambda: verify_password(hasher, stored or _dummy_hash(hasher), password)
    )
    ok = ok and stored is not None
    if ok:
        await to_thread.run_sync(_record_success, db, hasher, ticket, password)
    return ticket.user_id if ok else None


def _record_success(db: Db, hasher: Any, ticket: Ticket, password: str) -> None:
    with db.write() as session:
        session.execute(
            update(LoginAttempt).where(LoginAttempt.id == ticket.attempt_id).values(success=True)
        )
        if ticket.stored_hash is not None and hasher.check_needs_rehash(ticket.stored_hash):
            found = session.get(User, ticket.user_id)
            if found is not None:
                found.password_hash = hasher.hash(password)


def _dummy_hash(hasher: Any) -> str:
    key = id(hasher)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hasher.hash("not-a-password-of-anyone")
    return _DUMMY_HASH[key]
