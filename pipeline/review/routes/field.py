"""Field checks on a phone: ``/field`` (the patroller's dispatched issues, nearest first)
and ``/field/{code}`` (one issue: navigation links, the field verdict form, past checks)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from pipeline.errors import BadInputError
from pipeline.geo.coords import amap_marker_url, baidu_marker_url
from pipeline.ledger.errors import IssueNotFoundError
from pipeline.review.deps import AppState, CanRead, CanReview, RowId, StateDep
from pipeline.review.render import page

router = APIRouter()
Lat = Annotated[float | None, Query(ge=-90, le=90)]
Lon = Annotated[float | None, Query(ge=-180, le=180)]


def nav_links(lat: float, lon: float, code: str) -> dict[str, str]:
    """Amap (GCJ-02) and Baidu (BD-09) marker links for a WGS-84 point, converted here."""
    return {"amap": amap_marker_url(lat, lon, code), "baidu": baidu_marker_url(lat, lon, code)}


@router.get("/field")
def field_list(request: Request, state: StateDep, me: CanRead, lat: Lat = None,
               lon: Lon = None) -> Response:  # fmt: skip
    from pipeline.review.field import patroller_issues

    here = (lat, lon) if lat is not None and lon is not None else None
    with state.db.read() as session:
        rows = patroller_issues(session, grids=state.patrol.grids, account=me.username, here=here)
        items = [{"v": i, "distance_m": d, "nav": nav_links(i.lat_deg, i.lon_deg, i.code)}
                 for i, d in rows]  # fmt: skip
    grids = [g for g in state.patrol.grids if g.props.patroller_account == me.username]
    return page(request, state, "field_list.html",
                {"items": items, "grids": grids, "here": here}, me=me)  # fmt: skip


def _issue_context(state: AppState, code: str, lang: str) -> dict[str, Any]:
    from pipeline.ledger.workflow import get_issue
    from pipeline.review.field import labelled_checks

    with state.db.read() as session:
        try:
            issue = get_issue(session=session, code=code)
        except IssueNotFoundError as e:
            raise HTTPException(status_code=404, detail=str(e)) from e
        checks = labelled_checks(session, issue.id, state.config.field_max_distance_m, lang)
        session.expunge_all()
    nav = nav_links(issue.lat_deg, issue.lon_deg, code)
    return {"v": issue, "field_checks": checks, "nav": nav, "client_key": secrets.token_urlsafe(24)}


@router.get("/field/{code}")
def field_issue(request: Request, code: str, state: StateDep, me: CanRead,
                done: str | None = None) -> Response:  # fmt: skip
    from pipeline.review.i18n import LANG_COOKIE, pick_lang

    lang = pick_lang(request.cookies.get(LANG_COOKIE), state.config.default_lang)
    context = {**_issue_context(state, code, lang), "request_done": done == "1"}
    return page(request, state, "field_issue.html", context, me=me)


@router.post("/field/{code}")
async def field_submit(request: Request, code: str, state: StateDep, me: CanReview) -> Response:
    from pipeline.review.routes.issues import _store

    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        stored = await _store(state, form.get("photo"))
        if stored is None:
            raise BadInputError("a field check needs a photo of the site")
        await run_in_threadpool(_record, state, code, me.username, fields, stored)
    except BadInputError as e:
        raise HTTPException(status_code=400, detail=str(e)) from e
    return RedirectResponse(f"/field/{code}?done=1", status_code=303)


def _record(state: AppState, code: str, actor: str, fields: dict[str, str], stored: Any) -> None:
    from pipeline.ledger.workflow import get_issue
    from pipeline.review.field import check_photo, dispatched_at, record_field_check
    from pipeline.review.uploads import stored_path

    data = stored_path(state.uploads_dir, stored.stored_name).read_bytes()
    with state.db.write() as session:
        try:
            issue = get_issue(session=session, code=code)
        except IssueNotFoundError as e:
            raise BadInputError(str(e)) from e
        when = dispatched_at(session, code)
        check = check_photo(data, issue=issue, dispatched_at_utc=when, tz=state.tz,
                            max_distance_m=state.config.field_max_distance_m)  # fmt: skip
        note = (fields.get("note") or "").strip()[:2000] or None
        record_field_check(session, code=code, verdict=fields.get("verdict", ""), actor=actor,
                           note=note, photo=stored, check=check,
                           client_key=fields.get("client_key", ""))  # fmt: skip


@router.get("/field-photo/{check_id}")
def field_photo(check_id: RowId, state: StateDep, me: CanRead) -> Response:
    from pipeline.review.field_models import FieldCheck
    from pipeline.review.uploads import stored_path

    with state.db.read() as session:
        row = session.get(FieldCheck, check_id)
        name, media = (row.stored_name, row.media_type) if row else (None, None)
    if name is None:
        raise HTTPException(status_code=404, detail=f"no field check {check_id}")
    path = stored_path(state.uploads_dir, name)
    if not path.is_file():
        raise HTTPException(status_code=404, detail="the photo's file is missing")
    return FileResponse(path, media_type=media or "image/jpeg",
                        headers={"Cache-Control": "private, max-age=86400"})  # fmt: skip
