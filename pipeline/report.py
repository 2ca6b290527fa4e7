"""The flight report: one self-contained HTML file that works offline.

It draws, on an SVG map in Web Mercator, the management zones, every frame's
ground footprint, the flight path, each detection and each candidate issue,
then lists the candidates with their evidence crops (embedded as data URIs)
and the files set aside with their reasons. A basemap tile URL in the config
(``report.basemap_url``, e.g. 天地图 or OSM) adds tiles under the drawing when
the browser can reach them; without it the report needs nothing but itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.ingest.names import display_path
from pipeline.ultra import state_dir

if TYPE_CHECKING:
    from pipeline.config import HehuConfig
    from pipeline.run import BatchResult, FlightPlan

MAP_WIDTH_PX = 900
TILE_PX = 256
TYPE_COLOURS = {
    "luanzhan": "#8e44ad",
    "luancai": "#d35400",
    "luandui": "#c0392b",
    "luanjian": "#2c3e50",
}


def mercator_px(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a WGS-84 point at ``zoom`` (256-px tiles)."""
    n = TILE_PX * 2**zoom
    x = (lon + 180.0) / 360.0 * n
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n
    return x, y


class MapFrame:
    """Projection of a lat/lon box onto an SVG canvas ``MAP_WIDTH_PX`` wide.

    Longitudes are unwrapped into the smallest arc holding the points, so a
    flight across the antimeridian is drawn where it is, not across the world.
    """

    def __init__(self, points: list[tuple[float, float]], pad_frac: float = 0.08) -> None:
        from pipeline.geo.coords import lon_arc_deg

        self.west_deg = lon_arc_deg(p[1] for p in points)[0]
        lats, lons = [p[0] for p in points], [self.unwrap(p[1]) for p in points]
        x0, y1 = mercator_px(min(lats), min(lons), 0)
        x1, y0 = mercator_px(max(lats), max(lons), 0)
        span = max(x1 - x0, (y1 - y0) * 1.5, 1e-9)
        self.zoom = min(22.0, math.log2(MAP_WIDTH_PX / (span * (1 + 2 * pad_frac))))
        ox, oy = mercator_px(max(lats), min(lons), self.zoom)
        w, h = x1 - x0, y1 - y0
        scale = 2**self.zoom
        self.origin = (ox - (span * scale - w * scale) / 2 - pad_frac * span * scale,
                       oy - pad_frac * span * scale)  # fmt: skip
        self.width = MAP_WIDTH_PX
        self.height = int((h + 2 * pad_frac * span) * scale) + 1

    def unwrap(self, lon: float) -> float:
        """``lon`` in the map's arc: past 180 east of the antimeridian when the arc crosses it."""
        return self.west_deg + (lon - self.west_deg) % 360.0

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = mercator_px(lat, self.unwrap(lon), self.zoom)
        return round(x - self.origin[0], 1), round(y - self.origin[1], 1)

    def path(self, ring) -> str:
        return " ".join(f"{x},{y}" for x, y in (self.xy(lat, lon) for lat, lon in ring))

    def tiles(self, url: str) -> list[str]:
        """``<image>`` elements of basemap tiles covering the canvas (integer zoom)."""
        z = int(self.zoom)
        f = 2 ** (self.zoom - z)
        x0, y0 = self.origin[0] / f / TILE_PX, self.origin[1] / f / TILE_PX
        x1, y1 = x0 + self.width / f / TILE_PX, y0 + self.height / f / TILE_PX
        out = []
        for tx in range(int(x0), int(x1) + 1):
            for ty in range(int(y0), int(y1) + 1):
                href = html.escape(url.format(z=z, x=tx % 2**z, y=ty))  # east of 180°: wrap
                out.append(f'<image href="{href}" x="{(tx - x0) * TILE_PX * f:.1f}" '
                           f'y="{(ty - y0) * TILE_PX * f:.1f}" width="{TILE_PX * f:.1f}" '
                           f'height="{TILE_PX * f:.1f}"/>')  # fmt: skip
        return out


def svg_map(plan: FlightPlan, result: BatchResult, issues, zones, basemap_url: str | None) -> str:
    """The flight on an SVG map: zones, footprints, path, detections, candidates."""
    rings = list(result.footprints.values())
    centres = [(f.meta.gps.lat_deg, f.meta.gps.lon_deg) for f in plan.frames if f.meta.gps]
    points = [p for r in rings for p in r] + centres + [(i.lat, i.lon) for i in issues]
    if not points:
        return "<p>No georeferenced frame: nothing to draw.</p>"
    m = MapFrame(points)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{m.width}" height="{m.height}" '
             f'viewBox="0 0 {m.width} {m.height}" class="map">',
             '<rect width="100%" height="100%" fill="#eef3f6"/>']  # fmt: skip
    if basemap_url:
        parts += m.tiles(basemap_url)
    for zone in zones:
        for ring in zone_rings(zone):
            parts.append(f'<polygon class="zone" points="{m.path(ring)}"><title>'
                         f'{html.escape(zone.props.river_name)}</title></polygon>')  # fmt: skip
    for ring in rings:
        parts.append(f'<polygon class="footprint" points="{m.path(ring)}"/>')
    if len(centres) > 1:
        parts.append(f'<polyline class="track" points="{m.path(centres)}"/>')
    for lat, lon in centres:
        x, y = m.xy(lat, lon)
        parts.append(f'<circle class="shot" cx="{x}" cy="{y}" r="2.5"/>')
    for d in result.detections:
        if d.lat_deg is not None:
            x, y = m.xy(d.lat_deg, d.lon_deg)
            title = f"{html.escape(d.model)}: {html.escape(d.class_name)} {d.conf:.2f}"
            kind = "det" if d.subtype else "det context"
            parts.append(
                f'<circle class="{kind}" cx="{x}" cy="{y}" r="3"><title>{title}</title></circle>'
            )
    marks = [m.xy(issue.lat, issue.lon) for issue in issues]
    labels = short_codes([issue.code for issue in issues])
    shown = free_labels(marks, labels)
    for issue, (x, y), label, show in zip(issues, marks, labels, shown, strict=True):
        colour = TYPE_COLOURS.get(issue.type, "#c0392b")
        text = f'<text x="{x + 11}" y="{y + 4}">{html.escape(label)}</text>' if show else ""
        parts.append(f'<g class="issue"><title>{html.escape(issue.code)}</title>'
                     f'<circle cx="{x}" cy="{y}" r="8" fill="{colour}"/>{text}</g>')  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts)


def short_codes(codes: list[str]) -> list[str]:
    """Map labels: the sequence numbers when every code shares its division and year."""
    prefixes = {code.rpartition("-")[0] for code in codes}
    if len(prefixes) == 1 and all("-" in code for code in codes):
        return [code.rpartition("-")[2] for code in codes]
    return list(codes)


#: Approximate label box of the map's 12 px bold text, and a marker's radius.
LABEL_CHAR_PX, LABEL_HEIGHT_PX, MARK_R_PX = 7.5, 14.0, 8.0


def free_labels(marks: list[tuple[float, float]], labels: list[str]) -> list[bool]:
    """Which labels to draw: in order, each one that overlaps no label drawn before it
    and no other marker (every marker keeps its full code as a tooltip)."""
    boxes: list[tuple[float, float, float, float]] = []
    shown = []
    for i, ((x, y), label) in enumerate(zip(marks, labels, strict=True)):
        box = (x + 10, y - 10, x + 12 + LABEL_CHAR_PX * len(label), y + LABEL_HEIGHT_PX - 10)
        clear = not any(_overlap(box, b) for b in boxes) and not any(
            _overlap(box, (mx - MARK_R_PX, my - MARK_R_PX, mx + MARK_R_PX, my + MARK_R_PX))
            for j, (mx, my) in enumerate(marks)
            if j != i
        )
        if clear:
            boxes.append(box)
        shown.append(clear)
    return shown


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def zone_rings(zone) -> list[list[tuple[float, float]]]:
    """Outer rings of a zone's polygons as ``[(lat, lon), …]`` (zones store ``[lon, lat]``)."""
    return [[(lat, lon) for lon, lat in poly[0]] for poly in zone.polygons]


STYLE = """
body{font:14px/1.45 system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;
     margin:24px;color:#1d2733}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.meta{color:#5b6b7b} .map{border:1px solid #c8d3dc;border-radius:4px;max-width:100%;height:auto}
.zone{fill:#3498db22;stroke:#2980b9;stroke-width:1.5;stroke-dasharray:6 3}
.footprint{fill:#f1c40f14;stroke:#b7950b;stroke-width:.8}
.track{fill:none;stroke:#34495e;stroke-width:1.2}
.shot{fill:#34495e} .det{fill:#16a085;stroke:#fff;stroke-width:.8}
.det.context{fill:#95a5a6}
.issue circle{stroke:#fff;stroke-width:2}
.issue text{font-size:12px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e3e8ec;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f5f7f9;font-weight:600} img.ev{max-width:320px;border-radius:3px}
.legend span{margin-right:14px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px}
"""


def data_uri(path: str) -> str | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def issue_rows(issues, crops: dict[str, str]) -> str:
    from pipeline.ledger.vocab import SEVERITY_LABELS, STATUS_LABELS, TYPE_LABELS

    rows = []
    for i in issues:
        uri = data_uri(crops[i.code]) if i.code in crops else None
        image = f'<img class="ev" src="{uri}" alt="evidence {html.escape(i.code)}">' if uri else "—"
        zone = html.escape(i.river_name or "") if i.in_zone else "管理范围外 outside zones"
        area = f"{i.area_m2:.1f}" if i.area_m2 is not None else "—"
        severity = SEVERITY_LABELS.get(i.severity or "", "—")
        rows.append(
            f"<tr><td><b>{html.escape(i.code)}</b><br>{TYPE_LABELS.get(i.type, i.type)} "
            f"{html.escape(i.subtype or '')}</td><td>{STATUS_LABELS.get(i.status, i.status)}</td>"
            f"<td>{i.lat:.6f}, {i.lon:.6f}</td><td>{area}</td>"
            f"<td>{severity}</td><td>{zone}</td><td>{image}</td></tr>"
        )
    head = (
        "<tr><th>编号 code / 类型 type</th><th>状态 status</th><th>位置 WGS-84</th>"
        "<th>面积 m²</th><th>严重程度</th><th>河湖 zone</th><th>证据 evidence</th></tr>"
    )
    if not rows:
        return "<p>本次飞检未发现四乱候选问题。No 四乱 candidate was found in this flight.</p>"
    return f"<table>{head}{''.join(rows)}</table>"


def gate_rows(result: BatchResult) -> str:
    """Context objects seen (never candidates by themselves) and what each model skipped."""
    from pipeline.run import DROPPED_WHY, context_counts

    items = []
    for key, n in context_counts(result.detections).items():
        model, cls = key.split("/", 1)
        note = f"({html.escape(model)}; boxes over all frames, one object is seen in several)"
        items.append(f"<li>{html.escape(cls)} ×{n} <span class='meta'>{note}</span></li>")
    gates = result.gates
    for model, reasons in sorted(gates.skipped.items()):
        for reason, n in sorted(reasons.items()):
            items.append(f"<li>{html.escape(model)} skipped {n} frame(s): "
                         f"{html.escape(reason)}</li>")  # fmt: skip
    for field, why in DROPPED_WHY.items():
        for model, n in sorted(getattr(gates, field).items()):
            items.append(f"<li>{html.escape(model)}: {n} box(es) {why} not kept</li>")
    from pipeline.detect.skip import coverage_lines

    items += [f"<li>{html.escape(line)}</li>" for line in coverage_lines(gates.tiles, gates.ground)]
    if gates.water:
        share = sum(gates.water.values()) / len(gates.water)
        items.append(f"<li>water: {share:.0%} of the frames' area on average "
                     f"({len(gates.water)} frames estimated)</li>")  # fmt: skip
    return f"<ul>{''.join(items)}</ul>" if items else "<p>None.</p>"


def unplaced_rows(plan: FlightPlan, result: BatchResult) -> str:
    """Frames processed but not placed on the ground, by reason, with their file names."""
    from pipeline.run import unplaced_counts

    if not result.unplaced:
        return "<p>None: every processed frame was placed.</p>"
    names: dict[str, list[str]] = {}
    paths = {f.meta.sha256: f.meta.path for f in plan.frames}
    for sha, reason in result.unplaced.items():
        names.setdefault(reason, []).append(display_path(Path(paths.get(sha, sha)).name))
    rows = "".join(
        f"<tr><td>{html.escape(reason)}</td><td>{n}</td>"
        f"<td>{html.escape(', '.join(sorted(names[reason])))}</td></tr>"
        for reason, n in unplaced_counts(result.unplaced).items()
    )
    note = ("<p class='meta'>Their detections are kept without a ground position and open "
            "no candidate.</p>")  # fmt: skip
    return f"<table><tr><th>reason</th><th>frames</th><th>files</th></tr>{rows}</table>{note}"


def set_aside_rows(quarantined) -> str:
    if not quarantined:
        return "<p>None.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(Path(q.path).name)}</td><td>{html.escape(q.reason)}</td></tr>"
        for q in quarantined
    )
    return f"<table><tr><th>file</th><th>reason</th></tr>{rows}</table>"


def render_html(plan: FlightPlan, result: BatchResult, pushed, issues, crops, zones,
                basemap_url: str | None = None) -> str:  # fmt: skip
    """The whole report page."""
    counts: dict[str, int] = {}
    for d in result.detections:
        counts[d.class_name] = counts.get(d.class_name, 0) + 1
    per_class = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
    from pipeline.ledger.vocab import TYPE_LABELS

    legend = "".join(
        f'<span><i style="background:{c}"></i>{TYPE_LABELS.get(k, k)} {k}</span>'
        for k, c in TYPE_COLOURS.items()
    )
    set_aside = len(plan.quarantined) + len(result.set_aside)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>hehu 飞检报告 {html.escape(plan.name)}</title><style>{STYLE}</style></head><body>
<h1>无人机飞检报告 · Flight report: {html.escape(plan.name)}</h1>
<p class="meta">{len(plan.frames)} frames · {len(result.unplaced)} not placed on the ground ·
{set_aside} files set aside ·
{len(result.detections)} detections ({html.escape(per_class)}) · {len(pushed.created)} new,
{len(pushed.recurred)} recurring, {len(pushed.rebounded)} rebound candidates ·
generated {dt.datetime.now().astimezone().isoformat(timespec="seconds")}<br>
flight key <code>{html.escape(plan.key)}</code> ·
source {html.escape(display_path(plan.source_dir))}</p>
{svg_map(plan, result, issues, zones, basemap_url)}
<p class="legend meta">{legend}<span><i style="background:#16a085"></i>detection</span>
<span><i style="background:#95a5a6"></i>context (not a candidate)</span>
<span>dashed blue: management zone · yellow: frame footprints · line: flight path ·
labels: issue numbers where they fit (hover a marker for its code)</span></p>
<h2>候选问题 Candidate issues</h2>{issue_rows(issues, crops)}
<h2>背景目标与筛选 Context and gates</h2>{gate_rows(result)}
<h2>未定位帧 Frames not placed on the ground</h2>{unplaced_rows(plan, result)}
<h2>已剔除文件 Files set aside</h2>{set_aside_rows(plan.quarantined + result.set_aside)}
</body></html>"""


def write_report(plan: FlightPlan, result: BatchResult, pushed, config: HehuConfig) -> Path:
    """Write ``<report dir>/<flight name>-<key>.html`` and return its path."""
    from pipeline.config import resolve
    from pipeline.ledger.zones import load_zones

    issues, crops = _ledger_view(plan, pushed, config)
    zones = load_zones(resolve(config.ledger.zones)) if config.ledger.zones else ()
    out_dir = Path(config.report.out_dir) if config.report.out_dir else state_dir() / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{plan.name}-{plan.key.split(':')[-1][:12]}.html"
    page = render_html(plan, result, pushed, issues, crops, zones, config.report.basemap_url)
    path.write_text(page, encoding="utf-8")
    return path


def _ledger_view(plan: FlightPlan, pushed, config: HehuConfig):
    """The issues this push touched and their evidence crop paths (``{code: path}``)."""
    from sqlalchemy import select

    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.models import Evidence, EvidenceFile, Issue
    from pipeline.ledger.queries import list_issues

    codes = {*pushed.created, *pushed.recurred, *pushed.rebounded}
    engine = make_engine(config.db_url())
    try:
        with make_session_factory(engine)() as session:
            issues = list_issues(session=session, codes=codes)
            query = (select(Issue.code, EvidenceFile.path)
                     .join(Evidence, Evidence.issue_id == Issue.id)
                     .join(EvidenceFile, EvidenceFile.detection_id == Evidence.detection_id)
                     .where(Issue.code.in_(codes), EvidenceFile.kind == "crop")
                     .order_by(EvidenceFile.id))  # fmt: skip
            crops = {code: path for code, path in session.execute(query)}
    finally:
        engine.dispose()
    return issues, crops
