"""DJI SRT field names, recognised by name: what each means and how its value reads.

DJI firmwares spell the same quantity many ways (``[latitude: …]``,
``[longtitude : …]`` sic, ``GPS (lon, lat, alt)``, ``gb_yaw``, ``G.PRY (pitch,
roll, yaw)``). :func:`canonical_fields` maps one ``(name, raw value)`` pair, as the
line tokenizer in :mod:`pipeline.video.srt` found it, to hehu's field names with
units in them; a name it does not know comes back as ``None`` and the record keeps
it under its own name (:attr:`~pipeline.video.srt.SrtRecord.extra`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

_SPACES = re.compile(r"[\s_]+")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


class FieldValueError(ValueError):
    """A known field whose value is not the number(s) it should be."""


def numbers(raw: str) -> list[float]:
    """Every number in ``raw``, units and degree signs ignored (``"85.80m"`` → ``[85.8]``)."""
    return [float(m) for m in _NUMBER.findall(raw)]


def _one(raw: str) -> float:
    found = numbers(raw)
    if len(found) != 1:
        raise FieldValueError(f"expected one number, found {raw.strip()!r}")
    return found[0]


def _many(raw: str, n: int) -> list[float]:
    found = numbers(raw)
    if len(found) < n:
        raise FieldValueError(f"expected {n} numbers, found {raw.strip()!r}")
    return found[:n]


@functools.lru_cache(maxsize=512)  # a log repeats its few names in every block
def norm_name(name: str) -> str:
    """A field name compared without case, spaces or underscores (``rel_alt`` = ``RelAlt``)."""
    return _SPACES.sub("", name).lower()


def _focal_35mm(raw: str) -> float:
    """``focal_len``: tenths of a millimetre when written as a bare integer of 100 or more
    (Air 2S/Mini ``240`` = 24 mm), else millimetres (M300 ``24.00``)."""
    value = _one(raw)
    return value / 10.0 if value >= 100 and "." not in raw else value


def _dzoom(raw: str) -> float:
    """``dzoom``/``dzoom_ratio``: the digital zoom factor; ``10000`` means 1.0×."""
    value = _one(raw)
    return value / 10000.0 if value >= 100 else value


Reader = Callable[[str], dict[str, float]]


def _pry(prefix: str) -> Reader:
    def read(raw: str) -> dict[str, float]:
        pitch, roll, yaw = _many(raw, 3)
        return {f"{prefix}_pitch_deg": pitch, f"{prefix}_roll_deg": roll, f"{prefix}_yaw_deg": yaw}

    return read


def _lonlat(prefix: str, alt: str | None) -> Reader:
    def read(raw: str) -> dict[str, float]:
        found = numbers(raw)
        if len(found) < 2:
            raise FieldValueError(
                f"expected longitude, latitude[, altitude], found {raw.strip()!r}"
            )
        lon, lat = found[0], found[1]
        if abs(lat) > 90.0 >= abs(lon):  # written latitude first: the second is no latitude
            lon, lat = lat, lon
        out = {f"{prefix}lon_deg": lon, f"{prefix}lat_deg": lat}
        if alt is not None and len(found) >= 3:
            out[alt] = found[2]
        return out

    return read


def _single(field: str, read: Callable[[str], float] = _one) -> Reader:
    return lambda raw: {field: read(raw)}


#: Normalised name → reader returning hehu fields. Heights: ``rel_alt_m`` is above
#: take-off (``rel_alt``, P4 ``H``, Mavic Pro ``BAROMETER``); ``abs_alt_m`` above the
#: drone's absolute datum (``abs_alt``, Air 2S ``altitude``); ``gps_alt_m`` the GPS
#: tuple's third value (often rounded or poor).
_READERS = {
    "latitude": _single("lat_deg"),
    "lat": _single("lat_deg"),
    "longitude": _single("lon_deg"),
    "longtitude": _single("lon_deg"),
    "lon": _single("lon_deg"),
    "lng": _single("lon_deg"),
    "gps": _lonlat("", "gps_alt_m"),
    "home": _lonlat("home_", "home_alt_m"),
    "relalt": _single("rel_alt_m"),
    "h": _single("rel_alt_m"),
    "barometer": _single("rel_alt_m"),
    "absalt": _single("abs_alt_m"),
    "altitude": _single("abs_alt_m"),
    "d": _single("distance_m"),
    "h.s": _single("h_speed_m_s"),
    "v.s": _single("v_speed_m_s"),
    "g.pry": _pry("gimbal"),
    "f.pry": _pry("flight"),
    "gbyaw": _single("gimbal_yaw_deg"),
    "gbpitch": _single("gimbal_pitch_deg"),
    "gbroll": _single("gimbal_roll_deg"),
    "gimbal.yaw": _single("gimbal_yaw_deg"),
    "gimbal.pitch": _single("gimbal_pitch_deg"),
    "gimbal.roll": _single("gimbal_roll_deg"),
    "drone.yaw": _single("flight_yaw_deg"),
    "drone.pitch": _single("flight_pitch_deg"),
    "drone.roll": _single("flight_roll_deg"),
    "focallen": _single("focal_35mm", _focal_35mm),
    "dzoom": _single("dzoom", _dzoom),
    "dzoomratio": _single("dzoom", _dzoom),
    "digitalzoom": _single("dzoom", _dzoom),
    "srtcnt": _single("frame_cnt"),
    "framecnt": _single("frame_cnt"),
    "framecount": _single("frame_cnt"),
    "difftime": _single("diff_time_ms"),
}

#: Fields that are read but do not place a frame (camera exposure): kept under their
#: names in ``extra``, not reported as unknown.
CAMERA_FIELDS = frozenset(
    {"iso", "shutter", "ss", "fnum", "f", "ev", "ct", "colormd", "delta", "focallength"}
)


def canonical_fields(name: str, raw: str) -> dict[str, float] | None:
    """hehu's fields for one SRT ``name: raw`` pair, or ``None`` for a name not known.

    Raises :class:`FieldValueError` when a known field's value is not numeric.
    """
    reader = _READERS.get(norm_name(name))
    return None if reader is None else reader(raw)


def is_known(name: str) -> bool:
    """Whether ``name`` is a field hehu reads (placing or camera)."""
    key = norm_name(name)
    return key in _READERS or key in CAMERA_FIELDS
