"""Shapely geometries on a local plane in metres and back."""

from __future__ import annotations

import pytest
import shapely

from pipeline.geo.coords import haversine_m
from pipeline.geo.plane import LocalPlane


def test_a_kilometre_square_measures_a_square_kilometre_and_comes_back() -> None:
    lat0, lon0 = 30.5, 114.3
    plane = LocalPlane(lat0, lon0)
    square_en = shapely.Polygon([(0, 0), (1000, 0), (1000, 1000), (0, 1000)])
    square = plane.to_lonlat(square_en)
    x0, y0, x1, _ = square.bounds
    assert haversine_m(y0, x0, y0, x1) == pytest.approx(1000, rel=4e-3)  # a sphere's metres
    back = plane.to_en(square)
    assert back.area == pytest.approx(1e6, rel=1e-6)
    assert shapely.equals_exact(back, square_en, tolerance=1e-4)  # 0.1 mm


def test_around_takes_the_middle_of_the_bounds() -> None:
    line = shapely.LineString([(120.0, 30.0), (120.2, 30.4)])
    assert LocalPlane.around(line) == LocalPlane(lat0_deg=30.2, lon0_deg=120.1)
