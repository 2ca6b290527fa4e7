"""The review queue page."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from pipeline.errors import BadInputError
from pipeline.ledger.errors import ConflictError, IllegalTransitionError
from pipeline.review.deps import CanProcess, CanRead, StateDep
from pipeline.review.inputs import parse_row_id
from pipeline.review.queue import QueueFilter, count_by_status, filter_options, queue_page
from pipeline.review.render import page

router = APIRouter()


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _flight(text: str | None) -> int | None:
    if text in (None, ""):
        return None
    try:
        return parse_row_id(text, "flight")
    except BadInputError as e:
        raise HTTPException(status_code=422, detail=str(e)) from e


def queue_filter(
    status: str = "candidate",
    type: str | None = None,
    place: str | None = None,
    river: str | None = None,
    zone: str | None = None,
    flight: str | None = None,
    min_conf: str | None = None,
    sort: str = "conf",
) -> QueueFilter:
    """The filter from query parameters; ``place`` is ``r:RIVER`` or ``z:ZONE`` (one select)."""
    if place and place.startswith("r:"):
        river, zone = place[2:], None
    elif place and place.startswith("z:"):
        river, zone = None, place[2:]
    return QueueFilter(
        status=status,
        type=type or None,
        river=river or None,
        zone=zone or None,
        flight=_flight(flight),
        min_conf=_float(min_conf),
        sort=sort,
    ).normalised()


def text_fields(form: Any) -> dict[str, str]:
    """A submitted form's text fields (files left out)."""
    return {k: v for k, v in form.items() if isinstance(v, str)}


def filter_fields(fields: dict[str, str]) -> dict[str, str]:
    """The queue filter a form carries (its hidden fields, see ``keep_filters``)."""
    keys = ("status", "type", "place", "river", "zone", "flight", "min_conf", "sort")
    return {k: fields[k] for k in keys if fields.get(k)}


def filter_query(filt: QueueFilter, **extra: object) -> str:
    params = filt.query_params()
    params |= {k: str(v) for k, v in extra.items() if v is not None}
    return urlencode(params)


def done_banner(done: str | None, code: str | None) -> dict | None:
    """The "confirmed X" notice after an action (``?done=ACTION&from=CODE``)."""
    if not done:
        return None
    keys = {"confirm": "ok.confirmed", "reject": "ok.rejected", "merge": "ok.merged",
            "undo": "ok.undone", "bulk_confirm": "ok.bulk_confirm",
            "bulk_reject": "ok.bulk_reject"}  # fmt: skip
    key = keys.get(done, "ok.saved")
    return {"kind": "ok", "key": key, "code": code or ""}


@router.get("/")
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue")
def queue_view(
    request: Request,
    filt: Annotated[QueueFilter, Depends(queue_filter)],
    state: StateDep,
    me: CanRead,
    page_no: int = 1,
    done: str | None = None,
    from_code: Annotated[str | None, Query(alias="from", max_length=64)] = None,
) -> Response:

    with state.db.read() as session:
        result = queue_page(session=session, filt=filt, page=page_no, size=state.config.page_size)
        options = filter_options(session=session)
        counts = count_by_status(session=session)
    place = f"z:{filt.zone}" if filt.zone else f"r:{filt.river}" if filt.river else ""
    return page(
        request,
        state,
        "queue.html",
        {
            "result": result,
            "filt": filt,
            "place": place,
            "options": options,
            "counts": counts,
            "query": filter_query(filt),
            "page_query": lambda n: filter_query(filt, page_no=n),
            "status_query": lambda st: filter_query(replace(filt, status=st)),
            "banner": done_banner(done, from_code),
        },
        me=me,
    )


@router.post("/queue/bulk")
async def queue_bulk(
    request: Request,
    state: StateDep,
    me: CanProcess,
) -> Response:
    """Confirm or reject every candidate of the submitted filter (operators; see ``bulk``)."""
    from pipeline.review.bulk import bulk_decide

    fields = text_fields(await request.form())
    filt = queue_filter(**(filter_fields(fields) | {"status": "candidate"}))
    action = fields.get("action", "")
    try:
        expected = int(fields.get("expected", ""))
    except ValueError as e:
        raise HTTPException(status_code=400, detail="the form lacks the expected count") from e

    def run() -> list[str]:
        with state.db.write() as session:
            return bulk_decide(session=session, filt=filt, action=action, form=fields,
                               actor=me.username, expected=expected,
                               limit=state.config.bulk_max)  # fmt: skip

    try:
        codes = await run_in_threadpool(run)
    except (BadInputError, IllegalTransitionError, ConflictError) as e:
        raise HTTPException(status_code=400, detail=str(e)) from e
    query = filter_query(filt)
    return RedirectResponse(f"/queue?{query}&done=bulk_{action}&from={len(codes)}", status_code=303)
