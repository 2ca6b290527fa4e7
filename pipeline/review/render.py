"""Server-rendered pages: the Jinja2 environment and the context every page gets.

Every template sees ``t`` (interface text in the page's language), ``lang``,
``me`` (the account, or ``None``), ``csrf`` (the token forms must carry),
``can(permission)``, the ledger label functions, and ``subtypes``.
Autoescaping is on for every template.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from pipeline.review import i18n
from pipeline.review.deps import PRE_COOKIE, AppState
from pipeline.review.security import new_token, pre_login_token, role_allows
from pipeline.review.sessions import Principal

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def make_templates(tz: dt.tzinfo = dt.UTC) -> Any:
    """The page templates; the ``when`` filter shows aware times in ``tz`` (the office's)."""
    from fastapi.templating import Jinja2Templates

    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["when"] = lambda value, fmt="%Y-%m-%d %H:%M": local_time(value, tz, fmt)
    env.filters["num"] = _num
    env.filters["pct"] = lambda v: "–" if v is None else f"{v * 100:.0f}"
    return templates


def local_time(value: Any, tz: dt.tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` as the office reads it: an aware time in ``tz``, to the ``fmt`` (no microseconds).

    A naive time (a camera's ``captured_at``) is the camera's wall clock and is
    shown as recorded; a date as ``YYYY-MM-DD``.
    """
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return (value.astimezone(tz) if value.tzinfo else value).strftime(fmt)
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def page(
    request: Request,
    state: AppState,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    me: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``name`` with the common context (see the module docstring)."""
    lang = i18n.pick_lang(request.cookies.get(i18n.LANG_COOKIE), state.config.default_lang)
    pre = None
    if me is None:
        pre = request.cookies.get(PRE_COOKIE) or new_token()
    base = {
        "t": i18n.translator(lang),
        "lang": lang,
        "me": me,
        "csrf": me.csrf_token if me else pre_login_token(state.pre_login_key, pre),
        "can": (lambda perm: me is not None and role_allows(me.role, perm)),
        "type_label": lambda code: i18n.type_label(code, lang),
        "status_label": lambda code: i18n.status_label(code, lang),
        "severity_label": lambda code: i18n.severity_label(code, lang),
        "role_label": lambda code: i18n.role_label(code, lang),
        "reason_label": lambda key: i18n.reason_label(key, lang),
        "reject_reasons": list(i18n.REJECT_REASONS),
        "subtypes": state.subtypes,
        "subtype_label": _subtype_labeller(state, lang),
        "config": state.config,
        "basemaps": _basemaps(state),
        "tz_name": i18n.tz_label(state.tz, lang),
        "field_label": lambda name: i18n.field_label(name, lang),
        "kind_label": lambda kind: i18n.kind_label(kind, lang),
        "note_text": lambda note: i18n.note_text(note, lang),
        "refusal_text": lambda text: i18n.refusal_text(text, lang),
        "path": request.url.path,
        "full_path": _full_path(request),
    }
    response = state.templates.TemplateResponse(
        request, name, {**base, **(context or {})}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    if pre is not None and request.cookies.get(PRE_COOKIE) != pre:
        response.set_cookie(
            PRE_COOKIE, pre, httponly=True, samesite="lax", secure=state.config.secure_cookies
        )
    return response


def _basemaps(state: AppState) -> list[dict[str, Any]]:
    from pipeline.review.basemaps import basemap_layers

    return basemap_layers(state.config)


def _full_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _subtype_labeller(state: AppState, lang: str) -> Any:
    labels = {s.id: (s.en if lang == "en" else s.zh) for s in state.subtypes}
    return lambda sid: labels.get(sid, sid or "")


def safe_next(target: str | None, default: str = "/queue") -> str:
    """A local path to go to after a form (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
