"""Write small real JPEGs with known DJI-style EXIF and XMP, for tests.

Reusable from any test folder::

    from tests.ingest.synth import write_jpeg
    write_jpeg(tmp_path / "DJI_0001.JPG", 64, 48, lat=30.5, lon=114.3, rel_alt_m=80.0,
               gimbal_yaw=90.0, gimbal_pitch=-90.0, gimbal_roll=0.0)

The pixels come from OpenCV's encoder (seeded noise on a gradient); the EXIF
APP1 segment is written by the tiny TIFF writer below, so the tests need no
extra dependency and can write what real cameras get wrong (``0/0`` GPS
rationals, missing Ref tags, undecodable Make bytes).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

# TIFF field types.
BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SRATIONAL, DOUBLE = 1, 2, 3, 4, 5, 7, 10, 12
_TYPE_FMT = {BYTE: "B", ASCII: "B", SHORT: "H", LONG: "I", UNDEFINED: "B", DOUBLE: "d"}

EXIF_POINTER, GPS_POINTER = 0x8769, 0x8825
#: GPS IFD tag numbers by name, for ``gps_overrides``.
GPS_TAGS = {
    "GPSVersionID": 0x0000, "GPSLatitudeRef": 0x0001, "GPSLatitude": 0x0002,
    "GPSLongitudeRef": 0x0003, "GPSLongitude": 0x0004, "GPSAltitudeRef": 0x0005,
    "GPSAltitude": 0x0006, "GPSTimeStamp": 0x0007, "GPSDateStamp": 0x001D,
}  # fmt: skip

Entry = tuple[int, int, Any]  # (tag, TIFF type, value)


def write_jpeg(
    path: Path | str,
    width: int = 64,
    height: int = 48,
    *,
    lat: float | None = 46.8426,
    lon: float | None = -91.9944,
    rel_alt_m: float | None = 40.0,
    gimbal_yaw: float | None = 0.0,
    gimbal_pitch: float | None = -90.0,
    gimbal_roll: float | None = 0.0,
    make: str | bytes | None = "DJI",
    model: str | None = "FC300S",
    focal_mm: float | None = 3.61,
    focal_35mm: int | None = 20,
    calibrated_focal_px: float | None = None,
    **kwargs: Any,
) -> Path:
    """Write a small real JPEG with DJI-style EXIF and XMP; return its path.

    ``width``/``height`` are the stored pixel size. Angles are degrees
    (gimbal yaw from north, pitch -90 straight down), ``rel_alt_m`` metres
    above take-off, ``calibrated_focal_px`` pixels (XMP CalibratedFocalLength).
    ``lat``/``lon`` None writes no GPS position; a negative value writes the
    S/W reference. Other keywords are those of :func:`jpeg_bytes`
    (``captured_at``, ``subsec``, ``alt_m``, ``xmp_form``, ``gps_overrides``, …).
    """
    data = jpeg_bytes(
        width, height, lat=lat, lon=lon, rel_alt_m=rel_alt_m, gimbal_yaw=gimbal_yaw,
        gimbal_pitch=gimbal_pitch, gimbal_roll=gimbal_roll, make=make, model=model,
        focal_mm=focal_mm, focal_35mm=focal_35mm, calibrated_focal_px=calibrated_focal_px, **kwargs,
    )  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


#: What :func:`jpeg_bytes` writes when a keyword is not given (a Brighton-like frame).
DEFAULTS: dict[str, Any] = {
    "lat": 46.8426, "lon": -91.9944, "rel_alt_m": 40.0, "gimbal_yaw": 0.0,
    "gimbal_pitch": -90.0, "gimbal_roll": 0.0,
}  # fmt: skip


def jpeg_bytes(
    width: int = 64,
    height: int = 48,
    *,
    seed: int = 0,
    quality: int = 85,
    exif: bool = True,
    xmp_form: str | None = "attribute",
    xmp_extra: Mapping[str, str] | None = None,
    **meta: Any,
) -> bytes:
    """The bytes :func:`write_jpeg` writes (same keywords and defaults).

    ``xmp_form`` is ``"attribute"``
    (Phantom/Mavic style), ``"element"`` (newer cameras) or None (no XMP);
    ``xmp_extra`` adds raw ``drone-dji:`` properties (``{"RtkFlag": "50"}``);
    ``exif=False`` leaves out the EXIF segment. See :func:`exif_app1` and
    :func:`dji_xmp_packet` for the metadata keywords."""
    meta = {**DEFAULTS, **meta}
    body = _encoded_pixels(width, height, seed, quality)
    segments = []
    if exif:
        segments.append(exif_app1(width=width, height=height, **_pick(meta, _EXIF_KEYS)))
    if xmp_form is not None:
        packet = dji_xmp_packet(form=xmp_form, extra=xmp_extra, **_pick(meta, _XMP_KEYS))
        segments.append(_app1(b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    unknown = set(meta) - _EXIF_KEYS - _XMP_KEYS
    if unknown:
        raise TypeError(f"unknown keywords: {sorted(unknown)}")
    return b"\xff\xd8" + b"".join(segments) + body


def tiff_bytes(
    width: int = 64,
    height: int = 48,
    *,
    seed: int = 0,
    xmp_form: str | None = "attribute",
    xmp_extra: Mapping[str, str] | None = None,
    **meta: Any,
) -> bytes:
    """An uncompressed RGB TIFF with the same EXIF/GPS as :func:`jpeg_bytes`
    and the XMP packet in the XMLPacket tag (700), as DJI multispectral
    cameras write it. Keywords and defaults as :func:`jpeg_bytes`."""
    meta = {**DEFAULTS, **meta}
    ifd0, sub, gps = exif_ifds(width=width, height=height, **_pick(meta, _EXIF_KEYS))
    pixels = _pixels(width, height, seed)[:, :, ::-1].tobytes()  # BGR -> RGB
    image: list[Entry] = [
        (256, LONG, width), (257, LONG, height), (258, SHORT, [8, 8, 8]), (259, SHORT, 1),
        (262, SHORT, 2), (277, SHORT, 3), (278, LONG, height), (279, LONG, len(pixels)),
    ]  # fmt: skip
    if xmp_form is not None:
        packet = dji_xmp_packet(form=xmp_form, extra=xmp_extra, **_pick(meta, _XMP_KEYS))
        image.append((700, UNDEFINED, packet))
    size = len(tiff_block([*ifd0, *image, (273, LONG, 0)], sub, gps))
    return tiff_block([*ifd0, *image, (273, LONG, size)], sub, gps) + pixels


def write_png(path: Path | str, width: int = 64, height: int = 48, *, seed: int = 0) -> Path:
    """Write a plain PNG (no EXIF, no XMP) of seeded pixels; return its path."""
    import cv2

    ok, buf = cv2.imencode(".png", _pixels(width, height, seed))
    assert ok
    path = Path(path)
    path.write_bytes(buf.tobytes())
    return path


def _pixels(width: int, height: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    noise = rng.integers(0, 55, size=(height, width, 3))
    return (ramp + noise).astype(np.uint8)


def _encoded_pixels(width: int, height: int, seed: int, quality: int) -> bytes:
    """OpenCV's JPEG without SOI and without its JFIF APP0 segment."""
    import cv2

    ok, buf = cv2.imencode(
        ".jpg", _pixels(width, height, seed), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    data = buf.tobytes()
    pos = 2
    if data[2:4] == b"\xff\xe0":
        pos += 2 + int.from_bytes(data[4:6], "big")
    return data[pos:]


def _pick(meta: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k in keys}


# --- EXIF -------------------------------------------------------------------------

_EXIF_KEYS = frozenset({
    "lat", "lon", "alt_m", "make", "model", "focal_mm", "focal_35mm", "captured_at", "subsec",
    "gps_time_utc", "orientation", "exif_size", "serial", "focal_plane_x_res",
    "focal_plane_res_unit", "gps_overrides",
})  # fmt: skip


def exif_app1(**kwargs: Any) -> bytes:
    """An EXIF APP1 segment (marker included); keywords as :func:`exif_ifds`."""
    return _app1(b"Exif\x00\x00" + tiff_block(*exif_ifds(**kwargs)))


def exif_ifds(
    *,
    width: int,
    height: int,
    lat: float | None = None,
    lon: float | None = None,
    alt_m: float | None = 198.3,
    make: str | bytes | None = "DJI",
    model: str | None = "FC300S",
    focal_mm: float | None = 3.61,
    focal_35mm: int | None = 20,
    captured_at: str | None = "2024-05-01T10:00:00",
    subsec: str | None = None,
    gps_time_utc: str | None = None,
    orientation: int | None = 1,
    exif_size: tuple[int, int] | None = None,
    serial: str | None = None,
    focal_plane_x_res: float | None = None,
    focal_plane_res_unit: int | None = None,
    gps_overrides: Mapping[str, tuple[int, Any] | None] | None = None,
) -> tuple[list[Entry], list[Entry], dict[int, Entry]]:
    """The IFD0, Exif and GPS IFD entries of a DJI-like frame.

    ``captured_at`` is ISO (``2024-05-01T10:00:00``), written as EXIF
    ``2024:05:01 10:00:00``; ``gps_time_utc`` likewise fills GPSDateStamp and
    GPSTimeStamp. ``alt_m`` below 0 writes GPSAltitudeRef 1. ``exif_size``
    is the ExifImageWidth/Length claim (default: the stored size).
    ``gps_overrides`` maps a :data:`GPS_TAGS` name to ``(type, value)`` or to
    None to drop the tag, e.g. ``{"GPSLatitude": (RATIONAL, [(0, 0)] * 3)}``.
    """
    ifd0: list[Entry] = [
        (0x010F, ASCII, make),
        (0x0110, ASCII, model),
        (0x0112, SHORT, orientation),
    ]
    ew, eh = exif_size or (width, height)
    stamp = _exif_datetime(captured_at)
    sub: list[Entry] = [
        (0x9003, ASCII, stamp), (0x9004, ASCII, stamp), (0x9291, ASCII, subsec),
        (0x920A, RATIONAL, _rational(focal_mm, 100)), (0xA405, SHORT, focal_35mm),
        (0xA002, LONG, ew), (0xA003, LONG, eh), (0xA431, ASCII, serial),
        (0xA20E, RATIONAL, _rational(focal_plane_x_res, 1000)),
        (0xA210, SHORT, focal_plane_res_unit),
    ]  # fmt: skip
    gps = _gps_entries(lat, lon, alt_m, gps_time_utc, gps_overrides or {})
    return ifd0, sub, gps


def _gps_entries(
    lat: float | None, lon: float | None, alt_m: float | None, when: str | None,
    overrides: Mapping[str, tuple[int, Any] | None],
) -> dict[int, Entry]:  # fmt: skip
    gps: dict[int, Entry] = {0x0000: (0x0000, BYTE, [2, 3, 0, 0])}
    if lat is not None:
        gps[0x0001] = (0x0001, ASCII, "N" if lat >= 0 else "S")
        gps[0x0002] = (0x0002, RATIONAL, _dms(lat))
    if lon is not None:
        gps[0x0003] = (0x0003, ASCII, "E" if lon >= 0 else "W")
        gps[0x0004] = (0x0004, RATIONAL, _dms(lon))
    if alt_m is not None:
        gps[0x0005] = (0x0005, BYTE, [1 if alt_m < 0 else 0])
        gps[0x0006] = (0x0006, RATIONAL, [_rational(abs(alt_m), 1000)])
    if when is not None:
        moment = datetime.fromisoformat(when)
        gps[0x001D] = (0x001D, ASCII, moment.strftime("%Y:%m:%d"))
        hms = [
            (moment.hour, 1),
            (moment.minute, 1),
            (moment.second * 1000 + moment.microsecond // 1000, 1000),
        ]
        gps[0x0007] = (0x0007, RATIONAL, hms)
    for name, entry in overrides.items():
        tag = GPS_TAGS[name]
        if entry is None:
            gps.pop(tag, None)
        else:
            gps[tag] = (tag, entry[0], entry[1])
    return gps


def _exif_datetime(iso: str | None) -> str | None:
    return None if iso is None else datetime.fromisoformat(iso).strftime("%Y:%m:%d %H:%M:%S")


def _rational(value: float | None, scale: int) -> tuple[int, int] | None:
    return None if value is None else (round(value * scale), scale)


def _dms(value: float) -> list[tuple[int, int]]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return [(degrees, 1), (minutes, 1), (round(seconds * 10000), 10000)]


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def tiff_block(
    ifd0: Sequence[Entry], exif: Sequence[Entry], gps: Mapping[int, Entry] | None
) -> bytes:
    """A little-endian TIFF: IFD0 (with pointers to the Exif and GPS IFDs), then
    those IFDs. Entries whose value is None are left out."""
    base0 = [e for e in ifd0 if e[2] is not None]
    sub = [e for e in exif if e[2] is not None]
    gps_entries = [e for e in (gps or {}).values() if e[2] is not None]
    pointers = [(EXIF_POINTER, LONG, 0)] + ([(GPS_POINTER, LONG, 0)] if gps is not None else [])
    size0 = len(_ifd([*base0, *pointers], 8))
    exif_off = 8 + size0
    exif_bytes = _ifd(sub, exif_off)
    gps_off = exif_off + len(exif_bytes)
    pointers = [(EXIF_POINTER, LONG, exif_off)] + (
        [(GPS_POINTER, LONG, gps_off)] if gps is not None else []
    )
    head = b"II*\x00" + struct.pack("<I", 8)
    gps_bytes = _ifd(gps_entries, gps_off) if gps is not None else b""
    return head + _ifd([*base0, *pointers], 8) + exif_bytes + gps_bytes


def _ifd(entries: Sequence[Entry], offset: int) -> bytes:
    """One IFD at ``offset``, its long values in a data area right after it."""
    entries = sorted(entries, key=lambda e: e[0])
    data_off = offset + 2 + 12 * len(entries) + 4
    table, data = [struct.pack("<H", len(entries))], b""
    for tag, typ, value in entries:
        raw, count = _encode(typ, value)
        if len(raw) <= 4:
            table.append(struct.pack("<HHI", tag, typ, count) + raw.ljust(4, b"\x00"))
        else:
            table.append(struct.pack("<HHII", tag, typ, count, data_off + len(data)))
            data += raw + (b"\x00" if len(raw) % 2 else b"")
    return b"".join(table) + struct.pack("<I", 0) + data


def _encode(typ: int, value: Any) -> tuple[bytes, int]:
    if typ == ASCII:
        raw = (value if isinstance(value, bytes) else value.encode("utf-8")) + b"\x00"
        return raw, len(raw)
    if typ in (RATIONAL, SRATIONAL):
        pairs = [value] if isinstance(value, tuple) else list(value)
        fmt = "<II" if typ == RATIONAL else "<ii"
        return b"".join(struct.pack(fmt, n, d) for n, d in pairs), len(pairs)
    values = list(value) if isinstance(value, list | tuple | bytes) else [value]
    return struct.pack(f"<{len(values)}{_TYPE_FMT[typ]}", *values), len(values)


# --- XMP --------------------------------------------------------------------------

_XMP_KEYS = frozenset({
    "rel_alt_m", "abs_alt_m", "gimbal_yaw", "gimbal_pitch", "gimbal_roll", "flight_yaw",
    "flight_pitch", "flight_roll", "calibrated_focal_px", "optical_center_px",
})  # fmt: skip
_XMP_NAMES = {
    "abs_alt_m": "AbsoluteAltitude", "rel_alt_m": "RelativeAltitude",
    "gimbal_roll": "GimbalRollDegree", "gimbal_yaw": "GimbalYawDegree",
    "gimbal_pitch": "GimbalPitchDegree", "flight_roll": "FlightRollDegree",
    "flight_yaw": "FlightYawDegree", "flight_pitch": "FlightPitchDegree",
    "calibrated_focal_px": "CalibratedFocalLength",
}  # fmt: skip


def dji_xmp_packet(
    *, form: str = "attribute", extra: Mapping[str, str] | None = None,
    optical_center_px: tuple[float, float] | None = None, **values: float | None,
) -> bytes:  # fmt: skip
    """A DJI XMP packet with the given ``drone-dji:`` values (keys as in
    :func:`write_jpeg`: ``rel_alt_m``, ``gimbal_yaw``, …; None is left out),
    in attribute or element form. DJI writes numbers as ``+39.80``."""
    props = {_XMP_NAMES[k]: f"{v:+.2f}" for k, v in values.items() if v is not None}
    if optical_center_px is not None:
        props["CalibratedOpticalCenterX"] = f"{optical_center_px[0]:.2f}"
        props["CalibratedOpticalCenterY"] = f"{optical_center_px[1]:.2f}"
    props.update(extra or {})
    ns = 'xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"'
    if form == "attribute":
        attrs = "".join(f'\n   drone-dji:{k}="{v}"' for k, v in props.items())
        desc = f'<rdf:Description rdf:about="DJI Meta Data" {ns}{attrs}>\n  </rdf:Description>'
    elif form == "element":
        elems = "".join(f"\n   <drone-dji:{k}>{v}</drone-dji:{k}>" for k, v in props.items())
        desc = f'<rdf:Description rdf:about="" {ns}>{elems}\n  </rdf:Description>'
    else:
        raise ValueError(f"xmp form must be 'attribute' or 'element', got {form!r}")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n <rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n  '
        f"{desc}\n </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()
