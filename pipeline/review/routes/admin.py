"""Account management for admins: add users, set roles, disable, reset passwords.

Every change is audited (entity ``user``). The last active admin cannot be
demoted or disabled, so the app never locks itself out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.errors import BadInputError
from pipeline.review import accounts
from pipeline.review.deps import AppState, CanAdmin, StateDep
from pipeline.review.models import ROLES
from pipeline.review.render import page
from pipeline.review.sessions import Principal

router = APIRouter(prefix="/users")


def _render(request: Request, state: AppState, me: Principal, **extra: object) -> Response:
    with state.db.read() as session:
        users = accounts.list_users(session=session)
    status = 400 if extra.get("error") else 200
    return page(
        request, state, "users.html", {"users": users, "roles": ROLES, **extra},
        me=me, status_code=status,
    )  # fmt: skip


@router.get("")
def users_view(request: Request, state: StateDep, me: CanAdmin) -> Response:
    return _render(request, state, me)


@router.post("")
def user_add(
    request: Request,
    state: StateDep,
    me: CanAdmin,
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
    password: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
) -> Response:
    try:
        with state.db.write() as session:
            accounts.create_user(
                session=session, hasher=state.hasher, username=username, role=role,
                password=password, actor=me.username, display_name=display_name.strip() or None,
            )  # fmt: skip
    except BadInputError as e:
        return _render(request, state, me, error=str(e))
    return RedirectResponse("/users", status_code=303)


@router.post("/{username}/{change}")
def user_change(
    request: Request,
    username: str,
    change: str,
    state: StateDep,
    me: CanAdmin,
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        with state.db.write() as session:
            if change == "role":
                accounts.set_role(session=session, username=username, role=role, actor=me.username)
            elif change in ("disable", "enable"):
                accounts.set_active(
                    session=session, username=username, active=change == "enable", actor=me.username
                )
            elif change == "password":
                accounts.set_password(
                    session=session, hasher=state.hasher, username=username,
                    password=password, actor=me.username,
                )  # fmt: skip
            else:
                raise BadInputError(f"unknown change {change!r}")
    except BadInputError as e:
        return _render(request, state, me, error=str(e))
    return RedirectResponse("/users", status_code=303)
