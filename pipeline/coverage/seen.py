"""The ground each ledger frame saw: its footprint, clipped at a range, and its GSD.

Footprints are the ledger's ``frame.footprint`` rings (``[[lat, lon], …]``, already
capped at ``geo.footprint_max_range_m`` from the camera's nadir). Coverage clips them
again, at ``max_range_m`` from the nadir (a disk): the far part of an oblique frame is
seen, but too obliquely and too coarsely to count as patrolled.

A frame's GSD is its mean over the whole footprint, ``sqrt(footprint area / pixels)``:
exact on average for a nadir frame over flat ground, and coarser than the near part
of an oblique frame (on the safe side: such a frame may be called too coarse when its
near part is fine). A frame without its pixel size has no GSD (``None``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.ledger.models import Flight, Frame

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from pipeline.geo.plane import LocalPlane

#: Default far limit of the ground counted as covered, metres from the camera's nadir.
DEFAULT_MAX_RANGE_M = 300.0


@dataclass(frozen=True)
class SeenFrame:
    """One frame's footprint (``[lon, lat]`` polygon), when, from where, and its pixels
    (``None`` when the ledger lacks its size)."""

    frame_id: int
    flight_id: int
    flight_name: str
    day: dt.date
    lat_deg: float
    lon_deg: float
    footprint: BaseGeometry
    pixels: int | None


def mean_gsd_cm_per_px(area_m2: float, pixels: int | None) -> float | None:
    """``sqrt(ground area / pixels)`` in cm/px (``None`` without pixels or ground)."""
    if not pixels or area_m2 <= 0:
        return None
    return math.sqrt(area_m2 / pixels) * 100.0


def seen_on(
    frames: Sequence[SeenFrame], plane: LocalPlane, max_range_m: float
) -> tuple[np.ndarray, list[float | None]]:
    """The frames' ground in ``plane`` metres, each clipped at ``max_range_m`` from its
    nadir (an array of geometries), and their GSDs; one vectorised pass over all frames."""
    import shapely

    from pipeline.geo.coords import geodetic_to_enu

    if not frames:
        return np.array([], dtype=object), []
    feet = plane.to_en(np.array([f.footprint for f in frames], dtype=object))
    e, n, _ = geodetic_to_enu(np.array([f.lat_deg for f in frames]),
                              np.array([f.lon_deg for f in frames]), 0.0,
                              lat0_deg=plane.lat0_deg, lon0_deg=plane.lon0_deg)  # fmt: skip
    disks = shapely.buffer(shapely.points(e, n), max_range_m, quad_segs=16)
    gsds = [mean_gsd_cm_per_px(float(a), f.pixels)
            for a, f in zip(shapely.area(feet), frames, strict=True)]  # fmt: skip
    return shapely.intersection(feet, disks), gsds


def _polygon(ring_latlon: Any) -> BaseGeometry | None:
    import shapely

    if not ring_latlon or len(ring_latlon) < 3:
        return None
    poly = shapely.Polygon([(float(p[1]), float(p[0])) for p in ring_latlon])
    return poly if poly.is_valid else shapely.make_valid(poly)


def seen_frames(
    *, session: Session, start: dt.date | None = None, end: dt.date | None = None
) -> list[SeenFrame]:
    """Frames with a footprint and a camera position taken from ``start`` to ``end``
    (days, both included; a frame without its time takes its flight's start)."""
    when = func.coalesce(Frame.captured_at, Flight.started_at)
    query = (
        select(Frame, Flight.name, when)
        .join(Flight, Flight.id == Frame.flight_id)
        .where(Frame.footprint.is_not(None), Frame.lat_deg.is_not(None), when.is_not(None))
        .order_by(Frame.id)
    )
    if start is not None:
        query = query.where(when >= dt.datetime.combine(start, dt.time()))
    if end is not None:
        query = query.where(when < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    out = []
    for frame, flight_name, taken in session.execute(query):
        poly = _polygon(frame.footprint)
        if poly is None or frame.lat_deg is None or frame.lon_deg is None:
            continue
        out.append(SeenFrame(
            frame_id=frame.id, flight_id=frame.flight_id, flight_name=flight_name,
            day=taken.date(), lat_deg=frame.lat_deg, lon_deg=frame.lon_deg, footprint=poly,
            pixels=(frame.width_px or 0) * (frame.height_px or 0) or None,
        ))  # fmt: skip
    return out
