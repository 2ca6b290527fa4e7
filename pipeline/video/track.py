"""A video's flight track from its SRT log: position and attitude at any time, by interpolation.

Each field is interpolated from the records that carry it, linearly in time (angles
the short way round), inside the span those records cover, held for one record
interval past the last (a per-second log's last second). Outside that, or for a
field the log never carries, the value is ``None`` (a position of exactly (0, 0), no
GPS fix, counts as none): nothing is invented here; the
defaults a configuration may supply are applied, and flagged, by
:mod:`pipeline.video.frames`.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterable, Sequence

from pipeline.video.srt import SrtLog, SrtRecord

#: Fields interpolated as angles (degrees, wrapped the short way).
_ANGLES = frozenset({"gimbal_yaw_deg", "flight_yaw_deg", "gimbal_roll_deg", "flight_roll_deg"})
#: Fields a frame's pose uses.
POSE_FIELDS = (
    "lat_deg", "lon_deg", "rel_alt_m", "abs_alt_m", "gps_alt_m",
    "gimbal_pitch_deg", "gimbal_roll_deg", "gimbal_yaw_deg",
    "flight_pitch_deg", "flight_roll_deg", "flight_yaw_deg", "focal_35mm", "dzoom",
)  # fmt: skip


class _Series:
    """One field's values at increasing times, as arrays (8 bytes a value)."""

    def __init__(self, times_s: Sequence[float], values: Sequence[float]) -> None:
        import numpy as np

        self.times_s = np.asarray(times_s, dtype=float)
        self.values = np.asarray(values, dtype=float)
        self.hold_s = float(self.times_s[-1] - self.times_s[-2]) if len(times_s) > 1 else 0.0

    def at(self, t: float, angle: bool) -> float | None:
        import numpy as np

        ts = self.times_s
        if t < ts[0] or t > ts[-1] + self.hold_s:
            return None
        i = int(np.searchsorted(ts, t, side="right"))
        if i >= len(ts):
            return float(self.values[-1])
        t0, t1, v0, v1 = (
            float(ts[i - 1]),
            float(ts[i]),
            float(self.values[i - 1]),
            float(self.values[i]),
        )
        if t == t0:
            return v0
        w = (t - t0) / (t1 - t0)
        if angle:
            return _wrap(v0 + w * _wrap(v1 - v0))
        return v0 + w * (v1 - v0)


def _no_fix(fields: dict[str, float], name: str) -> bool:
    """A position of exactly (0, 0): what drones without a GPS fix write (Avata, indoors)."""
    return name in ("lat_deg", "lon_deg") and fields.get("lat_deg") == fields.get("lon_deg") == 0.0


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


class Track:
    """Interpolated values of a log's ``(time_s, record)`` pairs, in time order (a parsed
    :class:`~pipeline.video.srt.SrtLog` zipped, or :func:`~pipeline.video.srt.stream_srt`,
    consumed once: only the pose fields are kept, 16 bytes a value and time).
    ``records``: how many there were; ``clock``: the first date and time written in the
    log, with its record's time."""

    def __init__(self, pairs: Iterable[tuple[float, SrtRecord]]) -> None:
        columns: dict[str, tuple[array[float], array[float]]] = {}
        self.records = 0
        self.clock: tuple[dt.datetime, float] | None = None
        for t, r in pairs:
            self.records += 1
            if self.clock is None and r.clock is not None:
                self.clock = (r.clock, t)
            for name, value in r.fields.items():
                if name in POSE_FIELDS and not _no_fix(r.fields, name):
                    times, values = columns.setdefault(name, (array("d"), array("d")))
                    times.append(t)
                    values.append(value)
        self._series = {name: _Series(*tv) for name, tv in columns.items()}
        self._distance = self._cumulative_distance()

    @classmethod
    def of_log(cls, log: SrtLog) -> Track:
        return cls(zip(log.times_s, log.records, strict=True))

    def has(self, name: str) -> bool:
        """Whether the log carries ``name`` at all."""
        return name in self._series

    def value(self, name: str, t: float) -> float | None:
        """``name`` at ``t`` seconds into the video, or ``None`` (module docstring)."""
        series = self._series.get(name)
        return None if series is None else series.at(t, name in _ANGLES)

    def values(self, t: float) -> dict[str, float]:
        """Every pose field known at ``t``."""
        out = {name: self.value(name, t) for name in self._series}
        return {k: v for k, v in out.items() if v is not None}

    def _cumulative_distance(self) -> _Series | None:
        import numpy as np

        from pipeline.geo.coords import haversine_m

        lat, lon = self._series.get("lat_deg"), self._series.get("lon_deg")
        if lat is None or lon is None:
            return None
        times = np.intersect1d(lat.times_s, lon.times_s)
        if len(times) == 0:
            return None
        lats = np.interp(times, lat.times_s, lat.values)  # the same records: exact values
        lons = np.interp(times, lon.times_s, lon.values)
        steps = haversine_m(lats[:-1], lons[:-1], lats[1:], lons[1:])
        return _Series(list(times), [0.0, *np.cumsum(steps)])

    def distance_m(self, t: float) -> float | None:
        """Ground distance flown from the log's first position to ``t``, metres."""
        return None if self._distance is None else self._distance.at(t, False)

    def course_deg(self, t: float, window_s: float = 1.0) -> float | None:
        """Course over ground at ``t`` (degrees from north, clockwise) from positions
        ``window_s`` either side; ``None`` while the drone moves under 0.5 m."""
        import math

        from pipeline.geo.coords import haversine_m

        a = self._position(t - window_s) or self._position(t)
        b = self._position(t + window_s) or self._position(t)
        if a is None or b is None or haversine_m(a[0], a[1], b[0], b[1]) < 0.5:
            return None
        north = b[0] - a[0]
        east = _wrap(b[1] - a[1]) * math.cos(math.radians(a[0]))
        return math.degrees(math.atan2(east, north)) % 360.0

    def _position(self, t: float) -> tuple[float, float] | None:
        lat, lon = self.value("lat_deg", t), self.value("lon_deg", t)
        return None if lat is None or lon is None else (lat, lon)
