"""The dossier map's geometry: local plane, extents, scale bar."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipeline.dossier.mapdraw import (
    MIN_SPAN_M,
    OVERVIEW_MAX_M,
    LocalPlane,
    detail_extent,
    overview_extent,
    scale_bar_m,
)
from tests.ledger.ledger_helpers import offset


@pytest.mark.parametrize(
    ("span_m", "bar_m"),
    [(80.0, 10.0), (96.0, 10.0), (130.0, 20.0), (600.0, 100.0), (3000.0, 500.0)],
)
def test_scale_bar_is_a_round_fifth(span_m, bar_m) -> None:
    assert scale_bar_m(span_m) == bar_m


def test_local_plane_is_metres_east_and_north() -> None:
    lat, lon = offset(30.0, -40.0)
    east, north = LocalPlane(*offset(0, 0)).en(lon, lat)
    assert (east, north) == pytest.approx((30.0, -40.0), abs=0.05)


def ring(east: float, north: float, half: float) -> tuple[tuple[float, float], ...]:
    corners = ((-half, -half), (half, -half), (half, half), (-half, half))
    return tuple((lon, lat) for lat, lon in (offset(east + dx, north + dy) for dx, dy in corners))


def dossier(footprints, zone):
    lat, lon = offset(0, 0)
    sightings = [SimpleNamespace(footprint=f, outline=None) for f in footprints]
    return SimpleNamespace(issue=SimpleNamespace(lat=lat, lon=lon), sightings=sightings,
                           zone_rings=(zone,))  # fmt: skip


def test_detail_covers_the_footprints_and_overview_the_zone() -> None:
    d = dossier([ring(10, 0, 30)], ring(0, 0, 300))
    e0, n0, e1, n1 = detail_extent(d)
    assert e0 < -20 and e1 > 40 and e1 - e0 == pytest.approx(n1 - n0)  # square
    o = overview_extent(d, (e0, n0, e1, n1))
    assert o[0] < -300 and o[2] > 300
    assert detail_extent(dossier([], ring(0, 0, 300)))[2] * 2 >= MIN_SPAN_M  # a point alone


def test_a_long_zone_gives_an_overview_centred_on_the_issue() -> None:
    d = dossier([], ring(5000, 0, 4000))
    assert overview_extent(d, detail_extent(d)) == (
        -OVERVIEW_MAX_M / 2, -OVERVIEW_MAX_M / 2, OVERVIEW_MAX_M / 2, OVERVIEW_MAX_M / 2,
    )  # fmt: skip
