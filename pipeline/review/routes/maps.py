"""The map of issues (open ones by default), and the offline tiles of a local basemap."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from pipeline.review.deps import CanRead, StateDep
from pipeline.review.render import page

router = APIRouter()
TileNumber = Annotated[int, PathParam(ge=0, le=2**24)]


@router.get("/map")
def map_view(
    request: Request,
    state: StateDep,
    me: CanRead,
    status: str = "open",
) -> Response:
    return page(request, state, "map.html", {"status": status}, me=me)


@router.get("/tiles/{index}/{z}/{x}/{y}")
async def tile(
    index: Annotated[int, PathParam(ge=0, le=99)],
    z: TileNumber,
    x: TileNumber,
    y: TileNumber,
    state: StateDep,
    me: CanRead,
) -> Response:
    """Tile ``z/x/y`` of the offline basemap ``index`` (``basemaps[index].path``)."""
    from pipeline.review.basemaps import local_source, read_tile

    source = local_source(state.config, index)
    if source is None:
        raise HTTPException(status_code=404, detail=f"basemap {index} has no local tiles")
    found = await run_in_threadpool(read_tile, source, z, x, y)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no tile {z}/{x}/{y}")
    data, media_type = found
    cache = {"Cache-Control": "private, max-age=86400"}
    return Response(data, media_type=media_type, headers=cache)
