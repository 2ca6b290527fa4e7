"""Shapely geometries between WGS-84 ``[lon, lat]`` and a local plane in metres.

Areas, buffers and overlaps are measured on the tangent plane (east, north metres)
at an origin near the geometries, through the exact ENU conversion of
:mod:`pipeline.geo.coords`; over a grid or a flight (a few kilometres) the plane's
scale error is under one part in ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.geo.coords import enu_to_geodetic, geodetic_to_enu

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class LocalPlane:
    """The tangent plane at ``(lat0_deg, lon0_deg)``, ground at height 0."""

    lat0_deg: float
    lon0_deg: float

    @classmethod
    def around(cls, geometry: BaseGeometry) -> LocalPlane:
        """The plane at the centre of a ``[lon, lat]`` geometry's bounds."""
        x0, y0, x1, y1 = geometry.bounds
        return cls(lat0_deg=(y0 + y1) / 2, lon0_deg=(x0 + x1) / 2)

    def to_en(self, geometry: BaseGeometry) -> BaseGeometry:
        """``[lon, lat]`` degrees -> ``[east, north]`` metres."""
        import shapely

        def fwd(xy: np.ndarray) -> np.ndarray:
            e, n, _ = geodetic_to_enu(xy[:, 1], xy[:, 0], 0.0, lat0_deg=self.lat0_deg,
                                      lon0_deg=self.lon0_deg)  # fmt: skip
            return np.column_stack([e, n])

        return shapely.transform(geometry, fwd)

    def to_lonlat(self, geometry: BaseGeometry) -> BaseGeometry:
        """``[east, north]`` metres -> ``[lon, lat]`` degrees."""
        import shapely

        def back(en: np.ndarray) -> np.ndarray:
            lat, lon, _ = enu_to_geodetic(en[:, 0], en[:, 1], 0.0, lat0_deg=self.lat0_deg,
                                          lon0_deg=self.lon0_deg)  # fmt: skip
            return np.column_stack([lon, lat])

        return shapely.transform(geometry, back)
