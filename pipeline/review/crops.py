"""Evidence images cut on the fly from the original frames, which are only ever read.

A crop is the detection's box with context around it (``context`` times the
box size on each side, at least ``min_px`` square), scaled to at most
``max_side`` pixels, the box drawn on it. A frame view is the whole frame
scaled down with every box of one issue drawn. Before cutting, the frame's
bytes are checked against the sha256 the ledger recorded, so an image shown
as evidence provably comes from that untouched photo; a changed or missing
file raises :class:`FrameUnavailableError` and the page shows a placeholder.

Results are cached as JPEG files named by the sha256 of (frame sha256,
boxes, parameters) under the app's state folder, written atomically.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import UnreadableFileError
from pipeline.fileio import write_atomic
from pipeline.ingest.names import display_path

log = logging.getLogger(__name__)

CACHE_VERSION = "1"
#: Box colours (BGR) per 四乱 type; other boxes grey.
TYPE_COLOURS = {
    "luanzhan": (0, 140, 255),
    "luancai": (0, 200, 230),
    "luandui": (40, 40, 230),
    "luanjian": (200, 60, 200),
}
HIGHLIGHT = (60, 230, 60)


class FrameUnavailableError(UnreadableFileError):
    """The original frame is missing, unreadable, or no longer the file the ledger recorded."""


@dataclass(frozen=True)
class Box:
    """A box in the frame's stored pixels, with the 四乱 type that colours it."""

    xyxy_px: tuple[float, float, float, float]
    type: str | None = None
    highlight: bool = False


def _cache_path(cache_dir: Path, *parts: object) -> Path:
    key = hashlib.sha256(":".join(map(str, (CACHE_VERSION, *parts))).encode()).hexdigest()
    return cache_dir / key[:2] / f"{key}.jpg"


def read_original(path: str, sha256: str) -> np.ndarray:
    """The frame's pixels (BGR, stored orientation), after checking its sha256.

    ``path`` opens the file (a ledger frame's :attr:`~pipeline.ledger.models.Frame.open_path`).
    """
    import cv2

    shown = display_path(path)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise FrameUnavailableError(f"original frame {shown} cannot be read: {e.strerror}") from e
    if hashlib.sha256(data).hexdigest() != sha256:
        raise FrameUnavailableError(
            f"{shown} is no longer the frame the ledger recorded (sha256 differs); "
            "evidence is only cut from the untouched original"
        )
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None:
        raise FrameUnavailableError(f"{shown} cannot be decoded as an image")
    return image


def _encode(image: np.ndarray, quality: int = 85) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise FrameUnavailableError("JPEG encoding failed")
    return buf.tobytes()


def crop_window(
    xyxy_px: Sequence[float],
    width_px: int,
    height_px: int,
    *,
    context: float,
    min_px: int,
    aspect: float = 4 / 3,
) -> tuple[int, int, int, int]:
    """Integer ``(x0, y0, x1, y1)`` of the crop around a box, inside the frame.

    The box plus ``context`` times its size on each side, at least ``min_px``
    high, widened or heightened to ``aspect`` (width / height) so crops tile
    evenly on the page; shifted (not shrunk) to stay inside the frame.
    """
    x0, y0, x1, y1 = xyxy_px
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    side_w = w * (1 + 2 * context)
    side_h = max(h * (1 + 2 * context), float(min_px))
    side_w, side_h = max(side_w, side_h * aspect), max(side_h, side_w / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    side_w, side_h = min(side_w, width_px), min(side_h, height_px)
    left = round(min(max(cx - side_w / 2, 0), width_px - side_w))
    top = round(min(max(cy - side_h / 2, 0), height_px - side_h))
    return left, top, left + round(side_w), top + round(side_h)


def _draw(image: np.ndarray, boxes: Sequence[Box], offset: tuple[int, int], scale: float) -> None:
    import cv2

    thickness = max(2, round(max(image.shape[:2]) / 300))
    for box in boxes:
        x0, y0, x1, y1 = box.xyxy_px
        p0 = (int((x0 - offset[0]) * scale), int((y0 - offset[1]) * scale))
        p1 = (int((x1 - offset[0]) * scale), int((y1 - offset[1]) * scale))
        colour = HIGHLIGHT if box.highlight else TYPE_COLOURS.get(box.type or "", (160, 160, 160))
        cv2.rectangle(image, p0, p1, (0, 0, 0), thickness + 2)
        cv2.rectangle(image, p0, p1, colour, thickness)


def _scaled(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    import cv2

    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image), scale


def crop_jpeg(
    *,
    frame_path: str,
    frame_sha256: str,
    box: Box,
    others: Sequence[Box] = (),
    cache_dir: Path,
    context: float = 1.0,
    min_px: int = 320,
    max_side: int = 480,
) -> bytes:
    """JPEG bytes of a crop around ``box`` (``others``: more boxes drawn if inside)."""
    path = _cache_path(
        cache_dir, "crop", frame_sha256, box, tuple(others), context, min_px, max_side
    )
    if path.is_file():
        return path.read_bytes()
    image = read_original(frame_path, frame_sha256)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = crop_window(box.xyxy_px, w, h, context=context, min_px=min_px)
    piece, scale = _scaled(image[y0:y1, x0:x1].copy(), max_side)
    _draw(piece, [*others, box], (x0, y0), scale)
    data = _encode(piece)
    write_atomic(path, data)
    return data


def frame_jpeg(
    *,
    frame_path: str,
    frame_sha256: str,
    boxes: Sequence[Box],
    cache_dir: Path,
    max_side: int = 1600,
) -> bytes:
    """JPEG bytes of the whole frame, scaled to ``max_side``, with ``boxes`` drawn."""
    path = _cache_path(cache_dir, "frame", frame_sha256, tuple(boxes), max_side)
    if path.is_file():
        return path.read_bytes()
    image, scale = _scaled(read_original(frame_path, frame_sha256), max_side)
    _draw(image, boxes, (0, 0), scale)
    data = _encode(image, quality=82)
    write_atomic(path, data)
    return data


def placeholder_svg(text: str, width: int = 320, height: int = 240) -> bytes:
    """A grey image saying why there is no picture."""
    from html import escape

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="#e5e7eb"/>'
        f'<text x="50%" y="50%" font-family="sans-serif" font-size="14" fill="#6b7280" '
        f'text-anchor="middle" dominant-baseline="middle">{escape(text)}</text></svg>'
    ).encode()
