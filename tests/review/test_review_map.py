"""Map layers and basemaps without a browser: zones from the run config, each flight's
footprints, offline tiles (XYZ folder, MBTiles), basemap presets and the CSP (issue 15 item 6)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.review.basemaps import basemap_layers, read_tile, tile_origins
from pipeline.review.config import ReviewConfig

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20


def test_zones_come_from_the_run_config(client_for) -> None:
    data = client_for("view").get("/api/zones.geojson").json()
    ids = [f["properties"]["zone_id"] for f in data["features"]]
    assert ids and all(f["geometry"]["type"] == "MultiPolygon" for f in data["features"])
    from pipeline.config import load_config, resolve
    from pipeline.ledger.zones import load_zones

    assert ids == [z.zone_id for z in load_zones(resolve(load_config().ledger.zones))]


def test_zones_option_replaces_the_run_configs(make_app, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from tests.review.review_helpers import log_in, password_of

    zone = tmp_path / "zones"
    zone.mkdir()
    (zone / "z.geojson").write_text(
        '{"type": "Feature", "properties": {"zone_id": "Z9", "river_name": "东湖", '
        '"division_code": "420100"}, "geometry": {"type": "Polygon", "coordinates": '
        "[[[114, 30], [114.1, 30], [114.1, 30.1], [114, 30]]]}}",
        encoding="utf-8",
    )
    client = TestClient(make_app(zones_dir=zone))
    log_in(client, "view", password_of("view"))
    features = client.get("/api/zones.geojson").json()["features"]
    assert [f["properties"]["zone_id"] for f in features] == ["Z9"]
    assert features[0]["properties"]["river_name"] == "东湖"


def test_no_zones_anywhere_draws_none(make_app, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from tests.review.review_helpers import log_in, password_of

    run = tmp_path / "hehu.yaml"
    run.write_text("ledger:\n  zones: null\n", encoding="utf-8")
    client = TestClient(make_app(run_config=run))
    log_in(client, "view", password_of("view"))
    assert client.get("/api/zones.geojson").json()["features"] == []


def test_each_flight_lists_its_footprints(client_for, db_url) -> None:
    from pipeline.ledger.models import Frame
    from pipeline.review.layers import flight_layers
    from pipeline.review.store import open_db

    view = client_for("view")
    flights = view.get("/api/flights.json").json()["flights"]
    assert flights and all(f["footprints"] <= f["frames"] for f in flights)
    flight = flights[0]
    data = view.get(f"/api/footprints.geojson?flight={flight['id']}").json()
    assert len(data["features"]) == flight["footprints"] >= 1
    db = open_db(db_url)
    with db.read() as session:
        frames = {
            f.file_name: f.footprint
            for f in session.query(Frame).filter(Frame.flight_id == flight["id"])
        }
        for feature in data["features"]:
            ring = feature["geometry"]["coordinates"][0]
            stored = [[lon, lat] for lat, lon in frames[feature["properties"]["name"]]]
            assert ring[0] == ring[-1] and ring[: len(stored)] == stored  # [lon, lat], closed
        layers = flight_layers(session=session, flight_id=flight["id"], zones=None)
    db.dispose()
    assert layers["footprints"] == data
    codes = {f["properties"]["code"] for f in layers["candidates"]["features"]}
    assert codes and codes <= {
        f["properties"]["code"]
        for f in view.get("/api/issues.geojson?status=all").json()["features"]
    }
    assert view.get("/api/footprints.geojson?flight=0").status_code == 400
    assert view.get("/api/footprints.geojson?flight=999999").json()["features"] == []


def test_xyz_folder_tiles(tmp_path: Path) -> None:
    (tmp_path / "3" / "5").mkdir(parents=True)
    (tmp_path / "3" / "5" / "2.png").write_bytes(PNG)
    (tmp_path / "3" / "5" / "3.jpg").write_bytes(JPEG)
    assert read_tile(tmp_path, 3, 5, 2) == (PNG, "image/png")
    assert read_tile(tmp_path, 3, 5, 3) == (JPEG, "image/jpeg")
    assert read_tile(tmp_path, 3, 5, 4) is None
    assert read_tile(tmp_path, 3, 8, 2) is None  # x beyond the zoom's 8 columns


def test_mbtiles_rows_count_from_the_bottom(tmp_path: Path) -> None:
    path = tmp_path / "office.mbtiles"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)"
        )
        db.execute("INSERT INTO tiles VALUES (3, 5, 5, ?)", (PNG,))  # TMS row 5 = XYZ y 2
    assert read_tile(path, 3, 5, 2) == (PNG, "image/png")
    assert read_tile(path, 3, 5, 5) is None


def test_offline_tiles_are_served_to_readers(make_app, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from tests.review.review_helpers import log_in, password_of

    (tmp_path / "xyz" / "0" / "0").mkdir(parents=True)
    (tmp_path / "xyz" / "0" / "0" / "0.png").write_bytes(PNG)
    client = TestClient(make_app(basemaps=[{"name": "离线影像", "path": str(tmp_path / "xyz")}]))
    assert client.get("/tiles/0/0/0/0").status_code == 401
    log_in(client, "view", password_of("view"))
    tile = client.get("/tiles/0/0/0/0")
    assert (
        tile.status_code == 200
        and tile.content == PNG
        and tile.headers["content-type"] == "image/png"
    )
    assert client.get("/tiles/0/1/0/0").status_code == 404
    assert client.get("/tiles/1/0/0/0").status_code == 404  # no such basemap
    assert '"url": "/tiles/0/{z}/{x}/{y}"' in client.get("/map").text
    assert "img-src 'self' data: blob:;" in client.get("/map").headers["content-security-policy"]


def test_presets_and_their_datums() -> None:
    config = ReviewConfig(tianditu_key="KEY123", amap=True, osm=True)
    layers = {b["name"]: b for b in basemap_layers(config)}
    assert list(layers) == ["天地图 矢量", "天地图 影像", "高德地图", "OpenStreetMap"]
    vec = layers["天地图 矢量"]
    assert "tk=KEY123" in vec["url"] and "LAYER=vec" in vec["url"] and "LAYER=cva" in vec["labels"]
    assert (vec["datum"], layers["高德地图"]["datum"], layers["OpenStreetMap"]["datum"]) == (
        "wgs84", "gcj02", "wgs84",
    )  # fmt: skip
    assert tile_origins(config) == [
        "https://*.tianditu.gov.cn", "https://*.is.autonavi.com", "https://tile.openstreetmap.org",
    ]  # fmt: skip
    assert basemap_layers(ReviewConfig()) == [] and tile_origins(ReviewConfig()) == []


def test_the_policy_allows_the_offered_tile_servers(make_app) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(
        make_app(tianditu_key="K", basemap_url="https://{s}.tiles.example/{z}/{x}/{y}.png")
    )
    policy = client.get("/login").headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://*.tiles.example https://*.tianditu.gov.cn;" in policy


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "a"}, "exactly one of url or path"),
        ({"name": "a", "url": "https://x/{z}", "path": "."}, "exactly one of url or path"),
        ({"name": "a", "url": "file:///etc/{z}"}, "must be http"),
        ({"name": "a", "path": "/no/such/tiles"}, "no tiles at"),
        ({"name": "a", "url": "https://x/{z}", "datum": "cgcs2000"}, "datum"),
    ],
)
def test_bad_basemaps_are_refused_when_loaded(spec, message) -> None:
    with pytest.raises(ValidationError, match=message):
        ReviewConfig(basemaps=[spec])


def test_flight_map_fragment_for_the_report_holds_the_layers_as_data(db_url) -> None:
    import json
    import re

    from pipeline.review.layers import flight_layers
    from pipeline.review.report_map import flight_map_html
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.read() as session:
        layers = flight_layers(session=session, flight_id=1, zones=None)
    db.dispose()
    layers["candidates"]["features"][0]["properties"]["code"] = "</script><b>x</b>"
    html = flight_map_html(layers=layers)
    embedded = re.search(r'id="flight-layers">(.*?)</script>', html, re.S).group(1)
    assert "</script" not in embedded and "<b>" not in embedded  # data stays data
    assert json.loads(embedded) == layers
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', html, re.S).group(1))
    assert config["basemaps"] == [] and config["names"]["footprints"] == "照片覆盖范围"
    with_tiles = flight_map_html(layers=layers, basemap_url="https://t.example/{z}/{x}/{y}.png")
    assert "https://t.example/{z}/{x}/{y}.png" in with_tiles


def test_coverage_layer_shows_seen_ground_by_age_and_gaps(client_for) -> None:
    import datetime as dt

    data = client_for("view").get("/api/coverage.geojson").json()
    seen = [f["properties"] for f in data["features"] if f["properties"]["layer"] == "seen"]
    gaps = [f["properties"] for f in data["features"] if f["properties"]["layer"] == "gap"]
    codes = {p["code"] for p in seen}
    assert {"example-brighton-beach", "example-brighton-west"} <= codes  # the sample flight
    for p in seen:
        age = (dt.date.fromisoformat(data["to"]) - dt.date.fromisoformat(p["last_seen"])).days
        assert p["age_days"] == age and p["area_m2"] > 0
    assert {"never"} <= {p["reason"] for p in gaps}  # a 12-frame flight leaves most unseen
    assert client_for(None).get("/api/coverage.geojson").status_code in (401, 303)
