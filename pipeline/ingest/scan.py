"""Turn a flight folder into frame records and a list of files set aside.

Each file is opened read-only and read once: the bytes in memory are hashed
(sha256), sniffed, checked and parsed; a file is read whole only when its
header shows it is a plausible frame (:mod:`pipeline.ingest.load`). Nothing
heavier than exifread runs on a frame whose data matches its header, so a scan
costs about what ``sha256sum`` costs over the same files. One bad
file never stops the scan: it becomes a :class:`Quarantined` record whose
reason says what is wrong and what to do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import BadInputError, MissingGeotagError, UnreadableFileError
from pipeline.ingest import reasons, sniff
from pipeline.ingest.checks import DEFAULT_MAX_PIXELS, check_image
from pipeline.ingest.exif import exif_info, read_exif_tags, read_gps
from pipeline.ingest.load import read_image_file
from pipeline.ingest.makers import parse_frame_xmp
from pipeline.ingest.names import display_path
from pipeline.ingest.walk import walk_files
from pipeline.ingest.xmp import dji_properties, find_packet
from pipeline.records import FrameMeta, GpsFix, Quarantined

if TYPE_CHECKING:
    from pipeline.video.ingest import VideoIngest

logger = logging.getLogger(__name__)

DEFAULT_MAX_OFFSET_M = 5000.0
_XMP_SERIAL_KEYS = ("CameraSerialNumber", "DroneSerialNumber")


@dataclass(frozen=True)
class IngestResult:
    """What a scan found: ``frames`` sorted by capture time then path, and
    ``quarantined`` (files set aside, with reasons) sorted by path."""

    frames: tuple[FrameMeta, ...]
    quarantined: tuple[Quarantined, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"frames": [...], "quarantined": [...]}``."""
        return {
            "frames": [f.to_dict() for f in self.frames],
            "quarantined": [q.to_dict() for q in self.quarantined],
        }


def read_frame(
    path: Path,
    data: bytes | None = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    require_gps: bool = False,
) -> FrameMeta:
    """Read one image's metadata; ``data`` is its bytes if already in memory.

    Raises a :class:`BadInputError` subclass whose message is the reason:
    :class:`UnreadableFileError` for unreadable, truncated or corrupt files,
    :class:`BadInputError` for non-images and decompression bombs, and,
    with ``require_gps``, :class:`MissingGeotagError` for a missing or
    invalid GPS position. Without ``require_gps`` such a frame comes back
    with ``gps=None`` and a logged warning.
    """
    path = Path(path)
    if data is None:
        _, data, _ = read_image_file(path, max_pixels=max_pixels)
    digest = hashlib.sha256(data).hexdigest()
    return frame_from_bytes(path, data, digest, max_pixels=max_pixels, require_gps=require_gps)


def frame_from_bytes(
    path: Path, data: bytes, digest: str, *, max_pixels: int, require_gps: bool
) -> FrameMeta:
    """The metadata of an image already in memory whose sha256 is ``digest``.

    Everything :func:`read_frame` does but reading and hashing; raises likewise.
    """
    media_type = sniff.sniff_media_type(data[: sniff.HEAD_BYTES], path.name)
    if not sniff.is_ingestible(media_type):
        raise BadInputError(reasons.not_an_image(media_type))
    width, height = check_image(data, media_type, max_pixels=max_pixels)
    tags = read_exif_tags(data)
    gps = _gps_or_none(tags, path, require_gps)
    packet = find_packet(data, media_type)
    info = exif_info(tags)
    if info.serial is None and packet is not None:
        props = dji_properties(packet)
        serial = next(
            (props[k].strip() for k in _XMP_SERIAL_KEYS if props.get(k, "").strip()), None
        )
        info = dataclasses.replace(info, serial=serial)
    return FrameMeta(
        path=str(path),
        sha256=digest,
        size_bytes=len(data),
        media_type=media_type,
        width_px=width,
        height_px=height,
        gps=gps,
        xmp=parse_frame_xmp(packet) if packet is not None else None,
        **dataclasses.asdict(info),
    )


def _gps_or_none(tags: dict[str, Any], path: Path, require_gps: bool) -> GpsFix | None:
    try:
        return read_gps(tags, source=str(path))
    except MissingGeotagError as e:
        if require_gps:
            raise
        logger.warning("%s: %s", display_path(path), e)
        return None


def scan_flight(
    root: Path,
    *,
    max_offset_m: float = DEFAULT_MAX_OFFSET_M,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    require_gps: bool = True,
    videos: VideoIngest | None = None,
) -> IngestResult:
    """Ingest every file under ``root`` (recursively) without modifying any.

    With ``videos``, an MP4/MOV beside its SRT log becomes frames sampled from it
    (:mod:`pipeline.video.ingest`); without, videos are set aside like other non-stills.

    Each file is read once. Set aside, each with its reason: empty files,
    non-images (video, SRT, text, HEIC, ``._*`` AppleDouble), byte-identical
    duplicates (the first path in walk order is kept), truncated or corrupt
    images, headers above ``max_pixels``, frames without a usable GPS
    position (only with ``require_gps``), frames more than
    and frames more than ``max_offset_m`` metres (haversine) from the flight's
    median position. Paths in the frame records are ``root`` joined with the
    relative path, exactly as the file system gave them (a name that is not
    UTF-8 keeps its bytes as surrogates, so the frame opens; the ledger stores it
    as :func:`~pipeline.ingest.names.stored_name` says); a set-aside file's path
    is shown with undecodable bytes and control characters escaped
    (:func:`~pipeline.ingest.names.display_path`).
    """
    root = Path(root)
    if not root.is_dir():
        raise UnreadableFileError(f"flight folder {root} does not exist or is not a folder")
    frames, quarantined = _scan_files(root, max_pixels, require_gps, videos)
    kept, far = split_outliers(frames, max_offset_m)
    quarantined += far
    for q in quarantined:  # commands print them (hehu ingest, the run summary, the report)
        logger.debug("set aside %s: %s", q.path, q.reason)
    logger.info("%s: %d frames ingested, %d files set aside", display_path(root), len(kept),
                len(quarantined))  # fmt: skip
    return IngestResult(
        frames=tuple(sorted(kept, key=capture_order)),
        quarantined=tuple(sorted(quarantined, key=lambda q: q.path)),
    )


def first_usable_frame(
    root: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[FrameMeta | None, list[Quarantined]]:
    """Walk ``root`` up to its first frame with a GPS position: that frame (``None`` when
    there is none) and the files set aside before it. A cheap look before a long run."""
    quarantined: list[Quarantined] = []
    for entry in walk_files(root):
        if entry.reason is not None:
            quarantined.append(Quarantined(display_path(entry.path), entry.reason))
            continue
        outcome = _ingest_file(entry.path, {}, max_pixels, True)
        if isinstance(outcome, FrameMeta):
            return outcome, quarantined
        quarantined.append(outcome)
    return None, quarantined


def _scan_files(
    root: Path, max_pixels: int, require_gps: bool, videos: VideoIngest | None = None
) -> tuple[list[FrameMeta], list[Quarantined]]:
    """Every file under ``root`` in walk order, as a frame or a quarantine record."""
    frames: list[FrameMeta] = []
    quarantined: list[Quarantined] = []
    first_seen: dict[str, Path] = {}
    for entry in walk_files(root):
        if entry.reason is not None:
            quarantined.append(Quarantined(display_path(entry.path), entry.reason))
            continue
        if videos is not None and videos.is_video(entry.path):
            sampled, set_aside = videos.take(entry.path)
            frames += sampled
            quarantined += set_aside
            continue
        outcome = _ingest_file(entry.path, first_seen, max_pixels, require_gps)
        if isinstance(outcome, FrameMeta):
            frames.append(outcome)
        else:
            quarantined.append(outcome)
    if videos is not None:
        quarantined = [q for q in quarantined if videos.keep_set_aside(q)]
    return frames, quarantined


def _ingest_file(
    path: Path, first_seen: dict[str, Path], max_pixels: int, require_gps: bool
) -> FrameMeta | Quarantined:
    """One file to a frame or a quarantine record; never raises for bad input."""
    try:
        media_type, data, size = read_image_file(path, max_pixels=max_pixels)
    except BadInputError as e:  # unreadable, or larger than its header's pixels can need
        return Quarantined(display_path(path), str(e), size_bytes=_size_or_none(path))
    if not sniff.is_ingestible(media_type):
        return Quarantined(display_path(path), reasons.not_an_image(media_type), size_bytes=size)
    digest = hashlib.sha256(data).hexdigest()
    if digest in first_seen:
        return Quarantined(display_path(path), reasons.duplicate(first_seen[digest]), digest, size)
    first_seen[digest] = path
    try:
        return frame_from_bytes(path, data, digest, max_pixels=max_pixels, require_gps=require_gps)
    except BadInputError as e:
        return Quarantined(display_path(path), str(e), digest, size)
    except Exception as e:  # a bug or a library crash must not stop the flight
        logger.exception("unexpected error reading %s", display_path(path))
        reason = f"unexpected error while reading ({type(e).__name__}: {e}); please report it"
        return Quarantined(display_path(path), reason, digest, size)


def _size_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def capture_order(frame: FrameMeta) -> tuple[bool, str, float, str]:
    """Sort key: capture time (with sub-seconds), frames without one last, then path."""
    subsec = frame.subsec or ""
    fraction = float(f"0.{subsec}") if subsec.isdigit() else 0.0
    return frame.captured_at is None, frame.captured_at or "", fraction, frame.path


def flight_centre(points: Iterable[tuple[float, float]]) -> tuple[float, float]:
    """The flight's median position: the ``(lat, lon)`` point nearest the
    per-axis median, so the centre is a real frame even with two frames.
    Longitudes are unwrapped into the smallest arc holding them first, so a
    flight across the antimeridian has its median there, not at 0°."""
    from pipeline.geo.coords import haversine_m, lon_arc_deg  # numpy: not on `import pipeline`

    pts = list(points)
    west, _ = lon_arc_deg(p[1] for p in pts)
    lon = statistics.median(west + (p[1] - west) % 360.0 for p in pts)
    lat = statistics.median(p[0] for p in pts)
    return min(pts, key=lambda p: haversine_m(p[0], p[1], lat, lon))


def split_outliers(
    frames: list[FrameMeta], max_offset_m: float
) -> tuple[list[FrameMeta], list[Quarantined]]:
    """Frames within ``max_offset_m`` of the flight centre, and the rest set aside.

    Frames without GPS are kept (they only exist with ``require_gps=False``).
    """
    located = [(f.gps.lat_deg, f.gps.lon_deg) for f in frames if f.gps is not None]
    if len(located) < 2:
        return list(frames), []
    from pipeline.geo.coords import haversine_m

    centre = flight_centre(located)
    kept: list[FrameMeta] = []
    far: list[Quarantined] = []
    for f in frames:
        d = haversine_m(*centre, f.gps.lat_deg, f.gps.lon_deg) if f.gps is not None else 0.0
        if d > max_offset_m:
            reason = reasons.far_from_flight(d, max_offset_m, centre)
            far.append(Quarantined(display_path(f.path), reason, f.sha256, f.size_bytes))
        else:
            kept.append(f)
    return kept, far
