"""Read the DJI ``drone-dji:`` XMP fields from a frame's bytes.

DJI cameras write an XMP packet as plain text near the start of each JPEG
(within the first ~64 KB, after the EXIF block). exifread does not read XMP,
and an XML parser over the whole file is slow and fragile, so this module
finds the packet with a byte search and picks the ``drone-dji:`` fields with
two regular expressions that cover both ways XMP writes a property:

* attribute form (Phantom 3/4, Mavic): ``drone-dji:RelativeAltitude="+39.80"``
* element form (newer cameras): ``<drone-dji:RelativeAltitude>+39.80</drone-dji:RelativeAltitude>``
"""

from __future__ import annotations

import functools
import logging
import math
import re

from pipeline.ingest.header import embedded_xmp
from pipeline.records import DjiXmp

logger = logging.getLogger(__name__)

#: How far into the file the packet is looked for. DJI puts it within the
#: first 64 KB; the margin covers files with a large EXIF thumbnail.
SEARCH_BYTES = 256 * 1024

_OPEN = (b"<x:xmpmeta", b"<x:xapmeta")
_CLOSE = (b"</x:xmpmeta>", b"</x:xapmeta>")
_MAX_PACKET = 65536

# XMP property name -> DjiXmp field name.
_FLOAT_FIELDS: dict[str, str] = {
    "RelativeAltitude": "rel_alt_m",
    "AbsoluteAltitude": "abs_alt_m",
    "GimbalYawDegree": "gimbal_yaw_deg",
    "GimbalPitchDegree": "gimbal_pitch_deg",
    "GimbalRollDegree": "gimbal_roll_deg",
    "FlightYawDegree": "flight_yaw_deg",
    "FlightPitchDegree": "flight_pitch_deg",
    "FlightRollDegree": "flight_roll_deg",
    "CalibratedFocalLength": "calibrated_focal_px",
    "CalibratedOpticalCenterX": "optical_center_x_px",
    "CalibratedOpticalCenterY": "optical_center_y_px",
    "RtkStdLon": "rtk_std_lon_m",
    "RtkStdLat": "rtk_std_lat_m",
    "RtkStdHgt": "rtk_std_hgt_m",
    "LRFTargetLat": "lrf_target_lat_deg",
    "LRFTargetLon": "lrf_target_lon_deg",
    "LRFTargetAbsAlt": "lrf_target_abs_alt_m",
    "LRFTargetDistance": "lrf_target_distance_m",
    "LRFTargetAlt": "lrf_target_alt_m",
}
_INT_FIELDS: dict[str, str] = {"RtkFlag": "rtk_flag"}
_STR_FIELDS: dict[str, str] = {"ImageSource": "image_source", "LRFStatus": "lrf_status"}


def find_xmp_packet(
    data: bytes, limit: int = SEARCH_BYTES, max_packet: int = _MAX_PACKET
) -> bytes | None:
    """Return the ``<x:xmpmeta …</x:xmpmeta>`` packet starting in ``data[:limit]``.

    None when there is no packet or it is not closed within ``max_packet``
    bytes of its start (a JPEG segment holds at most 64 KB).
    """
    for opener, closer in zip(_OPEN, _CLOSE, strict=True):
        start = data.find(opener, 0, limit)
        if start < 0:
            continue
        end = data.find(closer, start, start + max_packet)
        if end < 0:
            logger.warning("XMP packet at byte %d is not closed; ignored", start)
            return None
        return data[start : end + len(closer)]
    return None


def dji_properties(packet: bytes) -> dict[str, str]:
    """All ``drone-dji:`` properties of an XMP packet as raw strings.

    Both the attribute and the element form are read; where a name appears
    twice the first occurrence wins.
    """
    return namespace_properties(packet, "drone-dji")


def namespace_properties(packet: bytes, prefix: str) -> dict[str, str]:
    """All simple properties written with namespace prefix ``prefix`` (``drone-dji``,
    ``drone-parrot``, ``Camera`` …), attribute and element form, as raw strings;
    where a name appears twice the first occurrence wins."""
    attr, elem = _property_patterns(prefix)
    found: dict[str, str] = {}
    for m in attr.finditer(packet):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        found.setdefault(m.group(1).decode("ascii"), value.decode("utf-8", "replace"))
    for m in elem.finditer(packet):
        found.setdefault(m.group(1).decode("ascii"), m.group(2).decode("utf-8", "replace"))
    return found


@functools.cache
def _property_patterns(prefix: str) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """The attribute and the element pattern of ``prefix:Name`` properties; the prefix
    must not follow a name character (``drone:`` never matches ``xdrone:``)."""
    ns = re.escape(prefix.encode("ascii"))
    attr = rb"(?<![\w.:-])" + ns + rb""":([A-Za-z0-9_]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"""
    elem = rb"<" + ns + rb":([A-Za-z0-9_]+)\s*>([^<]*)</" + ns + rb":\1\s*>"
    return re.compile(attr), re.compile(elem)


def parse_dji_xmp(packet: bytes) -> DjiXmp | None:
    """The :class:`DjiXmp` fields of a packet; None when it has none of them.

    A value that is not a finite number (empty, ``"nan"``, text) becomes
    None, and the frame keeps its other fields.
    """
    values = dji_fields(dji_properties(packet))
    if not values:
        return None
    return DjiXmp(**values)  # type: ignore[arg-type]


def dji_fields(
    props: dict[str, str], prefix: str = "drone-dji"
) -> dict[str, float | int | str | None]:
    """:class:`DjiXmp` field values from properties with DJI's names (``RelativeAltitude``,
    ``GimbalPitchDegree`` …), written under namespace ``prefix``; only fields present."""
    values: dict[str, float | int | str | None] = {}
    for name, field in _FLOAT_FIELDS.items():
        if name in props:
            values[field] = _to_float(props[name], f"{prefix}:{name}")
    for name, field in _INT_FIELDS.items():
        if name in props:
            values[field] = _to_int(props[name], f"{prefix}:{name}")
    for name, field in _STR_FIELDS.items():
        text = props.get(name, "").strip()
        if text:
            values[field] = text[:64]
    return values


def read_dji_xmp(data: bytes, media_type: str | None = None) -> DjiXmp | None:
    """Find the XMP packet in a file's bytes and parse its DJI fields.

    The first :data:`SEARCH_BYTES` are searched; with ``media_type`` (JPEG or
    TIFF) the packet is also looked up where the format stores it.
    """
    packet = find_packet(data, media_type)
    return None if packet is None else parse_dji_xmp(packet)


def find_packet(data: bytes, media_type: str | None = None) -> bytes | None:
    """The XMP packet of a file: a search of its start, then (given the media
    type) the JPEG XMP segment or the TIFF XMLPacket tag."""
    packet = find_xmp_packet(data)
    if packet is not None or media_type is None:
        return packet
    segment = embedded_xmp(data, media_type)
    if not segment:
        return None
    return find_xmp_packet(segment, limit=len(segment), max_packet=len(segment))


def _to_float(text: str, name: str) -> float | None:
    """``text`` as a finite number, else None with a warning naming property ``name``
    (``prefix:Name``)."""
    try:
        value = float(text.strip())
    except ValueError:
        logger.warning("XMP %s=%r is not a number; ignored", name, text)
        return None
    if not math.isfinite(value):
        logger.warning("XMP %s=%r is not finite; ignored", name, text)
        return None
    return value


def _to_int(text: str, name: str) -> int | None:
    value = _to_float(text, name)
    if value is None:
        return None
    if value != int(value):
        logger.warning("XMP %s=%r is not an integer; ignored", name, text)
        return None
    return int(value)
