"""Map layers as GeoJSON (``[lon, lat]``, WGS-84): management zones, frame footprints, candidates.

The review app's maps fetch these from ``/api``; :func:`flight_layers` gathers
the three for one flight, so a flight report can draw the same layers with the
same ``static/maps.js``. Footprints are the ledger's ``frame.footprint`` rings
(``[[lat, lon], …]``, written by the pipeline when the frame was placed on the
ground); a frame without one is left out, never guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.ledger.models import Evidence, Flight, Frame, Issue

log = logging.getLogger(__name__)

FeatureCollection = dict[str, Any]


def collection(features: Iterable[dict[str, Any]]) -> FeatureCollection:
    return {"type": "FeatureCollection", "features": list(features)}


def ring_lonlat(latlon: Any) -> list[list[float]] | None:
    """A stored ``[[lat, lon], …]`` ring as a closed GeoJSON ``[[lon, lat], …]`` ring."""
    if not latlon or len(latlon) < 3:
        return None
    ring = [[float(p[1]), float(p[0])] for p in latlon]
    return ring if ring[0] == ring[-1] else [*ring, ring[0]]


def zones_feature_collection(zones: Any) -> FeatureCollection:
    """:class:`pipeline.ledger.zones.Zone` outlines, with their id, river and reach."""
    return collection(
        {
            "type": "Feature",
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [[[list(p) for p in ring] for ring in poly] for poly in z.polygons],
            },
            "properties": {
                "zone_id": z.zone_id,
                "river_name": z.props.river_name,
                "reach": z.props.reach,
            },
        }
        for z in zones
    )


def load_zones_geojson(zones_path: Path | str | None) -> FeatureCollection | None:
    """The zones to draw (``None`` when no path is set or nothing is there).

    Read and checked by :func:`pipeline.ledger.zones.load_zones`, the reader the
    ledger files issues with, so the map shows the zones issues were placed in.
    """
    if zones_path is None:
        return None
    from pipeline.ledger.zones import load_zones

    if not Path(zones_path).exists():
        log.warning("no management zones at %s: maps draw none", zones_path)
        return None
    return zones_feature_collection(load_zones(zones_path))


def flights_with_footprints(*, session: Session) -> list[dict[str, Any]]:
    """Every flight with its number of frames and of frames with a footprint, newest first."""
    query = (
        select(Flight.id, Flight.name, Flight.started_at, func.count(Frame.id),
               func.count(Frame.footprint))
        .join(Frame, Frame.flight_id == Flight.id)
        .group_by(Flight.id, Flight.name, Flight.started_at)
        .order_by(Flight.started_at.desc(), Flight.id.desc())
    )  # fmt: skip
    return [
        {"id": fid, "name": name, "started_at": started, "frames": n, "footprints": with_fp}
        for fid, name, started, n, with_fp in session.execute(query)
    ]


def flight_footprints(*, session: Session, flight_id: int) -> FeatureCollection:
    """The ground footprint of each frame of the flight, with the frame's file name."""
    frames = session.scalars(
        select(Frame)
        .where(Frame.flight_id == flight_id, Frame.footprint.is_not(None))
        .order_by(Frame.captured_at, Frame.id)
    )
    return collection(
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"kind": "frame", "name": frame.file_name, "flight_id": flight_id},
        }
        for frame in frames
        if (ring := ring_lonlat(frame.footprint))
    )


def flight_candidates(*, session: Session, flight_id: int) -> FeatureCollection:
    """The issues the flight gave evidence to, as points with code, type and status."""
    seen = select(Evidence.issue_id).where(Evidence.flight_id == flight_id)
    issues = session.scalars(select(Issue).where(Issue.id.in_(seen)).order_by(Issue.code))
    return collection(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [i.lon_deg, i.lat_deg]},
            "properties": {"kind": "issue", "code": i.code, "type": i.type, "status": i.status},
        }
        for i in issues
    )


def flight_layers(
    *, session: Session, flight_id: int, zones: FeatureCollection | None
) -> dict[str, FeatureCollection]:
    """The three layers of one flight's map: ``zones``, ``footprints`` and ``candidates``."""
    return {
        "zones": zones or collection(()),
        "footprints": flight_footprints(session=session, flight_id=flight_id),
        "candidates": flight_candidates(session=session, flight_id=flight_id),
    }
