"""The flight report's map projection and page."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from pipeline.flight_report import TILE_PX, MapFrame, mercator_px


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


TILE = re.compile(
    r'<image href="https://tiles.example/(\d+)/(\d+)/(\d+).png" '
    r'x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"/>'
)


@pytest.mark.parametrize(
    "points",
    [
        [(46.8422, -91.9946), (46.8436, -91.9935)],
        [(-16.5, 179.9995), (-16.501, -179.9995)],  # across 180°: tile columns wrap to 0
    ],
)
def test_basemap_tiles_cover_the_canvas_each_where_the_world_has_it(points) -> None:
    m = MapFrame(points)
    tiles = [TILE.fullmatch(t) for t in m.tiles("https://tiles.example/{z}/{x}/{y}.png")]
    assert tiles and all(tiles)
    z = int(m.zoom)
    grid = {(float(t[4]), float(t[5])): (int(t[1]), int(t[2]), int(t[3])) for t in tiles}
    size = float(tiles[0][6])
    xs, ys = sorted({x for x, _ in grid}), sorted({y for _, y in grid})
    assert len(grid) == len(tiles) == len(xs) * len(ys)  # a full grid, no tile twice
    assert xs[0] <= 0 and ys[0] <= 0 and xs[-1] + size >= m.width and ys[-1] + size >= m.height
    assert all(b - a == pytest.approx(size, abs=0.11) for a, b in itertools.pairwise(xs))
    assert all(b - a == pytest.approx(size, abs=0.11) for a, b in itertools.pairwise(ys))
    for lat, lon in points:  # the tile drawn under a point is the world's tile there
        px, py = m.xy(lat, lon)
        x, y = max(x for x in xs if x <= px), max(y for y in ys if y <= py)
        wx, wy = mercator_px(lat, lon, z)
        assert grid[(x, y)] == (z, int(wx // TILE_PX) % 2**z, int(wy // TILE_PX))


def test_map_labels_are_short_and_never_overlap() -> None:
    from pipeline.flight_report import LABEL_CHAR_PX, free_labels, short_codes

    codes = ["990101-2016-0001", "990101-2016-0002", "990101-2016-0003"]
    assert short_codes(codes) == ["0001", "0002", "0003"]
    assert short_codes([*codes, "420102-2026-0001"]) == [*codes, "420102-2026-0001"]
    marks = [(100.0, 100.0), (104.0, 102.0), (100.0, 300.0), (100.0 + 11 + LABEL_CHAR_PX, 300.0)]
    # the 2nd marker sits on the 1st's label, the 4th inside the 3rd's: those two stay bare
    assert free_labels(marks, ["0001", "0002", "0003", "0004"]) == [False, True, False, True]
    assert free_labels([(0.0, 0.0), (500.0, 500.0)], ["a", "b"]) == [True, True]


def test_legend_names_the_four_disorders_in_chinese() -> None:
    from types import SimpleNamespace

    from pipeline.flight import BatchResult, FlightPlan
    from pipeline.flight_report import render_html

    plan = FlightPlan("sha256:x", "empty", "/flights/empty", (), ())
    pushed = SimpleNamespace(created=(), recurred=(), rebounded=())
    page = render_html(plan, BatchResult((), {}), pushed, [], {}, [])
    for label in ("乱占 luanzhan", "乱采 luancai", "乱堆 luandui", "乱建 luanjian"):
        assert label in page
    assert (
        "No georeferenced frame" in page and "No 四乱 candidate was found in this flight." in page
    )


def test_a_flight_across_the_antimeridian_is_drawn_where_it_is() -> None:
    points = [(65.0001, 179.9998), (65.0, -179.9997), (64.9999, 179.9999), (65.0, -179.9999)]
    m = MapFrame(points)
    assert 15 < m.zoom < 22  # a few tens of metres across, not the whole world
    for lat, lon in points:
        x, y = m.xy(lat, lon)
        assert 0 < x < m.width and 0 < y < m.height
    assert m.xy(65.0, -179.9999)[0] > m.xy(65.0, 179.9999)[0]  # east of 180° is right of it
    hrefs = [t.split('href="')[1].split('"')[0] for t in m.tiles("{z}/{x}/{y}")]
    z = int(m.zoom)
    xs = {int(h.split("/")[1]) for h in hrefs}
    assert {0, 2**z - 1} <= xs and all(0 <= x < 2**z for x in xs)  # both sides of 180°, real
    assert len(xs) < 8
