"""The one point-in-polygon test, holes and the antimeridian included."""

from __future__ import annotations

import pytest

from pipeline.geo.polygon import contains_lonlat, in_ring


def square(lon0: float, lat0: float, side: float) -> list[tuple[float, float]]:
    """A closed ``(lon, lat)`` square, its south-west corner at ``(lon0, lat0)``."""
    return [(lon0, lat0), (lon0 + side, lat0), (lon0 + side, lat0 + side), (lon0, lat0 + side),
            (lon0, lat0)]  # fmt: skip


def wrapped(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The ring with longitudes past 180° written as their [-180, 180) names."""
    return [(lon - 360.0 if lon >= 180.0 else lon, lat) for lon, lat in ring]


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (1.0, 1.0, True),
        (2.5, 2.5, False),  # in the hole
        (3.5, 3.5, True),  # beyond the hole, still in the outer ring
        (5.0, 1.0, False),
        (-1.0, 1.0, False),
    ],
)
def test_outer_ring_and_hole(lon: float, lat: float, inside: bool) -> None:
    assert contains_lonlat([square(0, 0, 4), square(2, 2, 1)], lon, lat) is inside


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (179.9995, -16.5005, True),
        (-179.9995, -16.5005, True),
        (180.0, -16.5005, True),
        (-180.0, -16.5005, True),
        (179.998, -16.5005, False),  # west of the square
        (-179.998, -16.5005, False),  # east of it
        (0.0, -16.5005, False),  # the far side of the globe, not "inside a globe-wide ring"
    ],
)
def test_a_square_across_180_degrees_is_one_small_square(
    lon: float, lat: float, inside: bool
) -> None:
    ring = wrapped(square(179.999, -16.501, 0.002))  # vertices at 179.999 and -179.999
    assert contains_lonlat([ring], lon, lat) is inside


@pytest.mark.parametrize(
    ("lon", "inside"), [(180.0, False), (-180.0, False), (179.9995, True), (-179.9995, True)]
)
def test_a_hole_around_180_degrees(lon: float, inside: bool) -> None:
    ring = wrapped(square(179.999, -16.501, 0.002))
    hole = wrapped(square(179.9998, -16.5007, 0.0004))
    assert contains_lonlat([ring, hole], lon, -16.5005) is inside


def test_in_ring_is_plain_plane_geometry() -> None:
    assert in_ring([(0, 0), (2, 0), (2, 2), (0, 2)], 1.0, 1.0)  # open ring
    assert not in_ring([(0, 0), (2, 0), (2, 2), (0, 2)], 3.0, 1.0)
