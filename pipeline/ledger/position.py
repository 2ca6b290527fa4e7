"""An issue's position: the uncertainty-weighted mean of its sightings, refined by each push.

Within one flight the sightings of an object share the GPS bias and much of
the height error, so averaging them cannot beat those: a flight's estimate
is the inverse-variance mean of its sightings with a 1σ no smaller than the
smallest shared part of its sightings (``sqrt(σ² − σ_rel²)``). Flights are
independent, so the issue's position is the inverse-variance mean of the
flights' estimates and its ``sigma_m`` shrinks as flights add up. Sightings
stored without an error count with ``position_sigma_m``.
"""

from __future__ import annotations

import math
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.geo.coords import haversine_m, wrap_lon_deg
from pipeline.ledger.audit import record
from pipeline.ledger.models import Detection, Evidence, Issue, utc_now

#: Moves smaller than this (metres) are applied without an audit row.
AUDIT_MOVE_M = 0.5

Estimate = tuple[float, float, float]  # lat, lon, sigma_m


def _mean(points: list[tuple[float, float, float]]) -> Estimate:
    """Inverse-variance mean of ``(lat, lon, sigma_m)`` and its 1σ (longitudes taken
    relative to the first point, so points either side of 180° average to 180°, not 0°)."""
    w = [1.0 / s**2 for _, _, s in points]
    total = sum(w)
    lon0 = points[0][1]
    lat = sum(p[0] * wi for p, wi in zip(points, w, strict=True)) / total
    dlon = sum(wrap_lon_deg(p[1] - lon0) * wi for p, wi in zip(points, w, strict=True)) / total
    return lat, wrap_lon_deg(lon0 + dlon), 1.0 / math.sqrt(total)


def weighted_position(
    sightings: list[tuple[int, float, float, float | None, float | None]], default_sigma_m: float
) -> Estimate | None:
    """``(flight_id, lat, lon, sigma_m, sigma_rel_m)`` sightings → the issue's estimate."""
    flights: dict[int, list[tuple[float, float, float, float]]] = defaultdict(list)
    for flight, lat, lon, sigma, rel in sightings:
        s = sigma if sigma and sigma > 0 else default_sigma_m
        r = rel if rel and 0 < rel <= s else s
        flights[flight].append((lat, lon, s, math.sqrt(max(s**2 - r**2, 0.0))))
    if not flights:
        return None
    per_flight = []
    for points in flights.values():
        lat, lon, sigma = _mean([(a, b, s) for a, b, s, _ in points])
        shared = min(p[3] for p in points)
        per_flight.append((lat, lon, max(sigma, shared)))
    return _mean(per_flight)


def refine_issue(
    *, session: Session, issue: Issue, default_sigma_m: float, actor: str, note: str
) -> None:
    """Set ``issue``'s position and ``sigma_m`` from all its sightings; audit real moves."""
    query = (
        select(Evidence.flight_id, Detection.lat_deg, Detection.lon_deg, Detection.sigma_m,
               Detection.sigma_rel_m)
        .join(Detection, Detection.id == Evidence.detection_id)
        .where(Evidence.issue_id == issue.id)
        .where(Detection.lat_deg.is_not(None), Detection.lon_deg.is_not(None))
    )  # fmt: skip
    rows = [(flight, lat, lon, sigma, rel)
            for flight, lat, lon, sigma, rel in session.execute(query)
            if lat is not None and lon is not None]  # fmt: skip
    estimate = weighted_position(rows, default_sigma_m)
    if estimate is None:
        return
    lat, lon, sigma = estimate
    moved = haversine_m(issue.lat_deg, issue.lon_deg, lat, lon)
    if moved < 0.01 and issue.sigma_m is not None and abs(issue.sigma_m - sigma) < 0.01:
        return
    if moved >= AUDIT_MOVE_M:
        why = f"{note}: moved {moved:.1f} m, σ {sigma:.1f} m"
        record(session=session, actor=actor, entity="issue", entity_key=issue.code,
               field="position", old=f"{issue.lat_deg:.7f},{issue.lon_deg:.7f}",
               new=f"{lat:.7f},{lon:.7f}", note=why)  # fmt: skip
    issue.lat_deg, issue.lon_deg, issue.sigma_m = lat, lon, round(sigma, 3)
    issue.updated_at_utc = utc_now()
