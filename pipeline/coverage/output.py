"""A coverage report as text lines, JSON, GeoJSON (seen ground by age, and gaps) or xlsx."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.coverage.compute import AreaCoverage

if TYPE_CHECKING:
    from pipeline.coverage import CoverageReport

GAP_LABELS = {"never": "期内未覆盖", "coarse": "仅粗于模型GSD", "stale": "超出巡查间隔"}
HEADERS = ("类型", "编码", "名称", "巡查员", "面积(m²)", "覆盖率", "达标覆盖率", "GSD(cm/px)",
           "最近覆盖", "距今(天)", "要求间隔(天)", "最长间隔(天)", "是否漏巡", "航次数",
           "缺口面积(m²)")  # fmt: skip


def area_row(a: AreaCoverage, end: dt.date) -> dict[str, Any]:
    """One area's figures as a plain dict (shares 0-1, areas in m² to 0.01)."""
    last = a.last_seen[0][0] if a.last_seen else None
    return {
        "kind": a.area.kind, "code": a.area.code, "name": a.area.name,
        "patroller": a.area.patroller, "area_m2": round(a.area_m2, 2),
        "seen_share": round(a.seen_share, 4), "fine_share": round(a.fine_share, 4),
        "gsd_cm_per_px": round(a.gsd_cm_per_px, 2) if a.gsd_cm_per_px is not None else None,
        "last_seen": last.isoformat() if last else None,
        "age_days": (end - last).days if last else None,
        "every_days": a.area.every_days, "longest_interval_days": a.longest_interval_days,
        "missed": a.missed, "passes": len(a.passes),
        "gap_m2": round(sum(m2 for _, _, m2 in a.gaps), 2),
    }  # fmt: skip


def report_json(report: CoverageReport) -> dict[str, Any]:
    areas = []
    for a in report.areas:
        row = area_row(a, report.end)
        row["pass_list"] = [
            {"flight_id": p.flight_id, "flight": p.flight_name, "day": p.day.isoformat(),
             "seen_share": round(p.seen_share, 4), "fine_share": round(p.fine_share, 4),
             "gsd_cm_per_px": round(p.gsd_cm_per_px, 2) if p.gsd_cm_per_px else None}
            for p in a.passes
        ]  # fmt: skip
        row["gaps"] = {r: round(m2, 2) for r, _, m2 in a.gaps}
        areas.append(row)
    return {**_period(report), "areas": areas}


def _period(report: CoverageReport) -> dict[str, Any]:
    return {
        "from": report.start.isoformat() if report.start else None,
        "to": report.end.isoformat(), "frames": report.frames,
        "gsd_limit_cm_per_px": report.gsd_limit_cm_per_px, "max_range_m": report.max_range_m,
        "min_pass_share": report.min_pass_share,
    }  # fmt: skip


def report_geojson(report: CoverageReport) -> dict[str, Any]:
    """Seen ground by the day last seen (``layer: seen``, ``age_days``) and the gaps
    (``layer: gap``, ``reason``), per area; ``[lon, lat]`` WGS-84."""
    import shapely

    features = []
    for a in report.areas:
        base = {"kind": a.area.kind, "code": a.area.code, "name": a.area.name}
        for day, ground, m2 in a.last_seen:
            props = {**base, "layer": "seen", "last_seen": day.isoformat(),
                     "age_days": (report.end - day).days, "area_m2": round(m2, 2)}  # fmt: skip
            features.append(_feature(shapely, ground, props))
        for reason, ground, m2 in a.gaps:
            props = {**base, "layer": "gap", "reason": reason, "label": GAP_LABELS[reason],
                     "area_m2": round(m2, 2)}  # fmt: skip
            features.append(_feature(shapely, ground, props))
    return {"type": "FeatureCollection", **_period(report), "features": features}


def _feature(shapely: Any, ground: Any, props: dict[str, Any]) -> dict[str, Any]:
    rounded = shapely.transform(ground, lambda xy: xy.round(7))  # 1 cm; may touch, never moves
    geometry = json.loads(shapely.to_geojson(rounded))
    return {"type": "Feature", "geometry": geometry, "properties": props}


def text_lines(report: CoverageReport) -> list[str]:
    head = (f"{report.start or '…'} – {report.end}: {report.frames} frames; GSD limit "
            f"{report.gsd_limit_cm_per_px or '—'} cm/px; ground within {report.max_range_m:g} m "
            "of a frame's nadir")  # fmt: skip
    lines = [head]
    for a in report.areas:
        r = area_row(a, report.end)
        gsd = f"{r['gsd_cm_per_px']:.1f} cm/px" if r["gsd_cm_per_px"] is not None else "—"
        line = (f"{r['kind']} {r['code']}: {r['seen_share']:.1%} seen, {r['fine_share']:.1%} "
                f"at ≤ limit, GSD {gsd}, last seen {r['last_seen'] or 'never'}"
                f", gaps {r['gap_m2']:.0f} m²")  # fmt: skip
        lines.append(line + _interval_text(a, report.min_pass_share))
    return lines


def _interval_text(a: AreaCoverage, min_share: float) -> str:
    every = a.area.every_days
    if a.missed is None:
        return ""
    if not a.missed:
        return f"; pass every {every} d kept"
    if a.longest_interval_days is None:
        return f"; MISSED pass every {every} d (no pass saw {min_share:.0%} at ≤ limit)"
    return f"; MISSED pass every {every} d (longest {a.longest_interval_days} d without one)"


def write_xlsx(report: CoverageReport, out: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "覆盖统计"
    ws.append(list(HEADERS))
    for a in report.areas:
        r = area_row(a, report.end)
        ws.append([
            "网格" if r["kind"] == "grid" else "河段", r["code"], r["name"], r["patroller"],
            r["area_m2"], r["seen_share"], r["fine_share"], r["gsd_cm_per_px"], r["last_seen"],
            r["age_days"], r["every_days"], r["longest_interval_days"],
            None if r["missed"] is None else ("是" if r["missed"] else "否"), r["passes"],
            r["gap_m2"],
        ])  # fmt: skip
    gaps = wb.create_sheet("缺口")
    gaps.append(["类型", "编码", "原因", "面积(m²)"])
    for a in report.areas:
        for reason, _, m2 in a.gaps:
            gaps.append([a.area.kind, a.area.code, GAP_LABELS[reason], round(m2, 2)])
    wb.save(out)
