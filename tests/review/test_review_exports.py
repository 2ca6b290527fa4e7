"""Exports of the queue's selection: xlsx 问题台账, GeoJSON, KML (via pipeline.ledger.export)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest

from tests.review.review_helpers import candidate_codes


def test_geojson_export_follows_the_filters(client_for, db_url) -> None:
    viewer = client_for("view")
    everything = viewer.get("/export/issues.geojson?status=all")
    assert everything.status_code == 200
    assert everything.headers["content-type"].startswith("application/geo+json")
    assert "attachment;" in everything.headers["content-disposition"]
    features = json.loads(everything.content)["features"]
    assert len(features) == len(candidate_codes(db_url))
    lon, lat = features[0]["geometry"]["coordinates"]
    assert 46.8 < lat < 46.9 and -92.1 < lon < -91.9  # WGS-84, [lon, lat]
    none = json.loads(viewer.get("/export/issues.geojson?status=closed").content)
    assert none["features"] == []


def test_xlsx_and_kml_exports(client_for, db_url) -> None:
    from openpyxl import load_workbook

    viewer = client_for("view")
    xlsx = viewer.get("/export/issues.xlsx?status=candidate&sort=code")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "河湖“四乱”问题台账"
    codes = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert codes == candidate_codes(db_url)
    kml = viewer.get("/export/issues.kml")
    root = ET.fromstring(kml.content)
    placemarks = root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")
    assert len(placemarks) == len(candidate_codes(db_url))
    assert viewer.get("/export/issues.docx").status_code == 404


def test_gis_exports_read_back_in_cgcs2000(client_for, db_url, tmp_path) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    viewer = client_for("view")
    gpkg = viewer.get("/export/issues.gpkg?status=all")
    assert gpkg.status_code == 200 and ".gpkg" in gpkg.headers["content-disposition"]
    (tmp_path / "x.gpkg").write_bytes(gpkg.content)
    info = pyogrio.read_info(tmp_path / "x.gpkg", layer="issues")
    assert info["crs"] == "EPSG:4490" and info["features"] == len(candidate_codes(db_url))
    assert pyogrio.read_info(tmp_path / "x.gpkg", layer="frames")["features"] == 5
    shp = viewer.get("/export/issues.shp?status=all")
    assert 'shp.zip"' in shp.headers["content-disposition"]
    (tmp_path / "x.zip").write_bytes(shp.content)
    meta = pyogrio.raw.read(f"/vsizip/{tmp_path}/x.zip/issues.shp")[0]
    assert meta["crs"] == "EPSG:4490" and meta["encoding"] == "UTF-8"
    frames = json.loads(viewer.get("/export/issues.geojson?status=all&layer=frames").content)
    assert len(frames["features"]) == 5 and "crs" not in frames
    assert viewer.get("/export/issues.geojson?layer=nonsense").status_code == 400


def test_the_candidate_page_offers_its_dossier(client_for, db_url) -> None:
    viewer = client_for("view")
    code = candidate_codes(db_url)[0]
    assert f'href="/export/dossier/{code}.pdf"' in viewer.get(f"/issues/{code}").text
    pdf = viewer.get(f"/export/dossier/{code}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and "filename*=UTF-8''" in pdf.headers[
        "content-disposition"]  # fmt: skip
    bundle = viewer.get(f"/export/dossier/{code}.zip")
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        assert f"{code}.pdf" in archive.namelist() and "SHA256SUMS" in archive.namelist()
    assert viewer.get("/export/dossier/999999-2016-0001.pdf").status_code == 404
    assert viewer.get(f"/export/dossier/{code}.docx").status_code == 404
