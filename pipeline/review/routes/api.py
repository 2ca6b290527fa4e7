"""JSON endpoints: queue keyboard actions, one issue, and issues as GeoJSON for the map.

``POST /api/issues/{code}/{action}`` takes JSON ``{"version": N, ...fields}``
(the same fields as the HTML forms) with the CSRF token in ``X-CSRF-Token``.
Answers: 200 ``{"issue": {...}}``; 409 ``{"error": "conflict", "message",
"issue"}`` with the current state; 400 ``{"error", "message"}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from pipeline.errors import BadInputError
from pipeline.ledger.errors import ConflictError, IllegalTransitionError, IssueNotFoundError
from pipeline.ledger.models import Issue
from pipeline.ledger.vocab import OPEN_STATUSES, STATUS_LABELS
from pipeline.review.actions import ACTIONS, ActionContext, apply_action
from pipeline.review.deps import AppState, CanRead, CanReview, RowIdQuery, StateDep
from pipeline.review.i18n import (
    LANG_COOKIE,
    pick_lang,
    refusal_text,
    status_label,
    translator,
    type_label,
)
from pipeline.review.queue import issues_select, max_conf_expr

router = APIRouter(prefix="/api")


def issue_json(issue: Issue, lang: str = "zh") -> dict[str, Any]:
    return {
        "code": issue.code,
        "type": issue.type,
        "subtype": issue.subtype,
        "status": issue.status,
        "status_label": status_label(issue.status, lang),
        "severity": issue.severity,
        "version": issue.version,
        "lat": issue.lat_deg,
        "lon": issue.lon_deg,
    }


def _lang(request: Request, state: AppState) -> str:
    return pick_lang(request.cookies.get(LANG_COOKIE), state.config.default_lang)


def _current(state: AppState, code: str, lang: str) -> dict[str, Any] | None:
    from pipeline.ledger.workflow import get_issue

    with state.db.read() as session:
        try:
            return issue_json(get_issue(session=session, code=code), lang)
        except IssueNotFoundError:
            return None


def _run(state: AppState, action: str, ctx: ActionContext, lang: str) -> dict[str, Any]:
    with state.db.write() as session:
        return issue_json(apply_action(session, action, ctx), lang)


@router.post("/issues/{code}/{action}")
async def api_action(
    request: Request,
    code: str,
    action: str,
    state: StateDep,
    me: CanReview,
) -> Response:
    if action not in ACTIONS or action == "close":
        raise HTTPException(status_code=404, detail=f"no JSON action {action!r}")
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(status_code=415, detail="send the action as application/json")
    try:
        body = await request.json()
        version = int(body["version"])
    except (ValueError, KeyError, TypeError) as e:
        raise HTTPException(status_code=400, detail="send JSON with the issue version") from e
    fields = {k: str(v) for k, v in body.items() if isinstance(v, str | int | float)}
    ctx = ActionContext(
        code, version, me.username, fields, None, frozenset(s.id for s in state.subtypes),
        undo_window_s=state.config.undo_window_s, ledger=state.ledger,
        grids=state.patrol.grids,
    )  # fmt: skip
    try:
        issue = await run_in_threadpool(_run, state, action, ctx, _lang(request, state))
    except ConflictError as e:
        current = await run_in_threadpool(_current, state, code, _lang(request, state))
        message = translator(_lang(request, state))("conflict.short")
        return JSONResponse(
            {"error": "conflict", "message": message, "detail": str(e), "issue": current},
            status_code=409,
        )
    except (BadInputError, IllegalTransitionError) as e:
        message = refusal_text(str(e), _lang(request, state))
        return JSONResponse(
            {"error": "bad_request", "message": message, "detail": str(e)}, status_code=400
        )
    except IssueNotFoundError as e:
        raise HTTPException(status_code=404, detail=str(e)) from e
    return JSONResponse({"issue": issue})


@router.get("/issues.geojson")
def issues_geojson(
    request: Request,
    state: StateDep,
    me: CanRead,
    status: str = "open",
) -> Response:
    """Issues as GeoJSON points (``status``: ``open``, ``all`` or one status code)."""
    conf = max_conf_expr()
    query = issues_select(
        Issue.code, Issue.type, Issue.status, Issue.severity, Issue.lat_deg, Issue.lon_deg,
        Issue.river_name, conf,
    ).order_by(Issue.code)  # fmt: skip
    if status == "open":
        query = query.where(Issue.status.in_(sorted(OPEN_STATUSES)))
    elif status in STATUS_LABELS:
        query = query.where(Issue.status == status)
    with state.db.read() as session:
        rows = session.execute(query).all()
    lang = _lang(request, state)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "code": code,
                "type": kind,
                "type_label": type_label(kind, lang),
                "status": st,
                "status_label": status_label(st, lang),
                "severity": sev,
                "river": river,
                "conf": None if mc is None else round(mc, 3),
            },
        }
        for code, kind, st, sev, lat, lon, river, mc in rows
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features})


@router.get("/flights.json")
def flights_json(state: StateDep, me: CanRead) -> Response:
    """Flights with frames, newest first: id, name, start (local time), frames, footprints."""
    from pipeline.review.layers import flights_with_footprints
    from pipeline.review.render import local_time

    with state.db.read() as session:
        flights = flights_with_footprints(session=session)
    for f in flights:
        f["started_at"] = None if f["started_at"] is None else local_time(f["started_at"], state.tz)
    return JSONResponse({"flights": flights})


@router.get("/footprints.geojson")
def footprints_geojson(state: StateDep, me: CanRead, flight: RowIdQuery) -> Response:
    """The ground footprints of one flight's frames (``flight``: its id)."""
    from pipeline.review.layers import flight_footprints

    with state.db.read() as session:
        return JSONResponse(flight_footprints(session=session, flight_id=flight))


@router.get("/coverage.geojson")
def coverage_geojson(state: StateDep, me: CanRead) -> Response:
    """Ground seen by age (``layer: seen``, ``age_days``) and gaps (``layer: gap``,
    ``reason``) of every zone and grid, from all the ledger's flights, as of today."""
    from pipeline.review.patrol import coverage_layer

    today = dt.datetime.now(state.tz).date()
    with state.db.read() as session:
        layer = coverage_layer(session=session, patrol=state.patrol,
                               zones_geojson=state.zones_geojson, today=today)  # fmt: skip
    return JSONResponse(layer)


@router.get("/zones.geojson")
def zones_geojson(state: StateDep, me: CanRead) -> Response:
    return JSONResponse(state.zones_geojson or {"type": "FeatureCollection", "features": []})
