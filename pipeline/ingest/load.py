"""Read a user's image file without trusting its size.

A file is read whole only once its header has shown it is a plausible frame:
its pixel count within ``max_pixels`` and its size within what that many
pixels can take (:func:`max_file_bytes`). A 6 GiB file behind a JPEG header
is set aside after reading its first few MiB, not loaded into memory, and
the read itself stops at the limit, so a file that grows while it is read
(a copy still under way) cannot take more either.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.errors import BadInputError, UnreadableFileError
from pipeline.ingest import header, reasons, sniff
from pipeline.ingest.checks import DEFAULT_MAX_PIXELS, check_pixel_count

#: How much of a file is read to find its header (thermal R-JPEGs carry up to
#: 2.6 MB of radiometric data in APP3 segments before the image data).
HEAD_READ_BYTES = 4 << 20
#: The most bytes a pixel takes: a JPEG of noise at quality 100 with 4:4:4
#: chroma is 4.1 (measured); PNG/TIFF up to four 32-bit float channels.
MAX_BYTES_PER_PX = {sniff.JPEG: 6, sniff.PNG: 16, sniff.TIFF: 16}
#: Room for what follows or precedes the pixels: EXIF, XMP, DJI's embedded
#: previews, thermal data.
ALLOWANCE_BYTES = 32 << 20


def max_file_bytes(media_type: str, width_px: int, height_px: int) -> int:
    """The largest file a ``width_px × height_px`` image of this type can plausibly be."""
    return width_px * height_px * MAX_BYTES_PER_PX.get(media_type, 16) + ALLOWANCE_BYTES


def read_image_file(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[str, bytes, int]:
    """``(media_type, data, size_bytes)`` of a file.

    ``data`` is the whole file for an ingestible image, its first
    :data:`sniff.HEAD_BYTES` otherwise. Raises :class:`UnreadableFileError`
    when the file cannot be read, :class:`BadInputError` when it is larger
    than its header's pixels can need or claims more than ``max_pixels``.
    """
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(min(size, HEAD_READ_BYTES) or sniff.HEAD_BYTES)
            media_type = sniff.sniff_media_type(head[: sniff.HEAD_BYTES], Path(path).name)
            if not sniff.is_ingestible(media_type):
                return media_type, head[: sniff.HEAD_BYTES], size
            limit = _read_limit(head, media_type, size, max_pixels)
            if len(head) >= size:
                return media_type, head, len(head)
            fh.seek(0)
            data = fh.read(limit + 1)
    except OSError as e:
        raise UnreadableFileError(reasons.unreadable(e)) from e
    if len(data) > limit:
        raise BadInputError(reasons.grew_while_read(len(data), limit))
    return media_type, data, len(data)


def _read_limit(head: bytes, media_type: str, size: int, max_pixels: int) -> int:
    """How many bytes the file may have, from the header in ``head``; raises past it."""
    width: int | None
    height: int | None
    try:
        width, height = header.image_size(head, media_type)
    except UnreadableFileError:
        if len(head) >= size:
            return size  # the whole file is here: the checks that follow say what is wrong
        width = height = None
    if width is None or height is None:
        limit = HEAD_READ_BYTES + ALLOWANCE_BYTES
        if size > limit:
            raise BadInputError(reasons.no_header_in_head(size, len(head), limit))
        return limit
    check_pixel_count(width, height, max_pixels)
    limit = max_file_bytes(media_type, width, height)
    if size > limit:
        raise BadInputError(reasons.too_large_for_header(size, width, height, limit))
    return limit
