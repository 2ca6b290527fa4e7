"""The review queue page."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.errors import BadInputError
from pipeline.review.deps import CanRead, StateDep
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


def filter_query(filt: QueueFilter, **extra: object) -> str:
    params = filt.query_params()
    params |= {k: str(v) for k, v in extra.items() if v is not None}
    return urlencode(params)


def done_banner(done: str | None, code: str | None) -> dict | None:
    """The "confirmed X" notice after an action (``?done=ACTION&from=CODE``)."""
    if not done:
        return None
    key = {"confirm": "ok.confirmed", "reject": "ok.rejected", "merge": "ok.merged"}.get(
        done, "ok.saved"
    )
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
