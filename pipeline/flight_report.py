"""The flight report: one self-contained HTML file that works offline.

It draws, on an SVG map in Web Mercator, the management zones, every frame's
ground footprint, the flight path, each detection and each candidate issue,
then lists the candidates with their evidence crops (embedded as data URIs)
and the files set aside with their reasons. A basemap tile URL in the config
(``report.basemap_url``, e.g. 天地图 or OSM) adds tiles under the drawing when
the browser can reach them; without it the report needs nothing but itself.

The page is the Jinja2 template ``pipeline/templates/flight_report.html``, rendered
with autoescape: this module computes what to show (map coordinates, rows) as
plain values and never writes markup itself.

The candidates are the flight's as the ledger holds them, whichever run filed them:
new (this flight opened them), recurring or rebound (an earlier flight did), each
marked when it was already known before this run. Each run writes its own report,
``<report dir>/<flight name>-<key>/<UTC time>.html``, and copies it to ``latest.html``
beside it, so a rerun never replaces an earlier report and the latest has a stable path.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.ingest.names import display_path

if TYPE_CHECKING:
    from pipeline.config import HehuConfig
    from pipeline.flight import BatchResult, FlightPlan
    from pipeline.ledger.push import PushResult

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

    def tile_grid(self, url: str) -> list[dict[str, Any]]:
        """Basemap tiles covering the canvas (integer zoom): ``href``, ``x``, ``y``, ``size``."""
        z = int(self.zoom)
        f = 2 ** (self.zoom - z)
        x0, y0 = self.origin[0] / f / TILE_PX, self.origin[1] / f / TILE_PX
        x1, y1 = x0 + self.width / f / TILE_PX, y0 + self.height / f / TILE_PX
        size = round(TILE_PX * f, 1)
        return [
            {"href": url.format(z=z, x=tx % 2**z, y=ty),  # east of 180°: wrap
             "x": round((tx - x0) * TILE_PX * f, 1), "y": round((ty - y0) * TILE_PX * f, 1),
             "size": size}
            for tx in range(int(x0), int(x1) + 1)
            for ty in range(int(y0), int(y1) + 1)
        ]  # fmt: skip

    def tiles(self, url: str) -> list[str]:
        """``<image>`` elements of :meth:`tile_grid` (escaped by markupsafe)."""
        from markupsafe import Markup

        image = Markup('<image href="{href}" x="{x:.1f}" y="{y:.1f}" width="{size:.1f}" '
                       'height="{size:.1f}"/>')  # fmt: skip
        return [str(image.format(**t)) for t in self.tile_grid(url)]


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


def map_context(plan: FlightPlan, result: BatchResult, issues, zones,
                basemap_url: str | None) -> dict[str, Any] | None:  # fmt: skip
    """What the SVG map draws, in canvas pixels: zones, footprints, path, detections,
    candidates (``None``: no georeferenced point, nothing to draw)."""
    rings = list(result.footprints.values())
    centres = [(f.meta.gps.lat_deg, f.meta.gps.lon_deg) for f in plan.frames if f.meta.gps]
    points = [p for r in rings for p in r] + centres + [(i.lat, i.lon) for i in issues]
    if not points:
        return None
    m = MapFrame(points)
    marks = [m.xy(issue.lat, issue.lon) for issue in issues]
    labels = short_codes([issue.code for issue in issues])
    shown = free_labels(marks, labels)
    return {
        "width": m.width,
        "height": m.height,
        "tiles": m.tile_grid(basemap_url) if basemap_url else [],
        "zones": [
            {"points": m.path(ring), "title": zone.props.river_name}
            for zone in zones
            for ring in zone_rings(zone)
        ],
        "footprints": [m.path(ring) for ring in rings],
        "track": m.path(centres) if len(centres) > 1 else None,
        "shots": [m.xy(lat, lon) for lat, lon in centres],
        "detections": [
            dict(
                zip(("x", "y"), m.xy(d.lat_deg, d.lon_deg), strict=True),
                title=f"{d.model}: {d.class_name} {d.conf:.2f}",
                context=not d.subtype,
            )
            for d in result.detections
            if d.lat_deg is not None
        ],
        "issues": [
            {
                "x": x,
                "y": y,
                "code": issue.code,
                "label": label if show else None,
                "colour": TYPE_COLOURS.get(issue.type, "#c0392b"),
            }
            for issue, (x, y), label, show in zip(issues, marks, labels, shown, strict=True)
        ],
    }


def data_uri(path: str) -> str | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


#: How a candidate relates to the flight (:func:`pipeline.ledger.queries.flight_issues`).
RELATION_LABELS = {"new": "新发现 new", "recurring": "复现 recurring", "rebound": "反弹 rebound"}


def issue_rows(issues, crops: Mapping[str, str], relations: Mapping[str, str],
               known: set[str]) -> list[dict[str, Any]]:  # fmt: skip
    """One row per candidate: labels, position, its crop as a data URI."""
    from pipeline.ledger.vocab import ISSUE_TYPE_LABELS, SEVERITY_LABELS, STATUS_LABELS

    rows = []
    for i in issues:
        relation = relations.get(i.code, "new")
        rows.append({
            "code": i.code, "type": ISSUE_TYPE_LABELS.get(i.type, i.type),
            "subtype": i.subtype or "",
            "relation": relation, "relation_label": RELATION_LABELS.get(relation, relation),
            "known": i.code in known, "status": STATUS_LABELS.get(i.status, i.status),
            "position": f"{i.lat:.6f}, {i.lon:.6f}",
            "area": f"{i.area_m2:.1f}" if i.area_m2 is not None else "—",
            "severity": SEVERITY_LABELS.get(i.severity or "", "—"),
            "zone": (i.river_name or "") if i.in_zone else "管理范围外 outside zones",
            "image": data_uri(crops[i.code]) if i.code in crops else None,
        })  # fmt: skip
    return rows


def gate_items(result: BatchResult) -> list[dict[str, str | None]]:
    """Context objects seen (never candidates by themselves) and what each model skipped:
    ``text``, and a ``note`` in grey."""
    from pipeline.flight import DROPPED_WHY, context_counts

    items: list[dict[str, str | None]] = []
    for key, n in context_counts(result.detections).items():
        model, cls = key.split("/", 1)
        note = f"({model}; boxes over all frames, one object is seen in several)"
        items.append({"text": f"{cls} ×{n}", "note": note})
    gates = result.gates
    for model, reasons in sorted(gates.skipped.items()):
        for reason, n in sorted(reasons.items()):
            items.append({"text": f"{model} skipped {n} frame(s): {reason}", "note": None})
    for field, why in DROPPED_WHY.items():
        for model, n in sorted(getattr(gates, field).items()):
            items.append({"text": f"{model}: {n} box(es) {why} not kept", "note": None})
    if gates.water:
        share = sum(gates.water.values()) / len(gates.water)
        text = f"water: {share:.0%} of the frames' area on average"
        items.append({"text": text, "note": f"({len(gates.water)} frames estimated)"})
    from pipeline.detect.skip import coverage_lines

    lines = coverage_lines(gates.tiles, gates.ground, gates.second_look)
    items += [{"text": line, "note": None} for line in lines]
    return items


def unplaced_rows(plan: FlightPlan, result: BatchResult) -> list[dict[str, Any]]:
    """Frames processed but not placed on the ground, by reason, with their file names."""
    from pipeline.flight import unplaced_counts

    names: dict[str, list[str]] = {}
    paths = {f.meta.sha256: f.meta.path for f in plan.frames}
    for sha, reason in result.unplaced.items():
        names.setdefault(reason, []).append(display_path(Path(paths.get(sha, sha)).name))
    return [{"reason": reason, "frames": n, "files": ", ".join(sorted(names[reason]))}
            for reason, n in unplaced_counts(result.unplaced).items()]  # fmt: skip


@cache
def _template() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("pipeline", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)  # fmt: skip
    return env.get_template("flight_report.html")


def render_html(plan: FlightPlan, result: BatchResult, pushed: PushResult, issues, crops, zones,
                basemap_url: str | None = None, *, relations: Mapping[str, str] | None = None,
                timezone: str = "Asia/Shanghai") -> str:  # fmt: skip
    """The whole report page. ``issues`` are the flight's candidates as the ledger holds
    them, ``relations`` how each relates to the flight (default: all new), ``pushed``
    what this run filed (the others were known before it)."""
    from zoneinfo import ZoneInfo

    from pipeline.ledger.vocab import TYPE_LABELS

    relations = relations or {}
    this_run = {*pushed.created, *pushed.recurred, *pushed.rebounded}
    known = {i.code for i in issues} - this_run
    counts = {r: sum(relations.get(i.code, "new") == r for i in issues) for r in RELATION_LABELS}
    per_class: dict[str, int] = {}
    for d in result.detections:
        per_class[d.class_name] = per_class.get(d.class_name, 0) + 1
    quarantined: Sequence = plan.quarantined + result.set_aside
    now = dt.datetime.now(ZoneInfo(timezone))
    return _template().render(
        name=plan.name, key=plan.key, source=display_path(plan.source_dir),
        frames=len(plan.frames), unplaced=len(result.unplaced), set_aside=len(quarantined),
        detections=len(result.detections),
        per_class=", ".join(f"{k} {v}" for k, v in sorted(per_class.items())) or "none",
        counts={**counts, "known": len(known)},
        generated=f"{now:%Y-%m-%d %H:%M:%S} {timezone}",
        map=map_context(plan, result, issues, zones, basemap_url),
        legend=[{"colour": c, "label": TYPE_LABELS.get(k, k), "key": k}
                for k, c in TYPE_COLOURS.items()],
        issues=issue_rows(issues, crops, relations, known),
        gates=gate_items(result),
        unplaced_rows=unplaced_rows(plan, result),
        set_aside_rows=[{"file": display_path(Path(q.path).name), "reason": display_path(q.reason)}
                        for q in quarantined],
    )  # fmt: skip


def write_report(
    plan: FlightPlan, result: BatchResult, pushed: PushResult, config: HehuConfig
) -> Path:
    """Write this run's report, ``<report dir>/<flight name>-<key>/<UTC time>.html``, copy
    it to ``latest.html`` beside it, and return the run's path."""
    from pipeline.config import resolve
    from pipeline.fileio import write_atomic
    from pipeline.ledger.zones import load_zones

    issues, relations, crops = _ledger_view(plan, config)
    zones = load_zones(resolve(config.ledger.zones)) if config.ledger.zones else ()
    page = render_html(plan, result, pushed, issues, crops, zones, config.report.basemap_url,
                       relations=relations, timezone=config.display.timezone)  # fmt: skip
    out_dir = (
        Path(config.report.out_dir) if config.report.out_dir else config.state_dir() / "reports"
    )
    folder = out_dir / f"{plan.name}-{plan.key.split(':')[-1][:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    path = run_path(folder)
    path.write_text(page, encoding="utf-8")  # a new file: readable as the umask says
    latest = folder / "latest.html"
    write_atomic(latest, page.encode("utf-8"))  # a copy, not a link: it travels alone
    os.chmod(latest, path.stat().st_mode & 0o777)
    return path


def run_path(folder: Path, now: dt.datetime | None = None) -> Path:
    """A new file for this run's report in ``folder``: the UTC time, ``-2``… if taken."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    path, n = folder / f"{stamp}.html", 1
    while path.exists():
        n += 1
        path = folder / f"{stamp}-{n}.html"
    return path


def _ledger_view(plan: FlightPlan, config: HehuConfig):
    """The flight's candidates as the ledger holds them, how each relates to the flight
    and their evidence crop paths (``{code: path}``)."""
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.queries import crop_paths, flight_issues

    engine = make_engine(config.db_url())
    try:
        with make_session_factory(engine)() as session:
            issues, relations = flight_issues(session=session, flight_key=plan.key)
            crops = crop_paths(session=session, codes=relations)
    finally:
        engine.dispose()
    return issues, relations, crops
