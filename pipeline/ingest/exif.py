"""EXIF fields of a frame, read with exifread from bytes already in memory.

exifread is imported inside :func:`read_exif_tags` so ``import pipeline``
stays cheap, and always runs with ``details=False``: DJI makernotes crash it
otherwise (ianare/exif-py#254). The edge cases follow ODM's
``opendm/photo.py``: zero-denominator rationals (``0/0``) mean "no value",
never a number; a missing GPS Ref is assumed N/E with a warning; GPSAltitudeRef
1 means below sea level; an undecodable Make is dropped with a warning.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.errors import MissingDependencyError, MissingGeotagError, UnreadableFileError
from pipeline.records import GpsFix

logger = logging.getLogger(__name__)

_DATETIME_FORMATS = (
    "%Y:%m:%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y:%m:%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
)
_SERIAL_TAGS = ("EXIF BodySerialNumber", "Image CameraSerialNumber", "Image Tag 0xC62F")
_NO_FIX_HINT = (
    "the camera had no GPS fix when it took the photo; wait for a GPS fix before "
    "flying, or geotag the photo"
)
_NO_GPS_HINT = (
    "use the original file from the card (editing, exporting or grabbing video frames "
    "drops EXIF GPS), or geotag the photo"
)


@dataclass(frozen=True)
class ExifInfo:
    """The non-GPS EXIF fields :class:`~pipeline.records.FrameMeta` carries.

    ``captured_at`` is DateTimeOriginal (else DateTimeDigitized) as ISO-8601
    local camera time; ``gps_time_utc`` is GPSDateStamp + GPSTimeStamp in UTC.
    ``exif_width_px`` is what EXIF claims, not the stored size.
    """

    orientation: int | None = None
    captured_at: str | None = None
    subsec: str | None = None
    gps_time_utc: str | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    focal_mm: float | None = None
    focal_35mm: float | None = None
    focal_plane_x_res: float | None = None
    focal_plane_res_unit: int | None = None
    exif_width_px: int | None = None


def read_exif_tags(data: bytes) -> dict[str, Any]:
    """All EXIF tags of an image's bytes, keyed ``"IFD Name"`` (exifread's form).

    Returns ``{}`` when the file carries no EXIF (most PNGs). Raises
    :class:`UnreadableFileError` when the EXIF block is corrupt.
    """
    try:
        import exifread
    except ImportError as e:
        raise MissingDependencyError("reading EXIF needs exifread: pip install exifread") from e
    try:
        return exifread.process_file(io.BytesIO(data), details=False, extract_thumbnail=False)
    except Exception as e:  # exifread raises many types on corrupt IFDs
        raise UnreadableFileError(
            f"the EXIF block is corrupt ({type(e).__name__}: {e}); "
            "use the original file from the card"
        ) from e


def exif_info(tags: dict[str, Any]) -> ExifInfo:
    """The camera, time, focal and size fields of a tag dict from :func:`read_exif_tags`."""
    return ExifInfo(
        orientation=_orientation(tags),
        captured_at=_datetime(tags, "EXIF DateTimeOriginal")
        or _datetime(tags, "EXIF DateTimeDigitized"),
        subsec=_text(tags, "EXIF SubSecTimeOriginal"),
        gps_time_utc=_gps_time(tags),
        make=_text(tags, "Image Make"),
        model=_text(tags, "Image Model"),
        serial=next((s for t in _SERIAL_TAGS if (s := _text(tags, t))), None),
        focal_mm=_positive(_number(tags, "EXIF FocalLength")),
        focal_35mm=_positive(_number(tags, "EXIF FocalLengthIn35mmFilm")),
        focal_plane_x_res=_positive(_number(tags, "EXIF FocalPlaneXResolution")),
        focal_plane_res_unit=_integer(tags, "EXIF FocalPlaneResolutionUnit"),
        exif_width_px=_integer(tags, "EXIF ExifImageWidth") or None,
    )


def read_gps(tags: dict[str, Any], *, source: str = "") -> GpsFix:
    """The EXIF GPS position, or :class:`MissingGeotagError` saying what is wrong.

    Refused: no latitude/longitude, a ``0/0`` or ``n/0`` rational, a value out
    of range, and exactly (0, 0). A missing or unknown Ref is assumed N/E
    (ref kept None) with a warning naming ``source``.
    """
    has_lat, has_lon = "GPS GPSLatitude" in tags, "GPS GPSLongitude" in tags
    if not (has_lat and has_lon):
        what = "no GPS position" if has_lat == has_lon else "an incomplete GPS position"
        raise MissingGeotagError(
            f"{what} in EXIF: the frame cannot be placed on the map; {_NO_GPS_HINT}"
        )
    lat = _dms(tags["GPS GPSLatitude"].values, "latitude", 90.0)
    lon = _dms(tags["GPS GPSLongitude"].values, "longitude", 180.0)
    if lat == 0.0 and lon == 0.0:
        raise MissingGeotagError(
            f"GPS position is exactly (0, 0), a placeholder, not a position: {_NO_FIX_HINT}"
        )
    lat_ref = _ref(tags, "GPS GPSLatitudeRef", "NS", source)
    lon_ref = _ref(tags, "GPS GPSLongitudeRef", "EW", source)
    alt_m, alt_ref = _altitude(tags)
    return GpsFix(
        lat_deg=-lat if lat_ref == "S" else lat,
        lon_deg=-lon if lon_ref == "W" else lon,
        alt_m=alt_m,
        lat_ref=lat_ref,
        lon_ref=lon_ref,
        alt_ref=alt_ref,
    )


def _dms(values: Any, axis: str, limit: float) -> float:
    """Degrees from 1-3 rationals (deg, min, sec); raises on 0/0, n/0, NaN, range."""
    parts = list(values) if isinstance(values, list | tuple) else [values]
    if not 1 <= len(parts) <= 3:
        raise MissingGeotagError(
            f"GPS {axis} has {len(parts)} values, expected degrees, minutes, seconds"
        )
    degrees = 0.0
    for part, scale in zip(parts, (1.0, 60.0, 3600.0), strict=False):
        num, den = _fraction(part)
        if den == 0:
            kind = (
                "0/0 (a zero-denominator rational)"
                if num == 0
                else f"{num:g}/0, not a finite number"
            )
            raise MissingGeotagError(f"GPS {axis} is {kind}: {_NO_FIX_HINT}")
        value = num / den
        if not math.isfinite(value):
            raise MissingGeotagError(f"GPS {axis} is {value}, not a finite number: {_NO_FIX_HINT}")
        degrees += value / scale
    if abs(degrees) > limit:
        raise MissingGeotagError(
            f"GPS {axis} {degrees:.6f} is outside ±{limit:g}°: the EXIF GPS is corrupt"
        )
    return degrees


def _fraction(value: Any) -> tuple[float, float]:
    """``(numerator, denominator)`` of an exifread Ratio, int or float.

    exifread gives DOUBLE values as 1-tuples; anything unconvertible is NaN.
    """
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if hasattr(value, "den") and hasattr(value, "num"):
        return float(value.num), float(value.den)
    try:
        return float(value), 1.0
    except (TypeError, ValueError):
        return math.nan, 1.0


def _ref(tags: dict[str, Any], key: str, allowed: str, source: str) -> str | None:
    ref = _text(tags, key)
    ref = ref.upper() if ref else None
    if ref is not None and len(ref) == 1 and ref in allowed:
        return ref
    what = "missing" if ref is None else f"{ref!r}, not one of {'/'.join(allowed)}"
    logger.warning(
        "%s: EXIF %s is %s; assuming %s", source or "frame", key.split()[-1], what, allowed[0]
    )
    return None


def _altitude(tags: dict[str, Any]) -> tuple[float | None, int | None]:
    """GPSAltitude in metres with GPSAltitudeRef applied (1 = below sea level)."""
    alt_ref = _integer(tags, "GPS GPSAltitudeRef")
    alt = _number(tags, "GPS GPSAltitude")
    if alt is not None and alt_ref == 1:
        alt = -abs(alt)
    return alt, alt_ref


def _first(tags: dict[str, Any], key: str) -> Any:
    tag = tags.get(key)
    if tag is None:
        return None
    values = getattr(tag, "values", tag)
    if isinstance(values, list | tuple):
        return values[0] if values else None
    return values


def _number(tags: dict[str, Any], key: str) -> float | None:
    """The first value of a numeric tag as a finite float; 0/0 and n/0 give None."""
    value = _first(tags, key)
    if value is None or isinstance(value, str | bytes):
        return None
    num, den = _fraction(value)
    if den == 0 or not math.isfinite(num / den):
        return None
    return num / den


def _integer(tags: dict[str, Any], key: str) -> int | None:
    value = _number(tags, key)
    return int(value) if value is not None and value == int(value) else None


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def _orientation(tags: dict[str, Any]) -> int | None:
    value = _integer(tags, "Image Orientation")
    return value if value is not None and 1 <= value <= 8 else None


def _text(tags: dict[str, Any], key: str) -> str | None:
    """An ASCII tag as a stripped str; undecodable bytes give None with a warning."""
    value = getattr(tags.get(key), "values", tags.get(key))
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            logger.warning("EXIF %s holds undecodable bytes %r; ignored", key, value[:32])
            return None
    if not isinstance(value, str):
        return None
    value = value.strip("\x00 \t\r\n")
    return value or None


def _datetime(tags: dict[str, Any], key: str) -> str | None:
    """An EXIF date-time string as ISO-8601 (no zone); blank or invalid gives None."""
    text = _text(tags, key)
    if text is None or text.strip(": 0") == "":
        return None
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    logger.warning("EXIF %s=%r is not a date-time; ignored", key, text)
    return None


def _gps_time(tags: dict[str, Any]) -> str | None:
    """GPSDateStamp + GPSTimeStamp as ISO-8601 UTC, or None if either is unusable."""
    date_text = _text(tags, "GPS GPSDate")
    stamp = getattr(tags.get("GPS GPSTimeStamp"), "values", None)
    if not date_text or not isinstance(stamp, list | tuple) or len(stamp) != 3:
        return None
    hms = []
    for part in stamp:
        num, den = _fraction(part)
        if den == 0:
            return None
        hms.append(num / den)
    try:
        day = datetime.strptime(date_text.replace("-", ":"), "%Y:%m:%d")
        whole = int(hms[2])
        micro = min(round((hms[2] - whole) * 1e6), 999_999)
        moment = day.replace(
            hour=int(hms[0]), minute=int(hms[1]), second=whole, microsecond=micro, tzinfo=UTC
        )
    except ValueError:
        logger.warning("EXIF GPS date/time %r %r is invalid; ignored", date_text, stamp)
        return None
    return moment.isoformat()
