"""The flight report's map projection and page."""

from __future__ import annotations

import math

import pytest

from pipeline.report import MapFrame, mercator_px


def test_mercator_matches_known_tile_corners() -> None:
    assert mercator_px(0.0, 0.0, 0) == pytest.approx((128.0, 128.0))
    x, y = mercator_px(85.0511287798, -180.0, 1)
    assert (x, y) == pytest.approx((0.0, 0.0), abs=1e-6)


def test_map_frame_fits_the_points_inside_the_canvas() -> None:
    points = [(46.8422, -91.9946), (46.8436, -91.9935), (46.8429, -91.9940)]
    m = MapFrame(points)
    for lat, lon in points:
        x, y = m.xy(lat, lon)
        assert 0 < x < m.width and 0 < y < m.height
    (xa, ya), (xb, yb) = m.xy(46.8422, -91.9946), m.xy(46.8436, -91.9935)
    assert xb > xa and yb < ya  # east is right, north is up
    assert math.isfinite(m.zoom) and 15 < m.zoom < 22


def test_basemap_tiles_cover_the_canvas() -> None:
    m = MapFrame([(46.8422, -91.9946), (46.8436, -91.9935)])
    tiles = m.tiles("https://tiles.example/{z}/{x}/{y}.png")
    assert tiles and all("tiles.example/" in t for t in tiles)
