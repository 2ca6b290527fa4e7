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

import bisect
from dataclasses import dataclass

from pipeline.video.srt import SrtLog

#: Fields interpolated as angles (degrees, wrapped the short way).
_ANGLES = frozenset({"gimbal_yaw_deg", "flight_yaw_deg", "gimbal_roll_deg", "flight_roll_deg"})
#: Fields a frame's pose uses.
POSE_FIELDS = (
    "lat_deg", "lon_deg", "rel_alt_m", "abs_alt_m", "gps_alt_m",
    "gimbal_pitch_deg", "gimbal_roll_deg", "gimbal_yaw_deg",
    "flight_pitch_deg", "flight_roll_deg", "flight_yaw_deg", "focal_35mm", "dzoom",
)  # fmt: skip


@dataclass(frozen=True)
class _Series:
    times_s: tuple[float, ...]
    values: tuple[float, ...]
    hold_s: float  # how long the last value holds past the last record

    def at(self, t: float, angle: bool) -> float | None:
        ts = self.times_s
        if not ts or t < ts[0] or t > ts[-1] + self.hold_s:
            return None
        i = bisect.bisect_right(ts, t)
        if i >= len(ts):
            return self.values[-1]
        t0, t1, v0, v1 = ts[i - 1], ts[i], self.values[i - 1], self.values[i]
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
    """Interpolated values of a parsed log (:class:`~pipeline.video.srt.SrtLog`)."""

    def __init__(self, log: SrtLog) -> None:
        self._series: dict[str, _Series] = {}
        for name in POSE_FIELDS:
            pairs = [(t, r.fields[name]) for t, r in zip(log.times_s, log.records, strict=True)
                     if name in r.fields and not _no_fix(r.fields, name)]  # fmt: skip
            if pairs:
                times = tuple(t for t, _ in pairs)
                hold = (times[-1] - times[-2]) if len(times) > 1 else 0.0
                self._series[name] = _Series(times, tuple(v for _, v in pairs), hold)
        self._distance = self._cumulative_distance()

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
        from pipeline.geo.coords import haversine_m

        lat, lon = self._series.get("lat_deg"), self._series.get("lon_deg")
        if lat is None or lon is None:
            return None
        times = sorted(set(lat.times_s) & set(lon.times_s))
        total, out, last = 0.0, [], None
        for t in times:
            here = (lat.at(t, False), lon.at(t, False))
            if last is not None:
                total += haversine_m(last[0], last[1], here[0], here[1])
            out.append(total)
            last = here
        hold = (times[-1] - times[-2]) if len(times) > 1 else 0.0
        return _Series(tuple(times), tuple(out), hold)

    def distance_m(self, t: float) -> float | None:
        """Ground distance flown from the log's first position to ``t``, metres."""
        return None if self._distance is None else self._distance.at(t, False)

    def course_deg(self, t: float, window_s: float = 1.0) -> float | None:
        """Course over ground at ``t`` (degrees from north, clockwise) from positions
        ``window_s`` either side; ``None`` while the drone moves under 0.5 m."""
        import math

        from pipeline.geo.coords import haversine_m

        a = (self.value("lat_deg", t - window_s), self.value("lon_deg", t - window_s))
        b = (self.value("lat_deg", t + window_s), self.value("lon_deg", t + window_s))
        if None in a:
            a = (self.value("lat_deg", t), self.value("lon_deg", t))
        if None in b:
            b = (self.value("lat_deg", t), self.value("lon_deg", t))
        if None in a or None in b or haversine_m(a[0], a[1], b[0], b[1]) < 0.5:  # type: ignore[arg-type]
            return None
        north = b[0] - a[0]  # type: ignore[operator]
        east = _wrap(b[1] - a[1]) * math.cos(math.radians(a[0]))  # type: ignore[operator]
        return math.degrees(math.atan2(east, north)) % 360.0
