"""The candidate page and its actions (HTML forms, post-redirect-get).

Every action form carries the issue ``version`` the page showed and the time
it was rendered. When someone else changed the issue since, the ledger
refuses the edit (:class:`ConflictError`) and the page is shown again with
status 409, the current state, a banner saying who changed what, and the
changes made since it was loaded highlighted in the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from pipeline.errors import BadInputError
from pipeline.ledger.errors import ConflictError, IllegalTransitionError, IssueNotFoundError
from pipeline.ledger.merge import merge_targets
from pipeline.ledger.models import utc_now
from pipeline.review.actions import ACTIONS, ActionContext, apply_action
from pipeline.review.deps import AppState, CanRead, CanReview, StateDep
from pipeline.review.detail import candidate_detail
from pipeline.review.later_frames import later_frames
from pipeline.review.queue import QueueFilter, neighbour_code
from pipeline.review.render import page
from pipeline.review.routes.queue import (
    done_banner,
    filter_fields,
    filter_query,
    queue_filter,
    text_fields,
)
from pipeline.review.sessions import Principal
from pipeline.review.uploads import store_upload

router = APIRouter()
#: After these actions the reviewer goes on to the next candidate of the queue.
ADVANCING = frozenset({"confirm", "reject"})


def render_issue(
    request: Request,
    state: AppState,
    me: Principal,
    code: str,
    filt: QueueFilter,
    *,
    status_code: int = 200,
    banner: dict[str, Any] | None = None,
) -> Response:
    with state.db.read() as session:
        try:
            detail = candidate_detail(session=session, code=code)
        except IssueNotFoundError as e:
            raise HTTPException(status_code=404, detail=str(e)) from e
        later = (
            later_frames(session=session, code=code) if detail.issue.status == "rectified" else []
        )
        targets = merge_targets(session=session, code=code)
        checks = _field_checks(request, state, session, code)
        prev_code = neighbour_code(session=session, filt=filt, code=code, step=-1)
        next_code = neighbour_code(session=session, filt=filt, code=code, step=1)
    context = {
        "d": detail,
        "v": detail.issue,
        "later": later,
        "merge_targets": targets,
        "actions": [a for a, (_, starts) in ACTIONS.items() if detail.issue.status in starts],
        "filt": filt,
        "query": filter_query(filt),
        "prev_code": prev_code,
        "next_code": next_code,
        "loaded_at": utc_now().isoformat(),
        "banner": banner,
        "amap": _amap(detail.issue.lat, detail.issue.lon, code),
        "default_deadline": state.ledger.deadline(detail.issue.subtype, _today(state)),
        "today": _today(state),
        "field_checks": checks,
        "patroller": _patroller(state, detail.issue.lat, detail.issue.lon),
    }
    return page(request, state, "issue.html", context, me=me, status_code=status_code)


def _today(state: AppState) -> dt.date:
    return dt.datetime.now(state.tz).date()


def _field_checks(request: Request, state: AppState, session: Any, code: str) -> list[Any]:
    """The issue's field checks, each with its photo's line (:mod:`pipeline.review.field`)."""
    from pipeline.ledger.workflow import get_issue
    from pipeline.review.field import labelled_checks
    from pipeline.review.i18n import LANG_COOKIE, pick_lang

    lang = pick_lang(request.cookies.get(LANG_COOKIE), state.config.default_lang)
    issue_id = get_issue(session=session, code=code).id
    return labelled_checks(session, issue_id, state.config.field_max_distance_m, lang)


def _patroller(state: AppState, lat: float, lon: float) -> str | None:
    """The patroller of the grid holding the point: whom dispatch goes to by default."""
    from pipeline.ledger.grids import find_grid

    grid = find_grid(state.patrol.grids, lat, lon)
    return grid.props.patroller if grid else None


def _amap(lat: float, lon: float, code: str) -> str | None:
    from pipeline.ledger.queries import amap_link

    return amap_link(lat, lon, code)


@router.get("/issues/{code}")
def issue_view(
    request: Request,
    code: str,
    filt: Annotated[QueueFilter, Depends(queue_filter)],
    state: StateDep,
    me: CanRead,
    done: str | None = None,
    from_code: Annotated[str | None, Query(alias="from")] = None,
) -> Response:
    banner = done_banner(done, from_code or code)
    if banner and done in ("confirm", "reject") and from_code:
        banner["undo"] = _undo_offer(state, me, from_code)
    return render_issue(request, state, me, code, filt, banner=banner)


def _undo_offer(state: AppState, me: Principal, code: str) -> dict[str, Any] | None:
    """The undo button's issue version and seconds left, while ``me`` may still undo."""
    from pipeline.review.security import role_allows
    from pipeline.review.undo import undo_deadline

    if not role_allows(me.role, "review"):
        return None
    with state.db.read() as session:
        try:
            found = undo_deadline(session=session, code=code, actor=me.username,
                                  window_s=state.config.undo_window_s)  # fmt: skip
        except IssueNotFoundError:
            return None
    return None if found is None else {"code": code, "version": found[0], "left": found[1]}


@router.get("/issues/{code}/step")
def issue_step(
    code: str,
    filt: Annotated[QueueFilter, Depends(queue_filter)],
    state: StateDep,
    me: CanRead,
    dir: int = 1,
) -> Response:
    """Go to the next (``dir=1``) or previous (``dir=-1``) issue of the queue."""
    with state.db.read() as session:
        target = neighbour_code(session=session, filt=filt, code=code, step=1 if dir >= 0 else -1)
    query = filter_query(filt)
    if target is None:
        return RedirectResponse(f"/queue?{query}", status_code=303)
    return RedirectResponse(f"/issues/{target}?{query}", status_code=303)


def _conflict_banner(session: Any, code: str, sent: int, loaded_at: str, action: str) -> dict:
    from pipeline.ledger.audit import history
    from pipeline.ledger.workflow import get_issue

    issue = get_issue(session=session, code=code)
    entries = history(session=session, entity="issue", entity_key=code)
    try:
        since = dt.datetime.fromisoformat(loaded_at)
    except ValueError:
        since = None
    newer = [e for e in entries if since is None or e.at_utc > since]
    last = entries[-1] if entries else None
    return {
        "kind": "conflict",
        "who": last.actor if last else "?",
        "when": last.at_utc if last else None,
        "old": sent,
        "new": issue.version,
        "action": action,
        "changes": newer,
        "since": since,
    }


@router.post("/issues/{code}/{action}")
async def issue_action(
    request: Request,
    code: str,
    action: str,
    state: StateDep,
    me: CanReview,
) -> Response:
    form = await request.form()
    fields = text_fields(form)
    filt = queue_filter(**filter_fields(fields))
    if action not in ACTIONS:
        raise HTTPException(status_code=404, detail=f"unknown action {action!r}")
    try:
        version = int(fields.get("version", ""))
    except ValueError as e:
        raise HTTPException(status_code=400, detail="the form lacks the issue version") from e
    upload = form.get("after_photo")
    try:
        stored = await _store(state, upload) if action == "close" else None
        ctx = ActionContext(
            code, version, me.username, fields, stored, frozenset(s.id for s in state.subtypes),
            undo_window_s=state.config.undo_window_s, ledger=state.ledger,
            grids=state.patrol.grids,
        )  # fmt: skip
        result = await run_in_threadpool(_apply, state, action, ctx)
    except ConflictError:
        banner = await run_in_threadpool(
            _conflict_in_session, state, code, version, fields.get("loaded_at", ""), action
        )
        return await run_in_threadpool(
            render_issue, request, state, me, code, filt, status_code=409, banner=banner
        )
    except (BadInputError, IllegalTransitionError) as e:
        banner = {"kind": "error", "text": str(e)}
        return await run_in_threadpool(
            render_issue, request, state, me, code, filt, status_code=400, banner=banner
        )
    except IssueNotFoundError as e:
        raise HTTPException(status_code=404, detail=str(e)) from e
    return await run_in_threadpool(_after, state, action, code, filt, result)


async def _store(state: AppState, upload: Any) -> Any:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(state.config.upload_max_bytes + 1)
    return await run_in_threadpool(
        lambda: store_upload(
            data,
            original_name=upload.filename,
            uploads_dir=state.uploads_dir,
            max_bytes=state.config.upload_max_bytes,
        )
    )


def _apply(state: AppState, action: str, ctx: ActionContext) -> str:
    """Run the action; returns the code of the issue it left (the kept one, after a merge)."""
    with state.db.write() as session:
        return apply_action(session, action, ctx).code


def _conflict_in_session(
    state: AppState, code: str, sent: int, loaded_at: str, action: str
) -> dict:
    with state.db.read() as session:
        return _conflict_banner(session, code, sent, loaded_at, action)


def _after(state: AppState, action: str, code: str, filt: QueueFilter, result: str) -> Response:
    query = filter_query(filt)
    if action == "merge":  # the merged issue is gone from the queue: show the one it joined
        return RedirectResponse(f"/issues/{result}?{query}&done=merge&from={code}", status_code=303)
    if action in ADVANCING:
        with state.db.read() as session:
            target = neighbour_code(session=session, filt=filt, code=code)
        if target is not None:
            return RedirectResponse(
                f"/issues/{target}?{query}&done={action}&from={code}", status_code=303
            )
        # the queue is done: show it, with what was just decided
        return RedirectResponse(f"/queue?{query}&done={action}&from={code}", status_code=303)
    return RedirectResponse(f"/issues/{code}?{query}&done={action}", status_code=303)
