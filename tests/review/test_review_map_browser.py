"""The maps in chromium: zones, each flight's footprints and the issues as switchable layers,
basemaps, and overlays shifted onto a GCJ-02 or BD-09 basemap (issue 15 item 6).

``HEHU_UI_SHOTS=/some/folder`` also saves screenshots of the map page there.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from tests.review.live import chromium_available, log_in, serve, shot
from tests.review.review_helpers import password_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright"),
]

# Published outputs of the common transform (as tests/geo/test_coords.py): wandergis/coordtransform.
GCJ_REFERENCE = [
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
]
BD_REFERENCE = (39.915, 116.404, 39.922699552216216, 116.41662724378733)


def png_tile() -> bytes:
    """A 256×256 grey PNG (an offline tile)."""
    raw = b"".join(b"\x00" + b"\xc8" * 256 for _ in range(256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (256).to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def tiles(tmp_path: Path) -> Path:
    folder = tmp_path / "xyz"
    (folder / "0" / "0").mkdir(parents=True)
    (folder / "0" / "0" / "0.png").write_bytes(png_tile())
    return folder


@pytest.fixture
def page_on(browser, make_app, tiles):
    contexts, servers = [], []

    def make(**config):
        server = serve(make_app(**config))
        base = server.__enter__()
        servers.append(server)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.route(
            "http*://**/*",
            lambda route: (
                route.abort() if "127.0.0.1" not in route.request.url else route.continue_()
            ),
        )
        log_in(page, base, "rev", password_of("rev"))
        return page, base

    yield make
    for context in contexts:
        context.close()
    for server in servers:
        server.__exit__(None, None, None)


def overlay_names(page) -> list[str]:
    return page.locator(".leaflet-control-layers-overlays label").all_inner_texts()


def test_map_draws_zones_footprints_and_issues_as_layers(page_on) -> None:
    page, base = page_on()
    page.goto(f"{base}/map?status=all")
    page.wait_for_selector("#issues-map[data-ready]")
    names = [n.strip() for n in overlay_names(page)]
    assert "管理范围" in names and "问题点位" in names
    assert any(n.startswith("照片覆盖范围 · ") for n in names), names
    assert "无底图" in page.inner_text(".leaflet-control-layers-base")
    counts = page.evaluate(
        """() => { const m = document.getElementById('issues-map').hehuMap;
          return m.hehu.overlays.map(
            o => [o.name, o.layer.getLayers().length, m.hasLayer(o.layer)]); }"""
    )
    by_name = {name: (n, on) for name, n, on in counts}
    assert by_name["管理范围"][0] >= 1 and by_name["问题点位"][0] >= 1
    assert all(on for n, on in by_name.values() if n)  # every layer is shown at first
    footprints = [n for name, (n, _) in by_name.items() if name.startswith("照片覆盖范围")]
    flights = page.evaluate("fetch('/api/flights.json').then(r => r.json())")["flights"]
    assert footprints == [f["footprints"] for f in flights if f["footprints"]]
    assert footprints[0] >= 1
    assert page.locator(".leaflet-zones-pane path").count() >= 1
    shot(page, "map-zh.png")
    page.locator(".leaflet-control-layers-overlays label", has_text="管理范围").locator(
        "input"
    ).uncheck()
    assert page.locator(".leaflet-zones-pane path").count() == 0


def test_overlays_follow_a_gcj02_basemap(page_on, tiles) -> None:
    layers = [
        {"name": "本地影像", "path": str(tiles)},
        {"name": "高德离线", "path": str(tiles), "datum": "gcj02"},
        {"name": "百度离线", "path": str(tiles), "datum": "bd09"},
    ]
    page, base = page_on(basemaps=layers)
    page.goto(f"{base}/map?status=all")
    page.wait_for_selector("#issues-map[data-ready]")
    assert page.get_attribute("#issues-map", "data-datum") == "wgs84"

    def first_issue():
        return page.evaluate(
            """() => { const m = document.getElementById('issues-map').hehuMap;
              const o = m.hehu.overlays.find(o => o.name === '问题点位');
              const l = o.layer.getLayers()[0];
              const c = l.feature.geometry.coordinates;
              return [l.getLatLng().lat, l.getLatLng().lng, c[1], c[0]]; }"""
        )

    lat, lon, wlat, wlon = first_issue()
    assert (lat, lon) == pytest.approx((wlat, wlon), abs=1e-12)
    page.locator(".leaflet-control-layers-base label", has_text="高德离线").locator("input").check()
    assert page.get_attribute("#issues-map", "data-datum") == "gcj02"
    lat, lon, wlat, wlon = first_issue()
    expect = page.evaluate(f"hehuDatum.wgs84ToGcj02({wlat}, {wlon})")
    assert (lat, lon) == pytest.approx(tuple(expect), abs=1e-12)
    from pipeline.geo.coords import in_china, wgs84_to_gcj02

    assert (lat, lon) == pytest.approx(wgs84_to_gcj02(wlat, wlon), abs=1e-9)
    assert in_china(wlat, wlon) or (lat, lon) == pytest.approx((wlat, wlon))
    page.locator(".leaflet-control-layers-base label", has_text="百度离线").locator("input").check()
    assert page.get_attribute("#issues-map", "data-datum") == "bd09"
    statuses = page.evaluate(
        """async () => { const r = await fetch('/tiles/0/0/0/0');
          const s = await fetch('/tiles/0/1/0/0');
          return [r.status, r.headers.get('content-type'), s.status]; }"""
    )
    assert statuses == [200, "image/png", 404]


def test_datum_script_matches_the_published_values(page_on) -> None:
    page, base = page_on()
    page.goto(f"{base}/map")
    page.wait_for_selector("#issues-map[data-ready]")
    for wlat, wlon, glat, glon in GCJ_REFERENCE:
        got = page.evaluate(f"hehuDatum.wgs84ToGcj02({wlat}, {wlon})")
        assert got == pytest.approx([glat, glon], abs=1e-9)
    wlat, wlon, blat, blon = BD_REFERENCE
    assert page.evaluate(f"hehuDatum.fromWgs84('bd09', {wlat}, {wlon})") == pytest.approx(
        [blat, blon], abs=1e-9
    )
    assert page.evaluate("hehuDatum.wgs84ToGcj02(50.82, -0.14)") == [50.82, -0.14]  # outside China


def test_candidate_map_has_the_same_layers(page_on, db_url) -> None:
    from tests.review.review_helpers import candidate_codes

    page, base = page_on()
    page.goto(f"{base}/issues/{candidate_codes(db_url)[0]}")
    page.wait_for_selector("#issue-map[data-ready]")
    names = [n.strip() for n in overlay_names(page)]
    assert names == ["管理范围", "看到它的照片", "问题点位"]


def test_report_fragment_draws_the_flight_offline(browser, db_url, tmp_path) -> None:
    from pipeline.config import load_config, resolve
    from pipeline.review.layers import flight_layers, load_zones_geojson
    from pipeline.review.report_map import flight_map_html
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.read() as session:
        zones = load_zones_geojson(resolve(load_config().ledger.zones))
        layers = flight_layers(session=session, flight_id=1, zones=zones)
    db.dispose()
    report = tmp_path / "report.html"
    report.write_text(
        f'<!doctype html><meta charset="utf-8"><body>{flight_map_html(layers=layers)}</body>',
        encoding="utf-8",
    )
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_selector("#flight-map[data-ready]")
    counts = page.evaluate(
        """() => document.getElementById('flight-map').hehuMap.hehu.overlays.map(
             o => [o.name, o.layer.getLayers().length])"""
    )
    assert counts == [
        ["管理范围", len(layers["zones"]["features"])],
        ["照片覆盖范围", len(layers["footprints"]["features"])],
        ["问题点位", len(layers["candidates"]["features"])],
    ]
    assert all(n > 0 for _, n in counts)
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests)
    shot(page, "report-map-zh.png")
    context.close()


def test_map_colours_covered_ground_by_age_and_draws_the_gaps(page_on) -> None:
    page, base = page_on()
    page.goto(f"{base}/map?status=all")
    page.wait_for_selector("#issues-map[data-ready]")
    names = [n.strip() for n in overlay_names(page)]
    assert "已覆盖（按距今天数着色）" in names and "覆盖缺口" in names
    drawn = page.evaluate(
        """() => { const m = document.getElementById('issues-map').hehuMap;
          const o = m.hehu.overlays.find(o => o.name.startsWith('已覆盖'));
          const gaps = m.hehu.overlays.find(o => o.name === '覆盖缺口');
          const seen = o.layer.getLayers();
          return [seen.map(l => [l.feature.properties.age_days, l.options.fillColor]),
                  gaps.layer.getLayers().length]; }"""
    )
    seen, gaps = drawn
    assert seen and gaps >= 1
    colour = page.evaluate("(d) => window.hehuMaps.ageColour(d)", seen[0][0])
    assert all(c == colour for _, c in seen)  # the sample flight: one day, one age
    assert page.evaluate("[3, 10, 20, 60, 400].map(window.hehuMaps.ageColour)") == [
        "#15803d", "#65a30d", "#ca8a04", "#ea580c", "#b91c1c",
    ]  # fmt: skip
    assert "≤7" in page.inner_text(".legend")
