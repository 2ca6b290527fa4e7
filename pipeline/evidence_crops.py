"""Evidence crops: the best sighting of each issue, boxed and watermarked.

For every issue a flight created or added to, the detection with the highest
confidence in that flight is cut from its original frame (never modified;
decoded read-only), the box drawn, and a watermark bar added with capture
time, WGS-84 position, flight and issue code. The crop is recorded in the
ledger (``evidence_file``) with its own sha256 and the original frame's, so
a reviewer can prove which untouched photo it came from. Writing the same
crop again is a no-op: JPEG encoding is deterministic and the record is keyed
by the crop's sha256.
"""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.fileio import write_atomic

if TYPE_CHECKING:
    from pipeline.config import HehuConfig
    from pipeline.flight import FlightPlan
    from pipeline.ledger.push import PushResult

log = logging.getLogger(__name__)

CROP_MAX_PX = 640
CROP_MIN_PX = 400  # context wide enough for the watermark to stay legible
MARGIN_FRAC = 1.0  # context around the box, as a fraction of its size
MIN_MARGIN_PX = 48
LINE_PX = 18


def crop_box(
    image: np.ndarray, xyxy_px: tuple[float, float, float, float]
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A crop of ``image`` around the box with context, and the box in crop pixels."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = xyxy_px
    margin = max(MIN_MARGIN_PX, MARGIN_FRAC * max(x1 - x0, y1 - y0))
    half = max((x1 - x0) / 2 + margin, CROP_MIN_PX / 2)
    left = min(max(0.0, (x0 + x1) / 2 - half), max(0.0, w - 2 * half))  # slide inside the frame
    cx0, cx1 = int(left), int(min(w, left + 2 * half))
    cy0, cy1 = int(max(0, y0 - margin)), int(min(h, y1 + margin))
    box = (int(x0) - cx0, int(y0) - cy0, round(x1) - cx0, round(y1) - cy0)
    return image[cy0:cy1, cx0:cx1].copy(), box


def render_crop(image: np.ndarray, xyxy_px, watermark: str) -> np.ndarray:
    """The boxed, watermarked evidence picture (BGR), at most ``CROP_MAX_PX`` wide."""
    import cv2

    crop, box = crop_box(image, xyxy_px)
    scale = min(1.0, CROP_MAX_PX / max(crop.shape[:2]))
    if scale < 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        box = tuple(int(v * scale) for v in box)
    cv2.rectangle(crop, box[:2], box[2:], (0, 0, 255), 2)
    return with_watermark(crop, watermark)


def with_watermark(picture: np.ndarray, watermark: str) -> np.ndarray:
    """``picture`` (BGR) with the watermark bar below it: the text's ``" | "``-separated
    fields, two to a line (see :func:`watermark_text`)."""
    import cv2

    fields = watermark.split(" | ")
    lines = [" | ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
    bar = np.zeros((LINE_PX * len(lines) + 6, picture.shape[1], 3), np.uint8)
    for k, text in enumerate(lines):
        cv2.putText(bar, text, (4, LINE_PX * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (255, 255, 255), 1, cv2.LINE_AA)  # fmt: skip
    return np.vstack([picture, bar])


def watermark_text(
    captured_at, lat: float | None, lon: float | None, flight: str, code: str,
    video: tuple[str, float] | None = None,
) -> str:  # fmt: skip
    """Capture time (a datetime or ISO-8601 text), WGS-84 position, flight and issue code,
    in ASCII (OpenCV fonts); for a frame sampled from a video, ``video`` = (its name, the
    time in it) too."""
    if lat is None or lon is None:
        where = "no position"
    else:
        ns, ew = "N" if lat >= 0 else "S", "E" if lon >= 0 else "W"
        where = f"{abs(lat):.6f}{ns} {abs(lon):.6f}{ew} WGS-84"
    when = str(captured_at).replace("T", " ") if captured_at else "time unknown"
    text = f"{when} | {where} | flight {flight[:24]} | {code}"
    if video is not None:
        from pipeline.ingest.names import display_path
        from pipeline.video.ref import time_code

        name = display_path(video[0]).encode("ascii", "backslashreplace").decode()
        text += f" | video {name[-40:]} at {time_code(video[1])}"
    return text


def best_sightings(session, flight_key: str, codes: tuple[str, ...]) -> list[tuple]:
    """``(code, detection, frame)`` of the most confident detection per issue in a flight."""
    from sqlalchemy import select

    from pipeline.ledger.models import Detection, Evidence, Flight, Frame, Issue

    query = (
        select(Issue.code, Detection, Frame)
        .join(Evidence, Evidence.issue_id == Issue.id)
        .join(Detection, Evidence.detection_id == Detection.id)
        .join(Frame, Detection.frame_id == Frame.id)
        .join(Flight, Evidence.flight_id == Flight.id)
        .where(Flight.key == flight_key, Issue.code.in_(codes))
        .order_by(Issue.code, Detection.conf.desc(), Detection.id)
    )
    best: dict[str, tuple] = {}
    for code, det, frame in session.execute(query):
        best.setdefault(code, (code, det, frame))
    return list(best.values())


def write_evidence(plan: FlightPlan, pushed: PushResult, config: HehuConfig) -> int:
    """Write and record one evidence crop per issue this push touched; returns how many."""
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.evidence import add_evidence_file

    codes = tuple(sorted({*pushed.created, *pushed.recurred, *pushed.rebounded}))
    if not codes:
        return 0
    out_dir = config.state_dir() / "evidence"
    engine = make_engine(config.db_url())
    written = 0
    try:
        with make_session_factory(engine).begin() as session:
            by_frame: dict[str, list[tuple]] = {}
            for sighting in best_sightings(session, plan.key, codes):
                by_frame.setdefault(sighting[2].sha256, []).append(sighting)

            def crops_of(sightings: list[tuple]) -> list[tuple]:  # one decode per frame
                image = _decode(sightings[0][2].open_path, sightings[0][0])
                return [(det, frame, _crop_file(out_dir, code, det, frame, plan.name, image))
                        for code, det, frame in sightings]  # fmt: skip

            # OpenCV decodes and encodes without the GIL: frames in parallel.
            with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
                done = [c for crops in pool.map(crops_of, by_frame.values()) for c in crops]
            for det, frame, crop in done:
                if crop is None:
                    continue
                path, digest, text = crop
                add_evidence_file(session=session, detection_id=det.id, kind="crop",
                                  path=str(path), sha256=digest, source_sha256=frame.sha256,
                                  watermark=text)  # fmt: skip
                written += 1
    finally:
        engine.dispose()
    return written


def _decode(path: str, code: str) -> np.ndarray | None:
    from pipeline.errors import BadInputError
    from pipeline.ingest.checks import decode_image

    try:
        return decode_image(path)
    except (BadInputError, OSError) as e:
        log.warning("no evidence crop for %s: %s", code, e)
        return None


def _crop_file(out_dir: Path, code: str, det, frame, flight_name: str, image: np.ndarray | None):
    import cv2

    if image is None:
        return None
    from pipeline.video.ref import video_of_frame

    source = video_of_frame(frame.open_path)
    video = (source.name, source.time_s) if source is not None else None
    text = watermark_text(det.captured_at or frame.captured_at, det.lat_deg, det.lon_deg,
                          flight_name, code, video)  # fmt: skip
    picture = render_crop(image, (det.x0_px, det.y0_px, det.x1_px, det.y1_px), text)
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        log.warning("no evidence crop for %s: JPEG encoding failed", code)
        return None
    data = encoded.tobytes()
    path = out_dir / code / f"{frame.sha256[:12]}_{det.id}.jpg"
    write_atomic(path, data)
    return path, hashlib.sha256(data).hexdigest(), text
