"""A sighting's pictures for the dossier: its watermarked evidence crop and a full-frame thumbnail.

The crop is the one the flight's processing recorded (``evidence_file``, kind ``crop``)
when that file is still there with the sha256 recorded; otherwise it is cut now from the
original, after the original's sha256 was checked against the ledger
(:func:`pipeline.review.crops.read_original`), with the same box and watermark (time,
WGS-84 position, flight, code) as processing draws (:mod:`pipeline.evidence_crops`).
The thumbnail is the whole original, scaled down, the sighting's box drawn. A missing
or changed original leaves both empty and says why; a recorded crop is still shown.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.evidence_crops import render_crop, watermark_text
from pipeline.review.crops import FrameUnavailableError, read_original

if TYPE_CHECKING:
    from pipeline.dossier.content import Sighting

log = logging.getLogger(__name__)

THUMB_MAX_PX = 800  # ~88 mm wide on the page: about 230 dpi
BOX_BGR = (0, 0, 255)


@dataclass(frozen=True)
class Pictures:
    """JPEG bytes of a sighting's crop and thumbnail (``None`` when they could not be made)."""

    crop: bytes | None
    crop_name: str
    crop_recorded: bool  # the crop processing recorded, else cut now
    watermark: str | None
    thumbnail: bytes | None
    original_ok: bool  # the original was read and matched its recorded sha256
    problem: str | None = None  # why the original could not be used


#: A sighting's pictures before :func:`pipeline.dossier.content.with_pictures` made them.
NOT_MADE = Pictures(None, "", False, None, None, False, "pictures not made yet")


@dataclass(frozen=True)
class RecordedCrop:
    """The crop processing recorded for a detection (``evidence_file``, kind ``crop``)."""

    path: str
    sha256: str
    watermark: str | None


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise FrameUnavailableError("JPEG encoding failed")
    return buf.tobytes()


def thumbnail(image: np.ndarray, xyxy_px: tuple[float, float, float, float]) -> bytes:
    """The whole frame at most :data:`THUMB_MAX_PX` a side with the box drawn (JPEG)."""
    import cv2

    h, w = image.shape[:2]
    scale = min(1.0, THUMB_MAX_PX / max(h, w))
    small = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    x0, y0, x1, y1 = (round(v * scale) for v in xyxy_px)
    cv2.rectangle(small, (x0, y0), (x1, y1), BOX_BGR, max(2, round(max(small.shape) / 250)))
    return _jpeg(small, 80)


def _recorded_crop(recorded: RecordedCrop | None) -> bytes | None:
    """The recorded crop's bytes when the file is there and still has its recorded sha256."""
    if recorded is None:
        return None
    try:
        data = Path(recorded.path).read_bytes()
    except OSError as e:
        log.warning("recorded crop %s cannot be read: %s", recorded.path, e.strerror)
        return None
    if hashlib.sha256(data).hexdigest() != recorded.sha256:
        log.warning("recorded crop %s changed since it was recorded: cut anew", recorded.path)
        return None
    return data


def sighting_pictures(s: Sighting, code: str) -> Pictures:
    """The pictures of sighting ``s`` (:class:`pipeline.dossier.content.Sighting`) of issue
    ``code``."""
    try:
        image: np.ndarray | None = read_original(s.frame_open_path, s.frame_sha256)
        problem = None
    except FrameUnavailableError as e:
        image, problem = None, str(e)
    recorded = s.recorded_crop
    crop = _recorded_crop(recorded)
    if recorded is not None and crop is not None:
        name, text, from_record = Path(recorded.path).name, recorded.watermark, True
    else:
        name = f"{s.frame_sha256[:12]}_{s.detection_id}.jpg"
        text = watermark_text(s.captured_at, s.lat, s.lon, s.flight, code)
        crop = None if image is None else _jpeg(render_crop(image, s.xyxy_px, text), 90)
        from_record = False
    return Pictures(
        crop=crop, crop_name=name, crop_recorded=from_record, watermark=text,
        thumbnail=None if image is None else thumbnail(image, s.xyxy_px),
        original_ok=image is not None, problem=problem,
    )  # fmt: skip
