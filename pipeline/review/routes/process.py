"""Operators start the processing of a flight folder.

The work itself belongs to the processing side: this page calls
``flows.deployment.start_flight(path)`` (resolved once by ``hehu review``) and
shows what it returns. Without that function the page says processing is not
configured. With ``flights_root`` set, only its direct sub-folders can be
chosen (listed for the operator); otherwise an absolute folder path on the
server is typed in. Each start is written to the audit log.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from pipeline.ingest.names import display_path
from pipeline.ledger.audit import record
from pipeline.review.deps import CanProcess, StateDep
from pipeline.review.render import page

router = APIRouter()
log = logging.getLogger(__name__)


def _folder_paths(root: Path | None) -> dict[str, Path]:
    """The folders under ``root`` by their names as display text (a name that is not UTF-8
    or holds control characters is shown escaped, and chosen by that text)."""
    if root is None or not root.is_dir():
        return {}
    return {display_path(p.name): p for p in root.iterdir()
            if p.is_dir() and not p.name.startswith(".")}  # fmt: skip


def _folders(root: Path | None) -> list[str]:
    return sorted(_folder_paths(root))


def resolve_folder(root: Path | None, chosen: str) -> Path:
    """The folder to process; refuses anything outside ``root`` (when set) or not a folder."""
    chosen = chosen.strip()
    if root is not None:
        folders = _folder_paths(root)
        if chosen not in folders:
            raise ValueError(f"{chosen!r} is not a folder under {display_path(root)}")
        return folders[chosen].resolve()
    path = Path(chosen)
    if not path.is_absolute() or not path.is_dir():
        raise ValueError(f"{chosen!r} is not an absolute path of a folder on this server")
    return path.resolve()


@router.get("/process")
def process_view(
    request: Request,
    state: StateDep,
    me: CanProcess,
) -> Response:
    context = {"folders": _folders(state.config.flights_root), "configured": state.start_flight}
    return page(request, state, "process.html", context, me=me)


@router.post("/process")
async def process_start(
    request: Request,
    state: StateDep,
    me: CanProcess,
    folder: Annotated[str, Form()] = "",
) -> Response:
    context: dict[str, object] = {
        "folders": _folders(state.config.flights_root),
        "configured": state.start_flight,
    }
    if state.start_flight is None:
        return page(request, state, "process.html", context, me=me, status_code=503)
    try:
        path = resolve_folder(state.config.flights_root, folder)
    except ValueError as e:
        context["error"] = str(e)
        return page(request, state, "process.html", context, me=me, status_code=400)
    try:
        result = await run_in_threadpool(state.start_flight, path)
    except Exception as e:  # the processing side reports its own errors; show them
        log.exception("start_flight(%s) failed", display_path(path))
        context["error"] = f"{type(e).__name__}: {e}"
        return page(request, state, "process.html", context, me=me, status_code=500)
    with state.db.write() as session:
        record(session=session, actor=me.username, entity="flight",
               entity_key=display_path(path.name)[:64], field="processing", old=None,
               new=display_path(path))  # fmt: skip
    context["started"] = display_path(path)
    context["result"] = "" if result is None else str(result)[:2000]
    return page(request, state, "process.html", context, me=me)
