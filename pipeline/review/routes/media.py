"""Evidence images: crops, frame views, closure attachments. Originals are only read.

A crop comes from the evidence-file seam (:mod:`pipeline.ledger.evidence`,
kind ``crop``) when one is recorded and readable, else it is cut from the
original frame on the fly (:mod:`pipeline.review.crops`). When the original
is missing or changed, a placeholder image says so (header
``X-Hehu-Placeholder``) instead of an error, so the page still works.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select

from pipeline.ledger.models import Detection, Evidence, EvidenceFile, Frame, Issue
from pipeline.review.crops import Box, FrameUnavailableError, crop_jpeg, frame_jpeg, placeholder_svg
from pipeline.review.deps import CanRead, RowId, StateDep
from pipeline.review.models import Attachment
from pipeline.review.uploads import stored_path

router = APIRouter(prefix="/media")
CACHE = {"Cache-Control": "private, max-age=86400"}


def _jpeg(data: bytes) -> Response:
    return Response(data, media_type="image/jpeg", headers=CACHE)


def _placeholder(reason: str, text: str) -> Response:
    return Response(
        placeholder_svg(text),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store", "X-Hehu-Placeholder": reason},
    )


@router.get("/crop/{detection_id}.jpg")
def crop(
    detection_id: RowId,
    state: StateDep,
    me: CanRead,
) -> Response:
    with state.db.read() as session:
        found = session.execute(
            select(Detection, Frame).join(Frame).where(Detection.id == detection_id)
        ).first()
        recorded = session.scalars(
            select(EvidenceFile.path)
            .where(EvidenceFile.detection_id == detection_id, EvidenceFile.kind == "crop")
            .order_by(EvidenceFile.id.desc())
        ).all()
    if found is None:
        raise HTTPException(status_code=404, detail=f"no detection {detection_id}")
    existing = next((p for p in recorded if Path(p).is_file()), None)
    if existing is not None:
        return FileResponse(existing, headers=CACHE)
    det, frame = found
    box = Box((det.x0_px, det.y0_px, det.x1_px, det.y1_px), det.type)
    cfg = state.config
    try:
        data = crop_jpeg(
            frame_path=frame.open_path, frame_sha256=frame.sha256, box=box,
            cache_dir=state.cache_dir, context=cfg.crop_context, min_px=cfg.crop_min_px,
        )  # fmt: skip
    except FrameUnavailableError as e:
        return _placeholder("frame-unavailable", _short(e))
    return _jpeg(data)


def _short(error: Exception) -> str:
    text = str(error)
    return "original frame not available" if len(text) > 60 else text


@router.get("/frame/{frame_id}.jpg")
def frame_view(
    frame_id: RowId,
    state: StateDep,
    me: CanRead,
    issue: str | None = None,
) -> Response:
    """The whole frame, scaled, with its boxes; those of ``issue`` highlighted."""
    with state.db.read() as session:
        frame = session.get(Frame, frame_id)
        if frame is None:
            raise HTTPException(status_code=404, detail=f"no frame {frame_id}")
        rows = session.execute(
            select(Detection, Issue.code)
            .outerjoin(Evidence, Evidence.detection_id == Detection.id)
            .outerjoin(Issue, Issue.id == Evidence.issue_id)
            .where(Detection.frame_id == frame_id, Detection.type.is_not(None))
            .order_by(Detection.id)
        ).all()
    boxes = [
        Box(
            (d.x0_px, d.y0_px, d.x1_px, d.y1_px), d.type, highlight=issue is not None and c == issue
        )
        for d, c in rows
    ]
    boxes.sort(key=lambda b: b.highlight)  # highlighted ones drawn last, on top
    try:
        data = frame_jpeg(
            frame_path=frame.open_path,
            frame_sha256=frame.sha256,
            boxes=boxes,
            cache_dir=state.cache_dir,
        )
    except FrameUnavailableError as e:
        return _placeholder("frame-unavailable", _short(e))
    return _jpeg(data)


@router.get("/frame/{frame_id}/large.jpg")
def frame_large(frame_id: RowId, state: StateDep, me: CanRead) -> Response:
    """The whole frame without boxes, up to ``viewer_max_side``: the full-frame viewer draws
    the boxes itself, in the original's pixels, over this picture."""
    with state.db.read() as session:
        frame = session.get(Frame, frame_id)
    if frame is None:
        raise HTTPException(status_code=404, detail=f"no frame {frame_id}")
    try:
        data = frame_jpeg(
            frame_path=frame.open_path, frame_sha256=frame.sha256, boxes=(),
            cache_dir=state.cache_dir, max_side=state.config.viewer_max_side,
        )  # fmt: skip
    except FrameUnavailableError as e:
        return _placeholder("frame-unavailable", _short(e))
    return _jpeg(data)


def _video_of(state, frame_id: int) -> tuple[Path, float]:
    """The video a sampled frame came from and the frame's time in it. Served only when the
    frame's still is the file the ledger recorded (its sha256), the manifest beside it names
    a video file (.mp4/.mov) and that file has the size the manifest recorded."""
    import hashlib

    from pipeline.video.ingest import VIDEO_SUFFIXES
    from pipeline.video.ref import video_of_frame

    with state.db.read() as session:
        frame = session.get(Frame, frame_id)
    if frame is None:
        raise HTTPException(status_code=404, detail=f"no frame {frame_id}")
    source = video_of_frame(frame.open_path)
    if source is None:
        raise HTTPException(status_code=404, detail=f"frame {frame_id} is not from a video")
    video = Path(source.path)
    try:
        same = hashlib.sha256(Path(frame.open_path).read_bytes()).hexdigest() == frame.sha256
        size = video.stat().st_size if video.is_file() else None
    except OSError:
        same, size = False, None
    if not same or video.suffix.lower() not in VIDEO_SUFFIXES or size != source.size_bytes:
        raise HTTPException(status_code=404, detail="the video is missing or changed")
    return video, source.time_s


@router.get("/video/{frame_id}")
def video_page(frame_id: RowId, state: StateDep, me: CanRead) -> HTMLResponse:
    """A page playing the video a sampled frame came from, from the frame's time (``#t=``)."""
    from html import escape

    from pipeline.ingest.names import display_path
    from pipeline.video.ref import time_code

    video, time_s = _video_of(state, frame_id)
    name = escape(display_path(video.name))
    page = (
        f'<!doctype html><meta charset="utf-8"><title>{name} {time_code(time_s)}</title>'
        f"<p>{name} · {time_code(time_s)}</p>"
        f'<video controls autoplay muted preload="metadata" style="max-width:100%" '
        f'src="/media/video/{frame_id}/file#t={time_s:.3f}"></video>'
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.get("/video/{frame_id}/file")
def video_file(frame_id: RowId, state: StateDep, me: CanRead) -> FileResponse:
    """The video itself (byte ranges answered, so the player can seek)."""
    video, _ = _video_of(state, frame_id)
    kind = "video/quicktime" if video.suffix.lower() == ".mov" else "video/mp4"
    return FileResponse(video, media_type=kind, headers=CACHE)


@router.get("/attachment/{attachment_id}")
def attachment(
    attachment_id: RowId,
    state: StateDep,
    me: CanRead,
) -> Response:
    with state.db.read() as session:
        att = session.get(Attachment, attachment_id)
        frame = session.get(Frame, att.frame_id) if att and att.frame_id else None
    if att is None:
        raise HTTPException(status_code=404, detail=f"no attachment {attachment_id}")
    if att.stored_name:
        path = stored_path(state.uploads_dir, att.stored_name)
        if not path.is_file():
            return _placeholder("upload-missing", "uploaded file missing")
        return FileResponse(path, media_type=att.media_type or "image/jpeg", headers=CACHE)
    if frame is None:
        raise HTTPException(status_code=404, detail="attachment has no file")
    try:
        data = frame_jpeg(
            frame_path=frame.open_path,
            frame_sha256=frame.sha256,
            boxes=(),
            cache_dir=state.cache_dir,
        )
    except FrameUnavailableError as e:
        return _placeholder("frame-unavailable", _short(e))
    return _jpeg(data)


def _recorded_jpeg(path_text: str | None, sha256: str | None, what: str) -> Response:
    """A recorded picture's bytes; a placeholder when it is gone or not the one recorded."""
    import hashlib

    path = Path(path_text) if path_text else None
    if path is None or not path.is_file():
        return _placeholder(f"{what}-picture-missing", "before/after picture not available")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        return _placeholder(f"{what}-picture-changed", "before/after picture changed")
    return _jpeg(data)


@router.get("/change/{file_id}.jpg")
def change_picture(file_id: RowId, state: StateDep, me: CanRead) -> Response:
    """A new change's (新增变化) watermarked before/after picture (evidence file ``change``)."""
    with state.db.read() as session:
        row = session.get(EvidenceFile, file_id)
    if row is None or row.kind != "change":
        raise HTTPException(status_code=404, detail=f"no change picture {file_id}")
    return _recorded_jpeg(row.path, row.sha256, "change")


@router.get("/recheck/{recheck_id}.jpg")
def recheck_picture(recheck_id: RowId, state: StateDep, me: CanRead) -> Response:
    """A recorded recheck's watermarked before/after picture; a placeholder when the file
    is gone or is not the one recorded (its sha256 differs)."""
    from pipeline.ledger.models import Recheck

    with state.db.read() as session:
        row = session.get(Recheck, recheck_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no recheck {recheck_id}")
    return _recorded_jpeg(row.evidence_path, row.evidence_sha256, "recheck")
