"""The map of issues (open ones by default)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pipeline.review.deps import CanRead, StateDep
from pipeline.review.render import page

router = APIRouter()


@router.get("/map")
def map_view(
    request: Request,
    state: StateDep,
    me: CanRead,
    status: str = "open",
) -> Response:
    return page(request, state, "map.html", {"status": status}, me=me)
