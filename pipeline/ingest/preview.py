"""Previews a camera embeds in its JPEGs (CIPA DC-007 Multi-Picture Format).

DJI cameras store a 960×540 or 960×720 copy of each photo after the main
image, indexed by an ``APP2 "MPF"`` segment. Decoding it takes 2–3 ms where
even a 1/4 DCT-reduced decode of the 9-megapixel frame takes 26 ms, so
stages that only need a small picture of the frame (the yaw check) read it
when it is there and fits.

The preview is an optimisation and never a reason to refuse a frame: any
fault in the index (cut short, offsets outside the file, no JPEG at the
offset) means "no preview" and the caller decodes the main image.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass

from pipeline.errors import UnreadableFileError
from pipeline.ingest.header import jpeg_layout, jpeg_segments

log = logging.getLogger(__name__)

_APP2 = 0xE2
_MPF = b"MPF\x00"
_MP_ENTRY = 0xB002  # MPEntry: 16 bytes per image
_ENTRY_FORMAT = "IIIHH"  # attribute, size, offset, dependent images 1 and 2
#: Widths within this fraction of the main image's aspect ratio count as the same view.
ASPECT_TOLERANCE = 0.01


@dataclass(frozen=True)
class EmbeddedImage:
    """One image after the primary in a Multi-Picture file: where its JPEG lies."""

    offset: int  # from the start of the file
    size: int
    type_code: int  # e.g. 0x010001 large thumbnail (VGA), 0x010002 (full HD)


def embedded_images(data: bytes) -> list[EmbeddedImage]:
    """The secondary images an MPF index lists, each checked to start with a JPEG SOI."""
    try:
        for marker, start, end in jpeg_segments(data):
            if marker == _APP2 and data.startswith(_MPF, start):
                return _entries(data, start + len(_MPF), end)
    except (UnreadableFileError, struct.error) as e:
        log.debug("no embedded preview: %s", e)
    return []


def _entries(data: bytes, base: int, end: int) -> list[EmbeddedImage]:
    """MPEntry records of the MP Index IFD at ``base`` (offsets count from ``base``)."""
    order = {b"II": "<", b"MM": ">"}.get(data[base : base + 2])
    if order is None:
        return []
    (ifd,) = struct.unpack_from(order + "I", data, base + 4)
    (count,) = struct.unpack_from(order + "H", data, base + ifd)
    for k in range(count):
        tag, _type, n, value = struct.unpack_from(order + "HHII", data, base + ifd + 2 + 12 * k)
        if tag != _MP_ENTRY:
            continue
        if base + value + n > end:
            return []
        images = []
        entry = struct.Struct(order + _ENTRY_FORMAT)
        for i in range(1, n // entry.size):  # entry 0 is the primary image itself
            attribute, size, offset, _, _ = entry.unpack_from(data, base + value + i * entry.size)
            at = base + offset
            if offset and at + size <= len(data) and data.startswith(b"\xff\xd8", at):
                images.append(EmbeddedImage(at, size, attribute & 0xFFFFFF))
        return images
    return []


def preview_jpeg(data: bytes, width_px: int, height_px: int, *, min_width_px: int) -> bytes | None:
    """The smallest embedded JPEG at least ``min_width_px`` wide showing the whole frame.

    "The whole frame": the same aspect ratio as the ``width_px × height_px``
    main image (within 1 %) and smaller than it. None when there is none.
    """
    best: tuple[int, bytes] | None = None
    for image in embedded_images(data):
        jpeg = data[image.offset : image.offset + image.size]
        try:
            layout = jpeg_layout(jpeg)
        except UnreadableFileError:
            continue
        w, h = layout.width_px, layout.height_px
        same_view = abs(w * height_px - h * width_px) <= ASPECT_TOLERANCE * w * height_px
        if same_view and min_width_px <= w < width_px and (best is None or w < best[0]):
            best = (w, jpeg)
    return best[1] if best else None
