"""Ingest: a folder of drone photos to :class:`~pipeline.records.FrameMeta` records.

Public API::

    scan_flight(root, *, max_offset_m=5000.0, max_pixels=250_000_000, require_gps=True)
        -> IngestResult(frames, quarantined)
    read_frame(path, data=None, *, max_pixels=250_000_000, require_gps=False) -> FrameMeta
    decode_image(path_or_bytes, *, max_pixels=..., apply_orientation=False) -> np.ndarray
    sniff_media_type(head, name="") -> media type string ("image/jpeg", "video/mp4", ...)

Importing this package loads only the standard library: exifread, OpenCV and
numpy load inside the functions that need them.
"""

from __future__ import annotations

from pipeline.ingest.checks import DEFAULT_MAX_PIXELS, check_image, decode_image
from pipeline.ingest.scan import IngestResult, read_frame, scan_flight
from pipeline.ingest.sniff import INGESTIBLE, sniff_media_type
from pipeline.ingest.xmp import parse_dji_xmp, read_dji_xmp

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "INGESTIBLE",
    "IngestResult",
    "check_image",
    "decode_image",
    "parse_dji_xmp",
    "read_dji_xmp",
    "read_frame",
    "scan_flight",
    "sniff_media_type",
]
