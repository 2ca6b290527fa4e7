"""GIS vector files read back with GDAL through pyogrio: layers, CRS, field types, Chinese text."""

from __future__ import annotations

import json
import zipfile

import pytest

from pipeline.geo.vector_files import VectorLayer, write_vector

pyogrio = pytest.importorskip("pyogrio")

RING = ((116.39, 39.90), (116.40, 39.90), (116.40, 39.91), (116.39, 39.91))
POINTS = VectorLayer(
    "issues", "Point", ((116.391, 39.905), (116.395, 39.9075)),
    {"code": ("A-1", "A-2"), "river": ("永定河", None), "frames": (3, 1), "area_m2": (12.5, None)},
)  # fmt: skip
POLYGONS = VectorLayer("frames", "Polygon", (RING,), {"frame": ("DJI_0001.JPG",)})


@pytest.mark.parametrize(
    ("fmt", "path"),
    [("gpkg", "{tmp}/out.gpkg"), ("shp", "/vsizip/{tmp}/out.zip/issues.shp")],
)
def test_points_read_back_with_crs_types_and_chinese(tmp_path, fmt, path) -> None:
    out = tmp_path / ("out.gpkg" if fmt == "gpkg" else "out.zip")
    write_vector([POINTS, POLYGONS], out, fmt)
    meta, _, geometry, values = pyogrio.raw.read(path.format(tmp=tmp_path), layer="issues")[:4]
    assert meta["crs"] == "EPSG:4490"
    assert list(meta["fields"]) == ["code", "river", "frames", "area_m2"]
    assert [str(t) for t in meta["dtypes"]] == ["object", "object", "int64", "float64"]
    assert list(values[1]) == ["永定河", None]
    assert list(values[2]) == [3, 1]
    import shapely

    first = shapely.from_wkb(geometry[0])
    assert (first.x, first.y) == pytest.approx((116.391, 39.905))


def test_the_geopackage_holds_every_layer(tmp_path) -> None:
    out = tmp_path / "layers.gpkg"
    write_vector([POINTS, POLYGONS], out, "gpkg")
    assert [tuple(x) for x in pyogrio.list_layers(out)] == [
        ("issues", "Point"),
        ("frames", "Polygon"),
    ]
    assert list(tmp_path.iterdir()) == [out]  # nothing left beside it
    import sqlite3

    with sqlite3.connect(out) as db:  # GeoPackage 1.2: older GDAL and QGIS read it unwarned
        assert db.execute("PRAGMA user_version").fetchone() == (10200,)


def test_the_shapefile_zip_says_utf8_and_cgcs2000(tmp_path) -> None:
    out = tmp_path / "out.zip"
    write_vector([POINTS, POLYGONS], out, "shp")
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert {f"issues.{s}" for s in ("shp", "shx", "dbf", "prj", "cpg")} <= names
        assert archive.read("frames.cpg").decode().strip().upper() == "UTF-8"
        assert "GCS_China_Geodetic_Coordinate_System_2000" in archive.read("frames.prj").decode()
    info = pyogrio.read_info(f"/vsizip/{out}/frames.shp")
    assert info["geometry_type"] == "Polygon" and info["features"] == 1


def test_geojson_is_rfc7946_wgs84(tmp_path) -> None:
    out = tmp_path / "frames.geojson"
    write_vector([POLYGONS], out, "geojson")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in doc  # RFC 7946: WGS-84 implied, no crs member
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and ring[0] == [116.39, 39.9]
    assert doc["features"][0]["properties"] == {"frame": "DJI_0001.JPG"}
    with pytest.raises(ValueError, match="one layer"):
        write_vector([POINTS, POLYGONS], out, "geojson")


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"columns": {"description": ("x",)}}, "1-10 ASCII"),
        ({"columns": {"河长": ("x",)}}, "1-10 ASCII"),
        ({"columns": {"code": ("x", "y")}}, "2 values for 1 shapes"),
        ({"geometry_type": "Line"}, "geometry_type"),
    ],
)
def test_a_layer_is_checked_when_made(kwargs, says) -> None:
    spec = {"name": "t", "geometry_type": "Point", "shapes": ((1.0, 2.0),), "columns": {}}
    with pytest.raises(ValueError, match=says):
        VectorLayer(**(spec | kwargs))


def test_declared_types_hold_for_an_empty_layer_and_a_column_of_none(tmp_path) -> None:
    types = {"frames": "int", "area_m2": "float"}
    empty = VectorLayer("issues", "Point", (), {"frames": (), "area_m2": (), "code": ()}, types)
    nones = VectorLayer(
        "frames", "Polygon", (RING,), {"rel_alt_m": (None,)}, {"rel_alt_m": "float"}
    )
    out = tmp_path / "typed.gpkg"
    write_vector([empty, nones], out, "gpkg")
    issues = pyogrio.read_info(out, layer="issues")
    assert issues["features"] == 0
    assert [str(t) for t in issues["dtypes"]] == ["int64", "float64", "object"]
    assert [str(t) for t in pyogrio.read_info(out, layer="frames")["dtypes"]] == ["float64"]
    with pytest.raises(ValueError, match="field types"):
        VectorLayer("t", "Point", (), {"x": ()}, {"x": "date"})
