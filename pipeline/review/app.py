"""The review web app: :func:`create_app` wires the routers to one :class:`AppState`.

Nothing happens at import time: ``hehu review`` loads the config, opens the
database (:func:`pipeline.review.store.open_db`) and calls
:func:`create_app`; tests do the same with their own database and a cheap
password hasher.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from pipeline.ledger.config import LedgerConfig
from pipeline.review.config import ReviewConfig
from pipeline.review.deps import AppState, Subtype, current_principal, get_db
from pipeline.review.limits import BodyLimit
from pipeline.review.render import STATIC_DIR, make_templates, page
from pipeline.review.store import Db

log = logging.getLogger(__name__)


def load_subtypes() -> tuple[Subtype, ...]:
    """The taxonomy's subtypes, or one generic subtype per 四乱 type when it cannot be read."""
    try:
        from pipeline.detect.taxonomy import load_taxonomy

        tax = load_taxonomy()
        subs = [tax.subtype(sid) for sid in tax.subtype_ids()]
        return tuple(Subtype(s.id, s.type_id, s.zh, s.en) for s in subs)
    except Exception as e:  # the app works without the taxonomy
        log.warning("taxonomy not loaded (%s): offering one subtype per 四乱 type", e)
        from pipeline.ledger.vocab import TYPE_LABELS

        return tuple(
            Subtype(f"{t}.other", t, f"{zh}（其他）", "other") for t, zh in TYPE_LABELS.items()
        )


def run_settings(
    config: ReviewConfig,
) -> tuple[dict[str, Any] | None, dt.tzinfo, LedgerConfig]:
    """Zones to draw, the office's time zone and the ledger settings (deadline rules), from
    the run config (``config.run_config``).

    ``zones_dir`` in the review config (``hehu review --zones``) replaces the run
    config's ``ledger.zones``.
    """
    from zoneinfo import ZoneInfo

    from pipeline.config import load_config, resolve
    from pipeline.review.layers import load_zones_geojson

    run = load_config(config.run_config)
    zones = config.zones_dir or (resolve(run.ledger.zones) if run.ledger.zones else None)
    return load_zones_geojson(zones), ZoneInfo(run.display.timezone), run.ledger.settings


def resolve_start_flight() -> Callable[[Path], Any]:
    """The processing side's hook, ``flows.deployment.start_flight``.

    Looked up by name: ``pipeline`` never imports ``flows`` statically, and Prefect
    loads only when an operator starts a run.
    """
    import importlib

    return importlib.import_module("flows.deployment").start_flight


def create_app(
    config: ReviewConfig,
    db: Db,
    *,
    hasher: Any = None,
    start_flight: Callable[[Path], Any] | None = None,
    subtypes: tuple[Subtype, ...] | None = None,
) -> FastAPI:
    """The FastAPI app on ``db``. ``hasher`` defaults to argon2id (RFC 9106 low memory)."""
    from pipeline.review.patrol import load_patrol
    from pipeline.review.routes import ROUTERS
    from pipeline.review.security import load_or_make_key, make_hasher

    state_dir = config.resolved_state_dir()
    zones, tz, ledger = run_settings(config)
    app = FastAPI(title="hehu review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = AppState(
        config=config,
        db=db,
        hasher=hasher or make_hasher(),
        templates=make_templates(tz),
        subtypes=subtypes if subtypes is not None else load_subtypes(),
        zones_geojson=zones,
        start_flight=start_flight,
        cache_dir=state_dir / "cache",
        uploads_dir=state_dir / "uploads",
        pre_login_key=load_or_make_key(state_dir / "pre-login.key"),
        tz=tz,
        ledger=ledger,
        patrol=load_patrol(config.run_config),
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(
        BodyLimit, form_max_bytes=config.form_max_bytes, upload_max_bytes=config.upload_max_bytes
    )
    app.middleware("http")(_security_headers)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


async def _security_headers(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    from pipeline.review.basemaps import tile_origins

    img = " ".join(["'self' data: blob:", *tile_origins(request.app.state.review.config)])
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src {img}; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/media/", "/export/")) and (
        "text/html" in request.headers.get("accept", "")
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 401 and _wants_html(request) and request.method == "GET":
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if _wants_html(request):
        state = request.app.state.review
        me = current_principal(request, get_db(state)) if exc.status_code != 401 else None
        return page(
            request, state, "error.html", {"status": exc.status_code, "detail": exc.detail},
            me=me, status_code=exc.status_code,
        )  # fmt: skip
    return JSONResponse(
        {"error": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    # a path that does not parse (an id out of range) names nothing: not found
    status = 404 if any(e["loc"][:1] == ("path",) for e in exc.errors()) else 400
    return await _http_error(request, HTTPException(status_code=status, detail="; ".join(errors)))
