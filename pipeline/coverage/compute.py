"""Coverage of one area (a grid or a zone's reach) by the frames that saw it.

Everything is measured on the area's own tangent plane (:class:`LocalPlane`). A
flight's *pass* over the area is the union of its frames' clipped footprints; its
*fine* ground is the part seen by frames no coarser than the GSD limit (the enabled
models' card GSD). The area's ground is split by the day it was last seen (newest
pass first), and its gaps are what no fine pass covered within the required
interval: ``never`` seen in the period, seen only ``coarse``, or seen but ``stale``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from pipeline.coverage.seen import SeenFrame, seen_on

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from pipeline.geo.plane import LocalPlane

#: Ground smaller than this (m²) is a sliver of the polygon arithmetic, not a gap.
SLIVER_M2 = 1.0


@dataclass(frozen=True)
class Area:
    """What coverage is asked of: a grid or a zone, its ``[lon, lat]`` ground and interval."""

    kind: str  # "grid" or "zone"
    code: str
    name: str | None
    ground: BaseGeometry
    every_days: int | None = None
    patroller: str | None = None


@dataclass(frozen=True)
class Pass:
    """One flight over the area: its day, the share seen, the share seen fine enough."""

    flight_id: int
    flight_name: str
    day: dt.date
    seen_share: float
    fine_share: float
    gsd_cm_per_px: float | None  # area-weighted median of its frames in the area


@dataclass(frozen=True)
class AreaCoverage:
    """An area's coverage over a period ending ``end`` (geometries ``[lon, lat]``)."""

    area: Area
    area_m2: float
    seen_share: float
    fine_share: float
    gsd_cm_per_px: float | None
    passes: tuple[Pass, ...]
    last_seen: tuple[tuple[dt.date, BaseGeometry, float], ...]  # (day, ground, m²), newest first
    gaps: tuple[tuple[str, BaseGeometry, float], ...]  # (reason, ground, m²)
    longest_interval_days: int | None = None
    missed: bool | None = None  # None: the area has no required interval
    notes: tuple[str, ...] = field(default_factory=tuple)


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float | None:
    pairs = sorted((v, w) for v, w in zip(values, weights, strict=True) if w > 0)
    if not pairs:
        return None
    half, acc = sum(w for _, w in pairs) / 2, 0.0
    for v, w in pairs:
        acc += w
        if acc >= half:
            return v
    return pairs[-1][0]


@dataclass
class _FlightGround:
    flight_id: int
    flight_name: str
    day: dt.date
    seen: list[BaseGeometry] = field(default_factory=list)
    fine: list[BaseGeometry] = field(default_factory=list)
    gsds: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def _flights(
    frames: Sequence[SeenFrame], ground: BaseGeometry, plane: LocalPlane, *,
    max_range_m: float, gsd_limit: float | None,
) -> list[_FlightGround]:  # fmt: skip
    """Each flight's clipped frames inside the area (in plane metres), newest flight first."""
    import shapely

    clipped, gsds = seen_on(frames, plane, max_range_m)
    insides = shapely.intersection(clipped, ground) if len(frames) else clipped
    by_flight: dict[int, _FlightGround] = {}
    for f, inside, gsd in zip(frames, insides, gsds, strict=True):
        if inside.area <= 0:
            continue
        fg = by_flight.setdefault(f.flight_id, _FlightGround(f.flight_id, f.flight_name, f.day))
        fg.day = max(fg.day, f.day)
        fg.seen.append(inside)
        if gsd is not None:
            fg.gsds.append(gsd)
            fg.weights.append(inside.area)
            if gsd_limit is None or gsd <= gsd_limit:
                fg.fine.append(inside)
        elif gsd_limit is None:
            fg.fine.append(inside)
    return sorted(by_flight.values(), key=lambda g: (g.day, g.flight_id), reverse=True)


def _last_seen(unions: list[tuple[dt.date, BaseGeometry]]) -> list[tuple[dt.date, BaseGeometry]]:
    """The ground split by the newest day that saw it (input newest first)."""
    out, done = [], None
    for day, seen in unions:
        piece = seen if done is None else seen.difference(done)
        done = seen if done is None else done.union(seen)
        if piece.area > SLIVER_M2:
            out.append((day, piece))
    return out


def _intervals(days: Sequence[dt.date], start: dt.date | None, end: dt.date) -> int | None:
    """The longest run of days without a pass, from ``start`` (or the first pass) to ``end``."""
    marks = sorted(set(days))
    if not marks:
        return None if start is None else (end - start).days
    edges = ([start] if start is not None and start < marks[0] else []) + marks + [end]
    return max((b - a).days for a, b in pairwise(edges))


def cover_area(
    area: Area, frames: Sequence[SeenFrame], *, start: dt.date | None, end: dt.date,
    max_range_m: float, gsd_limit: float | None, min_pass_share: float = 0.9,
) -> AreaCoverage:  # fmt: skip
    """The coverage of ``area`` by ``frames`` (those of the period), as of ``end``."""
    from shapely import union_all

    from pipeline.geo.plane import LocalPlane

    plane = LocalPlane.around(area.ground)
    ground = plane.to_en(area.ground)
    total = ground.area
    flights = _flights(frames, ground, plane, max_range_m=max_range_m, gsd_limit=gsd_limit)
    seen_by = [(g.day, union_all(g.seen)) for g in flights]
    fine_by = [(g.day, union_all(g.fine) if g.fine else None) for g in flights]
    passes = tuple(
        Pass(g.flight_id, g.flight_name, g.day, s.area / total,
             (f.area / total) if f is not None else 0.0, weighted_median(g.gsds, g.weights))
        for g, (_, s), (_, f) in zip(flights, seen_by, fine_by, strict=True)
    )  # fmt: skip
    seen_all = union_all([s for _, s in seen_by]) if seen_by else None
    fine_all = union_all([f for _, f in fine_by if f is not None]) if fine_by else None
    gaps = _gaps(ground, seen_all, fine_by, area.every_days, end)
    longest, missed = None, None
    if area.every_days is not None:
        full = [p.day for p in passes if p.fine_share >= min_pass_share]
        longest = _intervals(full, start, end)
        missed = longest is None or longest > area.every_days
    return AreaCoverage(
        area=area, area_m2=total,
        seen_share=seen_all.area / total if seen_all is not None else 0.0,
        fine_share=fine_all.area / total if fine_all is not None else 0.0,
        gsd_cm_per_px=weighted_median([g for f in flights for g in f.gsds],
                                      [w for f in flights for w in f.weights]),
        passes=passes,
        last_seen=tuple((d, plane.to_lonlat(g), g.area) for d, g in _last_seen(seen_by)),
        gaps=tuple((r, plane.to_lonlat(g), g.area) for r, g in gaps),
        longest_interval_days=longest, missed=missed,
    )  # fmt: skip


def _gaps(
    ground: BaseGeometry, seen_all: BaseGeometry | None,
    fine_by: list[tuple[dt.date, BaseGeometry | None]], every_days: int | None, end: dt.date,
) -> list[tuple[str, BaseGeometry]]:  # fmt: skip
    """``never`` seen in the period; seen, but within the interval only ``coarse``; ``stale``."""
    from shapely import union_all

    since = end - dt.timedelta(days=every_days) if every_days is not None else None
    recent = [f for d, f in fine_by if f is not None and (since is None or d >= since)]
    fine_recent = union_all(recent) if recent else None
    fine_ever = union_all([f for _, f in fine_by if f is not None]) if fine_by else None
    never = ground if seen_all is None else ground.difference(seen_all)
    rest = ground.difference(never)
    if fine_recent is not None:
        rest = rest.difference(fine_recent)
    coarse = rest if fine_ever is None else rest.difference(fine_ever)
    stale = rest.difference(coarse)
    return [(r, g) for r, g in (("never", never), ("coarse", coarse), ("stale", stale))
            if g.area > SLIVER_M2]  # fmt: skip
