"""Cheap structural checks on an image's bytes, and a decode that trusts them.

Ingest must run near the speed of ``sha256sum``, so nothing here decodes
pixels: :func:`check_image` reads the header, refuses decompression bombs and
checks that the file is complete (JPEG ends with EOI, PNG with IEND, TIFF
strips lie inside the file). A truncated JPEG passes Pillow's ``verify()``
and OpenCV decodes it into a full-size image with grey rows and only a
stderr warning, so :func:`decode_image` runs the same check first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import BadInputError, UnreadableFileError
from pipeline.ingest import header, sniff

if TYPE_CHECKING:
    import numpy as np

#: Largest frame accepted, in pixels (a 100 MP survey camera is 11664×8750).
DEFAULT_MAX_PIXELS = 250_000_000

#: Smallest side of a frame, in pixels (one JPEG block): cameras write hundreds (thermal
#: frames are 640×512), and OpenCV asserts on a 1 px side instead of finding nothing.
MIN_SIDE_PX = 8
#: OpenCV's decode flag per size reduction (1/2, 1/4, 1/8 through libjpeg's DCT scaling).
REDUCED_FLAGS = {1: "IMREAD_COLOR", 2: "IMREAD_REDUCED_COLOR_2", 4: "IMREAD_REDUCED_COLOR_4",
                 8: "IMREAD_REDUCED_COLOR_8"}  # fmt: skip

#: No JPEG holds more pixels per byte of scan data: every 8×8 block costs at least
#: one bit (its DC code), even in a progressive grey frame: 0.002 bytes a pixel.
MIN_JPEG_BYTES_PER_PX = 0.0015
#: Below this, a JPEG's scan data is checked by a 1/8 DCT-reduced decode before
#: the header is trusted: 475 real frames measured here (Brighton, aerial-cars,
#: river-plastic, aerial-maritime) hold 0.063–0.45 bytes a pixel; a blank frame 0.016.
SUSPECT_JPEG_BYTES_PER_PX = 0.04

_PNG_END = b"IEND\xae\x42\x60\x82"


def check_pixel_count(width_px: int, height_px: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Refuse a header whose pixel count exceeds ``max_pixels`` (a decompression bomb)
    or whose smaller side is under :data:`MIN_SIDE_PX` (not a camera frame)."""
    if min(width_px, height_px) < MIN_SIDE_PX:
        raise BadInputError(
            f"image header gives {width_px}×{height_px} px, under the {MIN_SIDE_PX} px a side "
            "of any camera frame: a stray thumbnail or a damaged header; copy the file again "
            "from the card, or leave it out of the flight folder"
        )
    pixels = width_px * height_px
    if pixels > max_pixels:
        raise BadInputError(
            f"image header claims {width_px}×{height_px} px ({pixels / 1e6:.0f} MP), above the "
            f"{max_pixels / 1e6:.0f} MP limit (possible decompression bomb): check the file, "
            f"or raise max_pixels if the frame is genuine"
        )


def check_image(
    data: bytes, media_type: str, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[int, int]:
    """Check a JPEG/PNG/TIFF is whole and not a bomb; return ``(width_px, height_px)``.

    Raises :class:`UnreadableFileError` (truncated or corrupt structure) or
    :class:`BadInputError` (pixel count above ``max_pixels``).
    """
    if media_type == sniff.JPEG:
        layout = header.jpeg_layout(data)
        check_pixel_count(layout.width_px, layout.height_px, max_pixels)
        check_jpeg_end(data, layout.sos_offset)
        check_jpeg_density(data, layout)
        return layout.width_px, layout.height_px
    size = header.image_size(data, media_type)
    check_pixel_count(*size, max_pixels)
    if media_type == sniff.PNG:
        check_png_end(data)
    elif media_type == sniff.TIFF:
        check_tiff_extent(data)
    return size


def _content_end(data: bytes, tail: bytes) -> int:
    """Length of ``data`` without trailing zero padding (fast when there is none)."""
    if data.endswith(tail):
        return len(data)
    return len(data.rstrip(b"\x00"))


def check_jpeg_end(data: bytes, sos_offset: int) -> None:
    """Require the EOI marker FFD9 after the scan data that starts at ``sos_offset``.

    Bytes after it are allowed: zero padding, and the 1–4 KB of camera data that
    thermal R-JPEGs (M30T, M3T, M3TD, M4T, H30T) write after their EOI. Scan data
    cannot hold FFD9 (an FF in it is followed by 00 or a restart marker), so the
    first FFD9 after the first SOS ends the image; an EOI before the scan (an
    embedded preview's) does not count.
    """
    if data.find(b"\xff\xd9", sos_offset + 2) < 0:
        raise UnreadableFileError(
            f"truncated JPEG: no end-of-image marker (FFD9) at the end of the file "
            f"({len(data)} bytes); the copy is incomplete: copy the file again from the card"
        )


def check_jpeg_density(data: bytes, layout: header.JpegLayout) -> None:
    """Require the scan data to be enough for the pixels the header claims.

    A header patched to 15000×15000 px over 4000×2250 px of data decodes as a
    225 MP image that is 96 % grey fill (2.3 GB). Data below
    :data:`MIN_JPEG_BYTES_PER_PX` is refused outright; below
    :data:`SUSPECT_JPEG_BYTES_PER_PX` a 1/8 reduced decode (one pixel per
    block, 1/64 of the memory) must show no decoder fill.
    """
    width, height = layout.width_px, layout.height_px
    scan_bytes = len(data) - layout.sos_offset
    density = scan_bytes / (width * height)
    if density >= SUSPECT_JPEG_BYTES_PER_PX:
        return
    claim = f"JPEG header claims {width}×{height} px but the file holds {scan_bytes:,} bytes of "
    fix = "the header is damaged or the copy incomplete: copy the file again from the card"
    if density < MIN_JPEG_BYTES_PER_PX:
        raise UnreadableFileError(
            f"{claim}image data, {density:.4f} a pixel, fewer than any JPEG needs "
            f"({MIN_JPEG_BYTES_PER_PX} a pixel); {fix}, or leave it out"
        )
    from pipeline.ingest.greyfill import grey_fill

    fill = grey_fill(_cv2_decode(data, None, reduce=8), block_px=1)
    if fill is not None:
        raise UnreadableFileError(
            f"{claim}image data, too few to fill them: {fill.describe(height, 8)}; {fix}"
        )


def check_png_end(data: bytes) -> None:
    """Require the IEND chunk at the end (zero padding allowed)."""
    end = _content_end(data, _PNG_END)
    if data[end - len(_PNG_END) : end] != _PNG_END:
        raise UnreadableFileError(
            f"truncated PNG: no IEND chunk at the end of the file ({len(data)} bytes); "
            f"the copy is incomplete: copy the file again"
        )


def check_tiff_extent(data: bytes) -> None:
    """Require every strip or tile of IFD0 to lie inside the file."""
    tags = header.tiff_ifd0(data)
    offsets = tags.get(header.TIFF_STRIP_OFFSETS) or tags.get(header.TIFF_TILE_OFFSETS)
    counts = tags.get(header.TIFF_STRIP_COUNTS) or tags.get(header.TIFF_TILE_COUNTS)
    if not offsets or not counts or len(offsets) != len(counts):
        raise UnreadableFileError(
            "corrupt TIFF: IFD0 does not say where its pixel data lies; "
            "the file is damaged: copy it again, or leave it out"
        )
    end = max(o + n for o, n in zip(offsets, counts, strict=True))
    if end > len(data):
        raise UnreadableFileError(
            f"truncated TIFF: pixel data runs to byte {end} but the file has {len(data)} bytes; "
            f"copy the file again"
        )


def decode_image(
    source: Path | str | bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    apply_orientation: bool = False,
    reduce: int = 1,
) -> np.ndarray:
    """Decode a JPEG/PNG/TIFF into a BGR ``uint8`` array of shape ``(H, W, 3)``.

    The structural check runs first, so a truncated file raises
    :class:`UnreadableFileError` instead of coming back with grey rows.
    By default the pixels are as stored (EXIF Orientation not applied), so
    they match ``FrameMeta.width_px``/``height_px`` and the camera model;
    ``apply_orientation=True`` rotates them the way a viewer shows them.
    ``reduce`` (1, 2, 4 or 8) decodes a JPEG at that fraction of its size through
    libjpeg's DCT scaling (``ceil(W / reduce)`` × ``ceil(H / reduce)``; other formats
    are decoded whole and resized to it).
    """
    data = source if isinstance(source, bytes) else _read_bytes(Path(source), max_pixels)
    media_type = sniff.sniff_media_type(data[: sniff.HEAD_BYTES])
    if not sniff.is_ingestible(media_type):
        raise UnreadableFileError(f"cannot decode a {media_type} file: expected JPEG, PNG or TIFF")
    width, height = check_image(data, media_type, max_pixels=max_pixels)
    from pipeline.ingest.greyfill import grey_fill

    if reduce not in REDUCED_FLAGS:
        raise ValueError(f"reduce must be one of {sorted(REDUCED_FLAGS)}, got {reduce}")
    image = _cv2_decode(data, (width, height), apply_orientation=apply_orientation, reduce=reduce)
    fill = grey_fill(image, block_px=8 // reduce) if media_type == sniff.JPEG else None
    if fill is not None:
        raise UnreadableFileError(
            f"corrupt JPEG scan data: {fill.describe(image.shape[0])}; the frame was not "
            "inspected there: copy the file again from the card, or leave it out"
        )
    return image


def _read_bytes(path: Path, max_pixels: int) -> bytes:
    from pipeline.ingest.load import read_image_file

    return read_image_file(path, max_pixels=max_pixels)[1]


def _cv2_decode(
    data: bytes,
    size: tuple[int, int] | None,
    *,
    apply_orientation: bool = False,
    reduce: int = 1,
) -> np.ndarray:
    import cv2
    import numpy as np

    flags = getattr(cv2, REDUCED_FLAGS[reduce])
    if not apply_orientation:
        flags |= cv2.IMREAD_IGNORE_ORIENTATION
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    if image is None:
        raise UnreadableFileError(
            "OpenCV could not decode the image data (corrupt or unsupported encoding)"
        )
    if size is None:
        return image
    width, height = -(-size[0] // reduce), -(-size[1] // reduce)
    if reduce > 1 and image.shape[:2] != (height, width) and not apply_orientation:
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)  # not a JPEG
    if not apply_orientation and image.shape[:2] != (height, width):
        raise UnreadableFileError(
            f"decoded size {image.shape[1]}×{image.shape[0]} px differs from the header's "
            f"{width}×{height} px: the file is corrupt"
        )
    return image
