"""Read an image's true pixel size from its header, without decoding it.

EXIF ``ExifImageWidth`` says what the camera wrote; a frame resized after
capture keeps that claim while its pixels change. The stored size comes from
the JPEG SOF segment, the PNG IHDR chunk or the TIFF IFD0, read here in
microseconds. Functions raise :class:`UnreadableFileError` with the reason
when a header is broken.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.errors import UnreadableFileError
from pipeline.ingest import sniff

# SOFn markers that carry the frame size (not DHT C4, JPG C8, DAC CC).
_SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field
_SOS, _EOI, _APP1 = 0xDA, 0xD9, 0xE1
_RECOPY = "; the copy is incomplete: copy the file again from the card"
_DAMAGED = "; the file is damaged: copy it again from the card, or leave it out"

# TIFF tags read from IFD0 and the byte width of the integer types they use.
TIFF_WIDTH, TIFF_LENGTH = 256, 257
TIFF_STRIP_OFFSETS, TIFF_STRIP_COUNTS = 273, 279
TIFF_TILE_OFFSETS, TIFF_TILE_COUNTS = 324, 325
TIFF_XMP = 700  # XMLPacket: read as (offset, length) of the packet bytes
_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
_TIFF_TAGS = frozenset(
    {
        TIFF_WIDTH,
        TIFF_LENGTH,
        TIFF_STRIP_OFFSETS,
        TIFF_STRIP_COUNTS,
        TIFF_TILE_OFFSETS,
        TIFF_TILE_COUNTS,
    }
)
_TIFF_INT_TYPES = {1: "B", 3: "H", 4: "I"}  # BYTE, SHORT, LONG


@dataclass(frozen=True)
class JpegLayout:
    """Where a JPEG's parts are. ``sos_offset`` is the byte offset of the first
    Start-Of-Scan marker (entropy-coded data follows it)."""

    width_px: int
    height_px: int
    sos_offset: int
    has_exif: bool


def jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """``(marker, body_start, body_end)`` of each JPEG segment from SOI to the
    first SOS (included: its body is the scan header), without copying bodies.

    Raises :class:`UnreadableFileError` when SOI is missing, a segment runs
    past the end of the file, or EOI comes before any image data.
    """
    if not data.startswith(b"\xff\xd8"):
        raise UnreadableFileError(
            f"not a JPEG: the file does not start with the SOI marker FFD8{_DAMAGED}"
        )
    pos = 2
    while True:
        marker, pos = _next_marker(data, pos)
        if marker in _STANDALONE:
            continue
        if marker == _EOI:
            raise UnreadableFileError(
                f"JPEG ends (EOI at byte {pos - 2}) before any image data{_DAMAGED}"
            )
        length = _segment_length(data, pos, marker)
        yield marker, pos + 2, pos + length
        if marker == _SOS:
            return
        pos += length


def jpeg_layout(data: bytes) -> JpegLayout:
    """Size, EXIF presence and scan offset from the JPEG markers up to the first SOS."""
    size: tuple[int, int] | None = None
    has_exif = False
    for marker, start, end in jpeg_segments(data):
        if marker in _SOF_MARKERS:
            size = _sof_size(data[start:end])
        elif marker == _APP1 and data.startswith(b"Exif\x00", start):
            has_exif = True
        elif marker == _SOS and size is not None:
            return JpegLayout(size[0], size[1], start - 4, has_exif)
    raise UnreadableFileError(f"JPEG has image data (SOS) but no frame header (SOF){_DAMAGED}")


def _next_marker(data: bytes, pos: int) -> tuple[int, int]:
    """The marker byte at ``pos`` (fill bytes FF skipped) and the offset after it."""
    if pos >= len(data):
        raise UnreadableFileError(
            f"truncated JPEG: the file ends at byte {len(data)} inside the header{_RECOPY}"
        )
    if data[pos] != 0xFF:
        raise UnreadableFileError(
            f"corrupt JPEG header: expected a marker at byte {pos}, "
            f"found {data[pos]:#04x}{_DAMAGED}"
        )
    while pos < len(data) and data[pos] == 0xFF:
        pos += 1
    if pos >= len(data):
        raise UnreadableFileError(f"truncated JPEG: the file ends inside a marker{_RECOPY}")
    return data[pos], pos + 1


def _segment_length(data: bytes, pos: int, marker: int) -> int:
    """The length field at ``pos`` (it counts itself), checked against the file size."""
    if pos + 2 > len(data):
        raise UnreadableFileError(
            f"truncated JPEG: the file ends inside segment FF{marker:02X}{_RECOPY}"
        )
    length = int.from_bytes(data[pos : pos + 2], "big")
    if length < 2 or pos + length > len(data):
        raise UnreadableFileError(
            f"truncated JPEG: segment FF{marker:02X} at byte {pos - 2} claims {length} bytes, "
            f"past the end of the file ({len(data)} bytes){_RECOPY}"
        )
    return length


def _sof_size(body: bytes) -> tuple[int, int]:
    if len(body) < 5:
        raise UnreadableFileError(f"corrupt JPEG: frame header (SOF) too short{_DAMAGED}")
    height, width = struct.unpack(">HH", body[1:5])
    if width == 0 or height == 0:
        raise UnreadableFileError(
            f"corrupt JPEG: frame header gives a size of {width}×{height} px{_DAMAGED}"
        )
    return width, height


def png_size(data: bytes) -> tuple[int, int]:
    """``(width_px, height_px)`` from the PNG IHDR chunk."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise UnreadableFileError(f"corrupt PNG: the IHDR chunk is missing or cut short{_DAMAGED}")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise UnreadableFileError(
            f"corrupt PNG: IHDR gives a size of {width}×{height} px{_DAMAGED}"
        )
    return width, height


def tiff_ifd0(data: bytes) -> dict[int, tuple[int, ...]]:
    """The tags of a classic TIFF's first IFD that locate its pixels and XMP.

    Returns tag -> values for :data:`_TIFF_TAGS`, and ``TIFF_XMP ->
    (offset, length)`` when the IFD holds an XMP packet. BigTIFF is refused.
    """
    if data[:4] in (b"II+\x00", b"MM\x00+"):
        raise UnreadableFileError(
            "BigTIFF is not supported: save the frame as JPEG or classic TIFF"
        )
    endian = "<" if data[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(endian + "I", data, 4)
        (count,) = struct.unpack_from(endian + "H", data, ifd)
        return dict(_tiff_entries(data, endian, ifd + 2, count))
    except struct.error as e:
        raise UnreadableFileError(
            f"truncated TIFF: the first IFD lies past the end of the file ({e}){_RECOPY}"
        ) from e


def _tiff_entries(
    data: bytes, endian: str, pos: int, count: int
) -> Iterator[tuple[int, tuple[int, ...]]]:
    for _ in range(count):
        tag, typ, n, raw = struct.unpack_from(endian + "HHI4s", data, pos)
        pos += 12
        if tag == TIFF_XMP and typ in (1, 7) and n > 4:  # BYTE/UNDEFINED at an offset
            yield tag, (struct.unpack(endian + "I", raw)[0], n)
        if tag not in _TIFF_TAGS or typ not in _TIFF_INT_TYPES:
            continue
        fmt = _TIFF_INT_TYPES[typ]
        width = struct.calcsize(fmt)
        if n * width <= 4:
            values = struct.unpack_from(f"{endian}{n}{fmt}", raw)
        else:
            (offset,) = struct.unpack(endian + "I", raw)
            values = struct.unpack_from(f"{endian}{n}{fmt}", data, offset)
        yield tag, values


def tiff_size(data: bytes) -> tuple[int, int]:
    """``(width_px, height_px)`` from a TIFF's first IFD."""
    tags = tiff_ifd0(data)
    width = tags.get(TIFF_WIDTH, (0,))[0]
    height = tags.get(TIFF_LENGTH, (0,))[0]
    if width == 0 or height == 0:
        raise UnreadableFileError(
            f"corrupt TIFF: IFD0 gives a size of {width}×{height} px{_DAMAGED}"
        )
    return width, height


def image_size(data: bytes, media_type: str) -> tuple[int, int]:
    """``(width_px, height_px)`` stored in the header of a JPEG, PNG or TIFF."""
    if media_type == sniff.JPEG:
        layout = jpeg_layout(data)
        return layout.width_px, layout.height_px
    if media_type == sniff.PNG:
        return png_size(data)
    if media_type == sniff.TIFF:
        return tiff_size(data)
    raise UnreadableFileError(f"cannot read the pixel size of a {media_type} file")


def embedded_xmp(data: bytes, media_type: str) -> bytes | None:
    """The XMP segment's bytes where the format says it is: the JPEG APP1
    ``http://ns.adobe.com/xap/1.0/`` segment or the TIFF XMLPacket tag.

    For packets that a plain search of the file's start does not reach
    (a long EXIF block before it, or XMP after a TIFF's pixel data).
    """
    if media_type == sniff.JPEG:
        for marker, start, end in jpeg_segments(data):
            if marker == _APP1 and data.startswith(_XMP_APP1, start):
                return data[start + len(_XMP_APP1) : end]
        return None
    if media_type == sniff.TIFF:
        where = tiff_ifd0(data).get(TIFF_XMP)
        return data[where[0] : where[0] + where[1]] if where else None
    return None
