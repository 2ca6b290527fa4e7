"""The ledger's GIS layers (GeoPackage, zipped Shapefiles) read back with pyogrio."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipeline.cli import main
from pipeline.ledger.export import export_issues
from pipeline.ledger.gis import ledger_shapes
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import list_issues
from tests.ledger.ledger_helpers import flight_inputs, offset

pyogrio = pytest.importorskip("pyogrio")


def square(east_m: float, north_m: float, half_m: float) -> tuple[tuple[float, float], ...]:
    """A square ring ``((lat, lon), …)`` around a point, ``half_m`` a side's half."""
    return tuple(offset(east_m + dx, north_m + dy)
                 for dx, dy in ((-half_m, -half_m), (half_m, -half_m), (half_m, half_m),
                                (-half_m, half_m)))  # fmt: skip


@pytest.fixture
def pushed(session_factory, zones):
    flight, frames, dets = flight_inputs("A")
    dets[0] = dataclasses.replace(dets[0], footprint=square(0, 0, 2))
    footprints = {f.sha256: square(0, 0, 60) for f in frames[:3]}  # the 4th has none
    push_flight(session_factory=session_factory, flight=flight, frames=frames,
                detections=dets, zones=zones, footprints=footprints)  # fmt: skip
    with session_factory() as session:
        issues = list_issues(session=session)
        shapes = ledger_shapes(session=session, codes=[v.code for v in issues])
    return issues, shapes


def test_geopackage_layers_crs_fields_and_chinese(tmp_path, pushed) -> None:
    issues, shapes = pushed
    out = export_issues(issues, "gpkg", tmp_path / "台账.gpkg", shapes=shapes)
    assert [tuple(x) for x in pyogrio.list_layers(out)] == [
        ("issues", "Point"), ("outlines", "Polygon"), ("frames", "Polygon"),
    ]  # fmt: skip
    meta, _, geometry, values = pyogrio.raw.read(out, layer="issues")[:4]
    assert meta["crs"] == "EPSG:4490"
    fields = dict(zip(meta["fields"], values, strict=True))
    assert list(fields["code"]) == [v.code for v in issues]
    assert set(fields["river"]) == {issues[0].river_name} and "示例" in issues[0].river_name
    assert list(fields["chief"]) == [v.river_chief for v in issues]
    assert list(fields["type_zh"]) == [v.type_label for v in issues]
    types = dict(zip(meta["fields"], map(str, meta["dtypes"]), strict=True))
    assert (types["frames"], types["lat"], types["code"]) == ("int64", "float64", "object")
    import shapely

    point = shapely.from_wkb(geometry[0])
    assert (point.x, point.y) == pytest.approx((issues[0].lon, issues[0].lat), abs=1e-9)
    frames = pyogrio.read_info(out, layer="frames")
    assert frames["features"] == 3 and frames["crs"] == "EPSG:4490"
    outline = pyogrio.raw.read(out, layer="outlines")
    assert list(outline[3][0]) == [shapes.outlines[0].code] and len(shapes.outlines) == 1


def test_shapefile_zip_keeps_chinese_in_dbf(tmp_path, pushed) -> None:
    issues, shapes = pushed
    out = export_issues(issues, "shp", tmp_path / "台账.zip", shapes=shapes)
    meta, _, _, values = pyogrio.raw.read(f"/vsizip/{out}/issues.shp")[:4]
    assert meta["crs"] == "EPSG:4490" and meta["encoding"] == "UTF-8"
    assert all(len(name) <= 10 for name in meta["fields"])
    fields = dict(zip(meta["fields"], values, strict=True))
    assert list(fields["status_zh"]) == ["待审核"] * len(issues)
    assert list(fields["chief"]) == [v.river_chief for v in issues]


def test_cli_tells_a_zip_is_shapefiles(db_url, pushed, tmp_path, capsys) -> None:
    assert main(["export", "--db", db_url, str(tmp_path / "layers.zip")]) == 0
    said = capsys.readouterr().out
    assert "3 frame footprint(s)" in said and "EPSG:4490" in said
    assert pyogrio.read_info(f"/vsizip/{tmp_path}/layers.zip/frames.shp")["features"] == 3
    assert main(["export", "--db", db_url, str(tmp_path / "layers.gpkg"), "--since",
                 "2030-01-01"]) == 0  # fmt: skip
    assert pyogrio.read_info(tmp_path / "layers.gpkg", layer="frames")["features"] == 0


def test_one_layer_as_rfc7946_geojson(db_url, pushed, tmp_path, capsys) -> None:
    out = tmp_path / "frames.geojson"
    assert main(["export", "--db", db_url, str(out), "--layer", "frames"]) == 0
    assert "CRS WGS-84" in capsys.readouterr().out
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in doc and len(doc["features"]) == 3  # RFC 7946: WGS-84, no crs member
    assert {f["geometry"]["type"] for f in doc["features"]} == {"Polygon"}
    assert set(doc["features"][0]["properties"]) == {"flight", "frame", "sha256", "taken_at",
                                                     "rel_alt_m"}  # fmt: skip
    points = tmp_path / "issues.geojson"  # the ledger's points, as before
    assert main(["export", "--db", db_url, str(points)]) == 0
    assert json.loads(points.read_text(encoding="utf-8"))["name"] == "河湖“四乱”问题台账"
