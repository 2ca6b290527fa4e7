"""Point in polygon on longitude and latitude, the one test every module uses.

A polygon is an outer ring then its holes, each ring a sequence of
``(lon_deg, lat_deg)`` vertices (GeoJSON order), closed or not. The test is
ray casting (even-odd); a point on an edge may fall either way, which the
metres of GPS error make moot.

Longitudes, the point's included, are taken relative to the outer ring's first
vertex (the short way round), so a polygon across the antimeridian (vertices at
179.9 and -179.9) stays one small ring instead of one that wraps the globe.
Polygons must therefore span less than 180° of longitude, as every zone and
frame footprint does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.geo.coords import wrap_lon_deg

Ring = Sequence[Sequence[float]]  # ((lon_deg, lat_deg), ...), closed or not


def in_ring(ring: Ring, x: float, y: float) -> bool:
    """Ray casting (even-odd) for one ring of plane ``(x, y)`` vertices (no wrapping)."""
    inside = False
    for i in range(len(ring)):
        x0, y0 = ring[i - 1][0], ring[i - 1][1]
        x1, y1 = ring[i][0], ring[i][1]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def contains_lonlat(polygon: Sequence[Ring], lon_deg: float, lat_deg: float) -> bool:
    """Whether the polygon (outer ring, then holes) holds the point; antimeridian-safe."""
    ref = float(polygon[0][0][0])
    x = ref + wrap_lon_deg(lon_deg - ref)
    outer, *holes = (_near(ring, ref) for ring in polygon)
    return in_ring(outer, x, lat_deg) and not any(in_ring(hole, x, lat_deg) for hole in holes)


def _near(ring: Ring, ref_lon_deg: float) -> list[tuple[float, float]]:
    """The ring with each longitude moved to within 180° of ``ref_lon_deg``."""
    lons = ref_lon_deg + wrap_lon_deg(np.array([p[0] for p in ring], dtype=float) - ref_lon_deg)
    return list(zip(np.atleast_1d(lons).tolist(), (p[1] for p in ring), strict=True))
