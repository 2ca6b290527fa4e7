"""Exports of the queue's selection: xlsx 问题台账, GeoJSON, KML (via pipeline.ledger.export)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

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
