"""Frames of later flights that show an issue's place: what a reviewer may attach as the
after-photo when closing a rectified issue (销号) without a new detection there.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.geo.coords import degrees_around, haversine_m
from pipeline.ledger.assign import lon_window
from pipeline.ledger.models import Evidence, Flight, Frame
from pipeline.ledger.plausible import covering_frames
from pipeline.ledger.workflow import get_issue


@dataclass(frozen=True)
class LaterFrame:
    frame_id: int
    sha256: str
    flight: str
    captured_at: dt.datetime | None
    distance_m: float
    covers: bool

    @property
    def label(self) -> str:
        when = f"{self.captured_at:%Y-%m-%d %H:%M}" if self.captured_at else "?"
        return f"{self.flight} · {when} · {self.distance_m:.0f} m"


def _covers(ring: list[list[float]] | None, lat: float, lon: float) -> bool:
    return bool(ring) and len(ring or ()) >= 3 and covering_frames(lat, lon, [(0, ring)]) == 1


def later_frames(*, session: Session, code: str, radius_m: float = 150.0) -> list[LaterFrame]:
    """Frames taken after the discovery, by flights that gave no evidence, showing the place.

    A frame qualifies when its footprint covers the issue's point, or (no
    footprint recorded) its camera position is within ``radius_m``.
    """
    issue = get_issue(session=session, code=code)
    own = select(Evidence.flight_id).where(Evidence.issue_id == issue.id)
    dlat, dlon = degrees_around(issue.lat_deg, 4 * radius_m)
    query = (
        select(Frame, Flight.name)
        .join(Flight, Flight.id == Frame.flight_id)
        .where(
            Frame.flight_id.not_in(own),
            Frame.lat_deg.between(issue.lat_deg - dlat, issue.lat_deg + dlat),
            lon_window(Frame.lon_deg, [issue.lon_deg], dlon),
        )
        .order_by(Frame.captured_at.desc(), Frame.id)
        .limit(500)
    )
    out = []
    for frame, flight in session.execute(query):
        d = _distance_m(issue.lat_deg, issue.lon_deg, frame.lat_deg, frame.lon_deg)
        covers = _covers(frame.footprint, issue.lat_deg, issue.lon_deg)
        if issue.discovered_at and frame.captured_at and frame.captured_at <= issue.discovered_at:
            continue
        if covers or (not frame.footprint and d <= radius_m):
            out.append(LaterFrame(frame.id, frame.sha256, flight, frame.captured_at, d, covers))
    return out[:50]


def _distance_m(lat0: float, lon0: float, lat1: float | None, lon1: float | None) -> float:
    if lat1 is None or lon1 is None:
        return math.inf
    return haversine_m(lat0, lon0, lat1, lon1)
