"""Tell what a file holds from its first bytes, never from its extension.

Flight folders hold more than photos: MP4/MOV videos and their low-resolution
LRF copies, DJI ``.SRT`` subtitle logs, macOS ``._*`` AppleDouble files,
PNGs renamed ``.JPG`` and empty files from an interrupted copy. :func:`sniff_media_type`
names each by content so the scanner can set aside what it cannot ingest.
"""

from __future__ import annotations

import re

JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
WEBP = "image/webp"
HEIC = "image/heic"
HEIF = "image/heif"
AVIF = "image/avif"
GIF = "image/gif"
BMP = "image/bmp"
MP4 = "video/mp4"
QUICKTIME = "video/quicktime"
SRT = "application/x-subrip"
TEXT = "text/plain"
APPLEDOUBLE = "application/x-appledouble"
EMPTY = "inode/x-empty"
UNKNOWN = "application/octet-stream"

#: The media types hehu ingests as frames.
INGESTIBLE: frozenset[str] = frozenset({JPEG, PNG, TIFF})

#: How many leading bytes :func:`sniff_media_type` looks at (more are ignored).
HEAD_BYTES = 4096

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_SRT_CUE = re.compile(r"^\s*\d+\s*\r?\n\s*\d\d:\d\d:\d\d[,.]\d+\s*-->", re.ASCII)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),  # BigTIFF
    (b"MM\x00+", TIFF),
    (b"\x00\x05\x16\x07", APPLEDOUBLE),
    (b"\x00\x05\x16\x00", APPLEDOUBLE),  # AppleSingle: same origin, same fate
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"BM", BMP),
)


def sniff_media_type(head: bytes, name: str = "") -> str:
    """Return the media type of a file from its first bytes (and ``._`` names).

    ``head`` is the start of the file (:data:`HEAD_BYTES` is plenty; the whole
    content works too). ``name`` is the file name: macOS writes its
    AppleDouble companions as ``._<name>``, whatever their bytes hold.
    Returns one of this module's constants; :data:`INGESTIBLE` says which are
    frames.
    """
    if name.startswith("._"):
        return APPLEDOUBLE
    if not head:
        return EMPTY
    head = head[:HEAD_BYTES]
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return _ftyp_media_type(head)
    return _text_media_type(head)


def is_ingestible(media_type: str) -> bool:
    """True for the still-image types hehu reads (JPEG, PNG, TIFF)."""
    return media_type in INGESTIBLE


def _ftyp_media_type(head: bytes) -> str:
    """ISO-BMFF (``ftyp`` box): HEIC/HEIF/AVIF stills or MP4/MOV video."""
    box_size = int.from_bytes(head[0:4], "big")
    end = min(max(box_size, 16), len(head))
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    major = head[8:12]
    if major in _HEIC_BRANDS or (major not in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return HEIC
    if brands & _HEIF_BRANDS:
        return HEIF
    if brands & _AVIF_BRANDS:
        return AVIF
    if major == b"qt  ":
        return QUICKTIME
    return MP4


def _text_media_type(head: bytes) -> str:
    """SRT flight logs and other plain text; anything else is unknown."""
    if b"\x00" in head:
        return UNKNOWN
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 3:  # only a character cut at the end is allowed
            return UNKNOWN
        text = head[: e.start].decode("utf-8-sig")
    if not text or not all(ch.isprintable() or ch in "\r\n\t\f" for ch in text):
        return UNKNOWN
    return SRT if _SRT_CUE.match(text) else TEXT
