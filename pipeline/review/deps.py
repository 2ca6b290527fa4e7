"""FastAPI dependencies: the app's state, the database, the current user, permissions, CSRF.

``require("review")`` is the one gate of every route that needs an account:

1. no valid session cookie → 401 (pages answer a browser's GET with a
   redirect to the login page instead);
2. a state-changing method (anything but GET/HEAD/OPTIONS) must carry the
   session's CSRF token in the ``X-CSRF-Token`` header or the ``csrf_token``
   form field, and any ``Origin`` header must be this server → else 403;
3. the account's role must have the permission → else 403.

So no state-changing route can forget CSRF: it comes with the permission.
Forms shown before login (log in, language) carry the server's HMAC of the
random ``hehu_pre`` cookie (:func:`pipeline.review.security.pre_login_token`):
a cookie someone else planted has no valid token unless this server made it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Query, Request
from fastapi import Path as PathParam

from pipeline.ledger.config import LedgerConfig
from pipeline.review.config import ReviewConfig
from pipeline.review.i18n import LANG_COOKIE, pick_lang
from pipeline.review.inputs import MAX_ROW_ID
from pipeline.review.patrol import Patrol
from pipeline.review.security import pre_login_token, role_allows, same_token
from pipeline.review.sessions import Principal, lookup, needs_touch, touch
from pipeline.review.store import Db

SESSION_COOKIE = "hehu_session"
PRE_COOKIE = "hehu_pre"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Subtype:
    id: str
    type: str
    zh: str
    en: str


@dataclass(frozen=True)
class AppState:
    """Everything the routes share, made once by :func:`pipeline.review.app.create_app`."""

    config: ReviewConfig
    db: Db
    hasher: Any
    templates: Any
    subtypes: tuple[Subtype, ...]
    zones_geojson: dict[str, Any] | None
    start_flight: Callable[[Path], Any] | None
    cache_dir: Path
    uploads_dir: Path
    pre_login_key: bytes  # see pipeline.review.security.pre_login_token
    tz: dt.tzinfo = dt.UTC  # the office's time zone: times are shown in it
    ledger: LedgerConfig = field(default_factory=LedgerConfig)  # deadline rules (整改时限)
    patrol: Patrol = field(default_factory=Patrol)  # patrol grids and coverage settings


class CsrfError(HTTPException):
    def __init__(self, detail: str = "CSRF token missing or invalid; reload the page") -> None:
        super().__init__(status_code=403, detail=detail)


def get_state(request: Request) -> AppState:
    return request.app.state.review  # type: ignore[no-any-return]


def get_db(state: Annotated[AppState, Depends(get_state)]) -> Db:
    return state.db


def get_lang(request: Request, state: Annotated[AppState, Depends(get_state)]) -> str:
    return pick_lang(request.cookies.get(LANG_COOKIE), state.config.default_lang)


def current_principal(request: Request, db: Annotated[Db, Depends(get_db)]) -> Principal | None:
    """The logged-in account, or ``None``. Read once per request."""
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    principal = None
    if token:
        with db.read() as session:
            principal = lookup(session=session, token=token)
        if principal is not None and needs_touch(principal):
            with db.write() as session:
                touch(session=session, session_id=principal.session_id)
    request.state.principal = principal
    return principal


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a request carries: header first, then form field."""
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def check_origin(request: Request) -> None:
    """Refuse a cross-site request that announces its origin (defence beside the token)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise CsrfError("cross-site request refused (Origin does not match this server)")


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the current account, which must have ``permission`` (see module doc)."""

    async def dependency(
        request: Request, principal: Annotated[Principal | None, Depends(current_principal)]
    ) -> Principal:
        if principal is None:
            raise HTTPException(status_code=401, detail="log in first")
        if request.method not in SAFE_METHODS:
            check_origin(request)
            if not same_token(await submitted_csrf(request), principal.csrf_token):
                raise CsrfError()
        if not role_allows(principal.role, permission):
            raise HTTPException(
                status_code=403,
                detail=f"the {principal.role} role may not do this (needs {permission})",
            )
        return principal

    dependency.__name__ = f"require_{permission}"
    return dependency


async def anonymous_csrf(
    request: Request, principal: Annotated[Principal | None, Depends(current_principal)]
) -> None:
    """CSRF check of forms posted before login (login, language): the server's pre-login token."""
    check_origin(request)
    if principal is not None:
        expected = principal.csrf_token
    else:
        state = get_state(request)
        expected = pre_login_token(state.pre_login_key, request.cookies.get(PRE_COOKIE))
    if not same_token(await submitted_csrf(request), expected):
        raise CsrfError()


# Annotated dependencies for route signatures (FastAPI's recommended form).
StateDep = Annotated[AppState, Depends(get_state)]
MaybeUser = Annotated[Principal | None, Depends(current_principal)]
CanRead = Annotated[Principal, Depends(require("read"))]
CanReview = Annotated[Principal, Depends(require("review"))]
CanProcess = Annotated[Principal, Depends(require("process"))]
CanAdmin = Annotated[Principal, Depends(require("admin"))]
#: A row id in a path: out of 1 … MAX_ROW_ID it names nothing (404, see app._validation_error).
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]
RowIdQuery = Annotated[int, Query(ge=1, le=MAX_ROW_ID)]
