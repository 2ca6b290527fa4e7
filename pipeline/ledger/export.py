"""Ledger exports: xlsx 问题台账, CSV, GeoJSON and KML, from :class:`IssueView` rows.

- **xlsx** (openpyxl): a title row, Chinese column headers, one row per issue,
  dates as date cells, frozen header, filter, Amap links.
- **CSV**: the same columns, UTF-8 with a BOM so Excel shows the Chinese.

Spreadsheet cells carry no formulas: a text cell that a spreadsheet would read
as one (starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break: OWASP's
CSV-injection list) gets a leading single quote in both the CSV and the xlsx,
so openpyxl stores it as a string cell, never a formula. Numbers stay numbers.
- **GeoJSON** (RFC 7946): a FeatureCollection of Points ``[lon, lat]`` (WGS-84)
  with the issue's fields (codes and labels) as properties.
- **KML 2.2**: one Placemark per issue with a description table and, when
  evidence exists, a link to its first photo; Google Earth and 奥维地图 open it.
- **KMZ**: the KML zipped with the evidence crops (:mod:`pipeline.ledger.kmz`).
- **GeoPackage** and **Shapefile** (a zip): the issues, their ground outlines and the
  frames' footprints as GIS layers, CRS declared as CGCS2000 (:mod:`pipeline.ledger.gis`);
  the outlines or the footprints alone as GeoJSON (RFC 7946, WGS-84).

Times are shown as the xlsx shows them (``2024-05-01 10:00:00``; dates ``2024-05-01``):
camera times as the camera recorded them, times with a zone in the office's
(``display.timezone``). A path that cannot be written (missing folder, a folder
given as the file, no permission, a read-only disk) is a :class:`BadInputError`
whose one line says how to fix it; nothing half-written is left behind.

Coordinates are WGS-84 everywhere (GeoPackage and Shapefile name them CGCS2000, which
agrees to centimetres or decimetres); GCJ-02 appears only inside the Amap link.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from pipeline.errors import MissingDependencyError
from pipeline.fileio import write_asked_file
from pipeline.ledger.gis import FORMATS as GIS_FORMATS
from pipeline.ledger.gis import LedgerShapes, needs_shapes, write_gis
from pipeline.ledger.kmz import write_kmz
from pipeline.ledger.queries import IssueView, amap_link, photo_uri

FORMATS = ("xlsx", "csv", "geojson", "kml", "kmz", *GIS_FORMATS)
DEFAULT_TIMEZONE = "Asia/Shanghai"
TITLE = "河湖“四乱”问题台账"
KML_NS = "http://www.opengis.net/kml/2.2"
KML_COLORS = {
    "luanzhan": "ff00a5ff",
    "luancai": "ff00ffff",
    "luandui": "ff0000ff",
    "luanjian": "ffff00ff",
}

Getter = Callable[[IssueView, Mapping[str, str]], Any]


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _subtype(v: IssueView, labels: Mapping[str, str]) -> str | None:
    if v.subtype is None:
        return None
    label = labels.get(v.subtype)
    return f"{label}（{v.subtype}）" if label else v.subtype


#: (header, width, getter) in 问题台账 order.
COLUMNS: tuple[tuple[str, int, Getter], ...] = (
    ("问题编号", 18, lambda v, _: v.code),
    ("河湖名称", 22, lambda v, _: v.river_name),
    ("河湖编码", 16, lambda v, _: v.river_code),
    ("河段", 18, lambda v, _: v.reach),
    ("河长", 10, lambda v, _: v.river_chief),
    ("行政区划代码", 13, lambda v, _: v.division_code),
    ("问题类型", 9, lambda v, _: v.type_label),
    ("问题子类", 26, _subtype),
    ("问题描述", 30, lambda v, _: v.description),
    ("面积（平方米）", 12, lambda v, _: None if v.area_m2 is None else round(v.area_m2, 1)),
    ("严重程度", 9, lambda v, _: v.severity_label),
    ("经度（WGS-84）", 14, lambda v, _: round(v.lon, 7)),
    ("纬度（WGS-84）", 13, lambda v, _: round(v.lat, 7)),
    ("是否在管理范围内", 10, lambda v, _: _yes_no(v.in_zone)),
    ("发现时间", 18, lambda v, _: v.discovered_at),
    ("发现方式", 11, lambda v, _: v.discovery_method),
    ("最近发现时间", 18, lambda v, _: v.last_seen_at),
    ("证据照片数", 9, lambda v, _: v.frames),
    ("证据航次数", 9, lambda v, _: v.flights),
    ("证据照片", 40, lambda v, _: "\n".join(v.photos) or None),
    ("责任单位", 20, lambda v, _: v.responsible_unit),
    ("责任人", 10, lambda v, _: v.responsible_person),
    ("整改措施", 30, lambda v, _: v.rectification_measures),
    ("整改时限", 12, lambda v, _: v.deadline),
    ("是否逾期", 9, lambda v, _: _yes_no(v.overdue)),
    ("整改进展", 24, lambda v, _: v.progress),
    ("状态", 9, lambda v, _: v.status_label),
    ("销号日期", 12, lambda v, _: v.closed_on),
    ("下次检查日期", 12, lambda v, _: v.next_check_on),
    ("是否反弹", 9, lambda v, _: _yes_no(v.rebound)),
    ("地图链接（高德）", 30, lambda v, _: amap_link(v.lat, v.lon, v.code)),
)
HEADERS = ("序号", *(c[0] for c in COLUMNS))


#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_text(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Numbers, dates and ``None`` pass unchanged, so numeric columns stay numeric.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_rows(
    issues: Sequence[IssueView], labels: Mapping[str, str] | None = None
) -> list[list[Any]]:
    """One list of cell values per issue, in :data:`HEADERS` order (序号 from 1)."""
    labels = labels or {}
    return [[n, *(get(v, labels) for _, _, get in COLUMNS)] for n, v in enumerate(issues, start=1)]


def sheet_rows(
    issues: Sequence[IssueView], labels: Mapping[str, str] | None = None
) -> list[list[Any]]:
    """:func:`table_rows` with every formula-like text neutralised (:func:`spreadsheet_text`)."""
    return [[spreadsheet_text(c) for c in row] for row in table_rows(issues, labels)]


def human_time(value: Any, timezone: str = DEFAULT_TIMEZONE) -> Any:
    """A datetime or date as the xlsx shows it (``2024-05-01 10:00:00``, ``2024-05-01``); a
    datetime with a zone in ``timezone`` first. Anything else is returned as it is."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            from zoneinfo import ZoneInfo

            value = value.astimezone(ZoneInfo(timezone))
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return value


def write_csv(
    issues: Sequence[IssueView],
    out: Path,
    *,
    labels: Mapping[str, str] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> None:
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for row in sheet_rows(issues, labels):
            writer.writerow(["" if c is None else human_time(c, timezone) for c in row])


def write_xlsx(
    issues: Sequence[IssueView],
    out: Path,
    *,
    labels: Mapping[str, str] | None = None,
    exported_at: dt.datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> None:
    from zoneinfo import ZoneInfo

    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
    except ImportError as e:
        raise MissingDependencyError(
            "xlsx export needs openpyxl: pip install 'openpyxl>=3.1'"
        ) from e
    wb = Workbook()
    ws = wb.active
    ws.title = "问题台账"
    stamp = (exported_at or dt.datetime.now(ZoneInfo(timezone))).strftime("%Y-%m-%d %H:%M")
    ws.append([TITLE])
    ws.append(
        [f"导出时间：{stamp}　共{len(issues)}条　坐标系：WGS-84　发现方式：无人机飞检（hehu）"]
    )
    ws.append(list(HEADERS))
    ncol = len(HEADERS)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in sheet_rows(issues, labels):
        ws.append(row)
    _format_xlsx_cells(ws, get_column_letter, Alignment)
    ws.freeze_panes = "C4"
    ws.auto_filter.ref = f"A3:{get_column_letter(ncol)}{max(3, ws.max_row)}"
    wb.save(out)


def _format_xlsx_cells(ws: Any, get_column_letter: Any, Alignment: Any) -> None:
    widths = (6, *(c[1] for c in COLUMNS))
    link_col = len(HEADERS)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        link = row[link_col - 1]
        if link.value:
            link.hyperlink = link.value
            link.style = "Hyperlink"


def feature_collection(
    issues: Sequence[IssueView], *, labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the issues (WGS-84 points)."""
    labels = labels or {}
    features = []
    for v in issues:
        props = v.to_json()
        props.pop("lat")
        props.pop("lon")
        props["subtype_label"] = labels.get(v.subtype or "")
        props["amap_url"] = amap_link(v.lat, v.lon, v.code)
        features.append(
            {
                "type": "Feature",
                "id": v.code,
                "geometry": {"type": "Point", "coordinates": [round(v.lon, 8), round(v.lat, 8)]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "name": TITLE, "features": features}


def write_geojson(
    issues: Sequence[IssueView], out: Path, *, labels: Mapping[str, str] | None = None
) -> None:
    text = json.dumps(feature_collection(issues, labels=labels), ensure_ascii=False, indent=1)
    out.write_text(text + "\n", encoding="utf-8")


def _kml_description(v: IssueView, labels: Mapping[str, str], image: str | None = None) -> str:
    rows = [
        (h, c)
        for h, c in zip(HEADERS[1:], table_rows([v], labels)[0][1:], strict=True)
        if h != "证据照片"
    ]
    cells = "".join(
        f"<tr><th align='left'>{html.escape(h)}</th><td>{html.escape(str(c))}</td></tr>"
        for h, c in rows
        if c not in (None, "") and not h.startswith("地图链接")
    )
    parts = [f"<table>{cells}</table>"]
    if image:  # a crop inside the KMZ, by its relative path
        src = html.escape(image, quote=True)
        parts.append(f"<p>证据截图<br/><img src='{src}' width='480'/></p>")
    elif v.photos:
        href = html.escape(v.photo_uris[0] if v.photo_uris else photo_uri(v.photos[0]), quote=True)
        parts.append(
            f"<p><a href='{href}'>现场照片 ({v.frames})</a><br/><img src='{href}' width='480'/></p>"
        )
    link = amap_link(v.lat, v.lon, v.code)
    if link:
        parts.append(f"<p><a href='{html.escape(link, quote=True)}'>高德地图</a></p>")
    return "".join(parts)


def kml_document(
    issues: Sequence[IssueView],
    *,
    labels: Mapping[str, str] | None = None,
    images: Mapping[str, str] | None = None,
) -> ET.ElementTree:
    """The KML tree; ``images`` maps issue codes to image hrefs shown in place of the
    link to the original photo (the crops of a KMZ)."""
    labels, images = labels or {}, images or {}
    ET.register_namespace("", KML_NS)

    def q(tag: str) -> str:
        return f"{{{KML_NS}}}{tag}"

    kml = ET.Element(q("kml"))
    doc = ET.SubElement(kml, q("Document"))
    ET.SubElement(doc, q("name")).text = TITLE
    for kind, color in KML_COLORS.items():
        style = ET.SubElement(doc, q("Style"), id=kind)
        ET.SubElement(ET.SubElement(style, q("IconStyle")), q("color")).text = color
    for v in issues:
        mark = ET.SubElement(
            doc, q("Placemark"), id=f"issue-{v.code}"
        )  # an XML ID cannot start with a digit
        late = " 逾期" if v.overdue else ""
        ET.SubElement(mark, q("name")).text = f"{v.code} {v.type_label} {v.status_label}{late}"
        ET.SubElement(mark, q("description")).text = _kml_description(v, labels, images.get(v.code))
        ET.SubElement(mark, q("styleUrl")).text = f"#{v.type}"
        data = ET.SubElement(mark, q("ExtendedData"))
        for key in ("code", "type", "subtype", "status", "severity", "frames", "deadline",
                    "overdue"):  # fmt: skip
            value = getattr(v, key)
            if value is not None:
                field = ET.SubElement(data, q("Data"), name=key)
                ET.SubElement(field, q("value")).text = str(value)
        point = ET.SubElement(mark, q("Point"))
        ET.SubElement(point, q("coordinates")).text = f"{v.lon:.8f},{v.lat:.8f},0"
    return ET.ElementTree(kml)


def write_kml(
    issues: Sequence[IssueView], out: Path, *, labels: Mapping[str, str] | None = None
) -> None:
    tree = kml_document(issues, labels=labels)
    ET.indent(tree)
    tree.write(out, encoding="UTF-8", xml_declaration=True)


def _write(fmt: str, issues: Sequence[IssueView], out: Path, *, labels: Mapping[str, str] | None,
           crops: Mapping[str, str] | None, timezone: str,
           shapes: LedgerShapes | None = None, layer: str | None = None) -> None:  # fmt: skip
    if needs_shapes(fmt, layer):
        write_gis(issues, out, fmt, shapes=shapes, labels=labels, layer=layer)
    elif fmt == "xlsx":
        write_xlsx(issues, out, labels=labels, timezone=timezone)
    elif fmt == "csv":
        write_csv(issues, out, labels=labels, timezone=timezone)
    elif fmt == "geojson":
        write_geojson(issues, out, labels=labels)
    elif fmt == "kml":
        write_kml(issues, out, labels=labels)
    else:

        def document(images: Mapping[str, str]) -> ET.ElementTree:
            return kml_document(issues, labels=labels, images=images)

        write_kmz(issues, out, crops=crops, document=document)


def export_issues(
    issues: Sequence[IssueView],
    fmt: str,
    out: Path | str,
    *,
    labels: Mapping[str, str] | None = None,
    crops: Mapping[str, str] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    shapes: LedgerShapes | None = None,
    layer: str | None = None,
) -> Path:
    """Write ``issues`` as ``fmt`` (one of :data:`FORMATS`) to ``out``.

    ``labels`` maps subtype ids to their Chinese names (from the taxonomy), ``crops``
    issue codes to their evidence crops (KMZ), ``timezone`` is the office's, ``shapes``
    the outlines and footprints of the GIS layers (:func:`pipeline.ledger.gis.ledger_shapes`).
    ``layer`` (``outlines`` or ``frames``) makes a GeoJSON of that GIS layer instead of the
    issues' points. The file is written beside ``out`` and renamed into place; a path that
    cannot be written is a :class:`BadInputError` saying how to fix it
    (:func:`pipeline.fileio.write_asked_file`).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return write_asked_file(
        Path(out),
        lambda part: _write(
            fmt,
            issues,
            part,
            labels=labels,
            crops=crops,
            timezone=timezone,
            shapes=shapes,
            layer=layer,
        ),
        example=f"台账.{fmt}",
    )
