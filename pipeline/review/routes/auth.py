"""Logging in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from pipeline.review.deps import (
    PRE_COOKIE,
    SESSION_COOKIE,
    AppState,
    CanRead,
    MaybeUser,
    StateDep,
    anonymous_csrf,
)
from pipeline.review.i18n import LANG_COOKIE, LANGS
from pipeline.review.login import LoginLimits, LoginThrottledError, login
from pipeline.review.models import User
from pipeline.review.render import page, safe_next
from pipeline.review.sessions import open_session, revoke, revoke_token

router = APIRouter()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_page(
    request: Request,
    state: StateDep,
    me: MaybeUser,
    next: str = "/queue",
) -> Response:
    if me is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page(request, state, "login.html", {"next": safe_next(next)})


@router.post("/login", dependencies=[Depends(anonymous_csrf)])
async def login_submit(
    request: Request,
    state: StateDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    cfg = state.config
    limits = LoginLimits(
        cfg.login_window_s, cfg.login_max_failures_user, cfg.login_max_failures_ip,
        cfg.login_delay_base_s, cfg.login_delay_max_s,
    )  # fmt: skip
    context = {"next": safe_next(next), "username": username[:64]}
    try:
        user_id = await login(
            db=state.db, hasher=state.hasher, username=username, password=password,
            ip=client_ip(request), limits=limits,
        )  # fmt: skip
    except LoginThrottledError as e:
        throttled = {**context, "error": "login.throttled", "retry": e.retry_after_s}
        response = page(request, state, "login.html", throttled, status_code=429)
        response.headers["Retry-After"] = str(e.retry_after_s)
        return response
    if user_id is None:
        return page(
            request, state, "login.html", {**context, "error": "login.failed"}, status_code=401
        )
    token = await run_in_threadpool(_open_session, request, state, user_id)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(cfg.session_hours * 3600), httponly=True,
        samesite="lax", secure=cfg.secure_cookies, path="/",
    )  # fmt: skip
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


def _open_session(request: Request, state: AppState, user_id: int) -> str:
    """A new session for ``user_id``; the one the request came with, if any, ends (rotation)."""
    with state.db.write() as session:
        revoke_token(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
        user = session.get(User, user_id)
        assert user is not None
        token, _ = open_session(
            session=session, user=user, hours=state.config.session_hours,
            ip=client_ip(request), user_agent=request.headers.get("user-agent"),
        )  # fmt: skip
    return token


@router.post("/logout")
def logout(state: StateDep, me: CanRead) -> Response:
    with state.db.write() as session:
        revoke(session=session, session_id=me.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/lang", dependencies=[Depends(anonymous_csrf)])
def set_lang(
    lang: Annotated[str, Form()],
    state: StateDep,
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGS:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax",
            secure=state.config.secure_cookies, path="/",
        )  # fmt: skip
    return response
