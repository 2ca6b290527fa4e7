"""The ledger as GIS layers: issues, their ground outlines, and the frames' footprints.

Three layers, written by :func:`pipeline.geo.vector_files.write_vector` as a GeoPackage
or a zip of Shapefiles with the CRS declared as CGCS2000 (EPSG:4490):

- ``issues`` (points): one per issue, the 问题台账's fields (codes and Chinese labels);
- ``outlines`` (polygons): an issue's ground outline where one is known, that of its
  most confident sighting (one object, one outline: a union of sightings would grow
  with each flight's registration error);
- ``frames`` (polygons): the ground footprint of each photo of the flights asked for,
  the patrol's coverage (a frame without a footprint is left out, never guessed).

One layer can also be written as RFC 7946 GeoJSON (WGS-84). Field names are at most 10
ASCII characters (Shapefile's limit), the same in every
format; values keep their Chinese text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.geo.vector_files import VectorLayer, write_vector
from pipeline.ledger.models import Detection, Evidence, Flight, Frame, Issue
from pipeline.ledger.queries import IssueView

FORMATS = ("gpkg", "shp")
LAYERS = ("issues", "outlines", "frames")
Ring = tuple[tuple[float, float], ...]  # ((lon_deg, lat_deg), ...)


@dataclass(frozen=True)
class Outline:
    """An issue's ground outline: its most confident sighting's footprint."""

    code: str
    ring: Ring
    conf: float
    area_m2: float | None
    seen_at: dt.datetime | None
    frame: str
    flight: str


@dataclass(frozen=True)
class Footprint:
    """One photo's ground footprint."""

    flight: str
    frame: str
    sha256: str
    captured_at: dt.datetime | None
    rel_alt_m: float | None
    ring: Ring


@dataclass(frozen=True)
class LedgerShapes:
    """What the layers draw beyond the issues' points."""

    outlines: tuple[Outline, ...] = ()
    footprints: tuple[Footprint, ...] = ()


def lonlat_ring(latlon: Any) -> Ring | None:
    """A stored ``[[lat, lon], …]`` ring as ``((lon, lat), …)``; ``None`` under 3 vertices."""
    if not latlon or len(latlon) < 3:
        return None
    return tuple((float(p[1]), float(p[0])) for p in latlon)


def issue_outlines(*, session: Session, codes: Collection[str]) -> list[Outline]:
    """The outline of each of ``codes`` that has a sighting with a footprint."""
    query = (
        select(Issue.code, Detection, Frame, Flight.name)
        .join(Evidence, Evidence.issue_id == Issue.id)
        .join(Detection, Detection.id == Evidence.detection_id)
        .join(Frame, Frame.id == Detection.frame_id)
        .join(Flight, Flight.id == Evidence.flight_id)
        .where(Detection.footprint.is_not(None))
        .order_by(Issue.code, Detection.conf.desc(), Detection.id)
    )
    wanted, best = sorted(set(codes)), {}
    for i in range(0, len(wanted), 500):
        for code, det, frame, flight in session.execute(
            query.where(Issue.code.in_(wanted[i : i + 500]))
        ):
            if code not in best and (ring := lonlat_ring(det.footprint)):
                best[code] = Outline(code, ring, det.conf, det.area_m2,
                                     det.captured_at or frame.captured_at, frame.file_name,
                                     flight)  # fmt: skip
    return [best[c] for c in sorted(best)]


def frame_footprints(
    *, session: Session, flight_ids: Collection[int] | None = None, since: dt.date | None = None
) -> list[Footprint]:
    """Footprints of every frame of the ledger's flights (``flight_ids``: only those;
    ``since``: flights started on or after that day), by flight and capture time."""
    query = (
        select(Frame, Flight.name)
        .join(Flight, Flight.id == Frame.flight_id)
        .where(Frame.footprint.is_not(None))
        .order_by(Flight.started_at, Flight.id, Frame.captured_at, Frame.id)
    )
    if flight_ids is not None:
        query = query.where(Flight.id.in_(list(flight_ids)))
    if since is not None:
        query = query.where(Flight.started_at >= dt.datetime.combine(since, dt.time()))
    return [
        Footprint(name, frame.file_name, frame.sha256, frame.captured_at, frame.rel_alt_m, ring)
        for frame, name in session.execute(query)
        if (ring := lonlat_ring(frame.footprint))
    ]


def _text(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return None if value is None else str(value)


def issues_layer(issues: Sequence[IssueView], labels: Mapping[str, str]) -> VectorLayer:
    fields: dict[str, Any] = {
        "code": lambda v: v.code, "type": lambda v: v.type, "type_zh": lambda v: v.type_label,
        "subtype": lambda v: v.subtype, "subtype_zh": lambda v: labels.get(v.subtype or ""),
        "status": lambda v: v.status, "status_zh": lambda v: v.status_label,
        "severity": lambda v: v.severity, "sev_zh": lambda v: v.severity_label,
        "river": lambda v: v.river_name, "river_code": lambda v: v.river_code,
        "reach": lambda v: v.reach, "chief": lambda v: v.river_chief,
        "division": lambda v: v.division_code, "in_zone": lambda v: int(v.in_zone),
        "area_m2": lambda v: None if v.area_m2 is None else round(v.area_m2, 2),
        "lon": lambda v: round(v.lon, 8), "lat": lambda v: round(v.lat, 8),
        "found_at": lambda v: _text(v.discovered_at), "method": lambda v: v.discovery_method,
        "last_seen": lambda v: _text(v.last_seen_at), "frames": lambda v: v.frames,
        "flights": lambda v: v.flights, "unit": lambda v: v.responsible_unit,
        "person": lambda v: v.responsible_person, "deadline": lambda v: _text(v.deadline),
        "closed_on": lambda v: _text(v.closed_on), "rebound": lambda v: int(v.rebound),
        "descr": lambda v: v.description,
    }  # fmt: skip
    return VectorLayer(
        "issues",
        "Point",
        tuple((v.lon, v.lat) for v in issues),
        {name: tuple(get(v) for v in issues) for name, get in fields.items()},
        {"in_zone": "int", "area_m2": "float", "lon": "float", "lat": "float", "frames": "int",
         "flights": "int", "rebound": "int"},
    )  # fmt: skip


def outlines_layer(outlines: Sequence[Outline], issues: Sequence[IssueView]) -> VectorLayer:
    views = {v.code: v for v in issues}
    kept = [o for o in outlines if o.code in views]
    return VectorLayer("outlines", "Polygon", tuple(o.ring for o in kept), {
        "code": tuple(o.code for o in kept),
        "type_zh": tuple(views[o.code].type_label for o in kept),
        "status_zh": tuple(views[o.code].status_label for o in kept),
        "conf": tuple(round(o.conf, 3) for o in kept),
        "area_m2": tuple(None if o.area_m2 is None else round(o.area_m2, 2) for o in kept),
        "seen_at": tuple(_text(o.seen_at) for o in kept),
        "frame": tuple(o.frame for o in kept),
        "flight": tuple(o.flight for o in kept),
    }, {"conf": "float", "area_m2": "float"})  # fmt: skip


def frames_layer(footprints: Sequence[Footprint]) -> VectorLayer:
    return VectorLayer("frames", "Polygon", tuple(f.ring for f in footprints), {
        "flight": tuple(f.flight for f in footprints),
        "frame": tuple(f.frame for f in footprints),
        "sha256": tuple(f.sha256 for f in footprints),
        "taken_at": tuple(_text(f.captured_at) for f in footprints),
        "rel_alt_m": tuple(f.rel_alt_m for f in footprints),
    }, {"rel_alt_m": "float"})  # fmt: skip


def needs_shapes(fmt: str, layer: str | None = None) -> bool:
    """Whether an export as ``fmt`` (``layer``: of GeoJSON) draws outlines and footprints."""
    return fmt in FORMATS or (fmt == "geojson" and layer not in (None, "issues"))


def write_gis(
    issues: Sequence[IssueView],
    out: Path,
    fmt: str,
    *,
    shapes: LedgerShapes | None = None,
    labels: Mapping[str, str] | None = None,
    layer: str | None = None,
) -> None:
    """Write the ``issues``, ``outlines`` and ``frames`` layers (``layer``: only that one)
    to ``out`` as ``fmt``: ``gpkg`` or ``shp`` (a zip), CRS declared as CGCS2000
    (EPSG:4490), or ``geojson`` (one layer, WGS-84 as RFC 7946 asks)."""
    if layer is not None and layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    shapes = shapes or LedgerShapes()
    made = {
        "issues": lambda: issues_layer(issues, labels or {}),
        "outlines": lambda: outlines_layer(shapes.outlines, issues),
        "frames": lambda: frames_layer(shapes.footprints),
    }
    write_vector([made[name]() for name in LAYERS if layer in (None, name)], out, fmt)


def ledger_shapes(
    *,
    session: Session,
    codes: Collection[str],
    flight_ids: Collection[int] | None = None,
    since: dt.date | None = None,
) -> LedgerShapes:
    """The outlines of ``codes`` and the footprints of the flights asked for
    (:func:`frame_footprints`)."""
    return LedgerShapes(
        tuple(issue_outlines(session=session, codes=codes)),
        tuple(frame_footprints(session=session, flight_ids=flight_ids, since=since)),
    )
