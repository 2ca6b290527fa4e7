"""Statistics written out: JSON, CSV (UTF-8 with a BOM) and the xlsx offices exchange.

The xlsx (openpyxl) follows the layout of a 河湖“四乱”问题统计表: a title row,
the period and when it was made, Chinese column headers (frozen), one row per
period and group, a 合计 (totals) row, and a second sheet of native charts
(closure rate over time, issues found by 四乱 type) over the data they draw.
Group names come from the ledger (river names, 河长) and are written as values
that cannot become formulas (:func:`pipeline.ledger.export.spreadsheet_text`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.fileio import write_asked_file
from pipeline.ledger.export import spreadsheet_text
from pipeline.ledger.stats import Counts, Stats
from pipeline.ledger.vocab import STATS_BY, STATS_PERIODS

STAT_FORMATS = ("xlsx", "csv", "json")
TITLE = "河湖“四乱”问题统计表"
#: (Counts field, Chinese header)
COLUMNS = (
    ("found", "发现问题数"),
    ("confirmed", "确认数"),
    ("dispatched", "交办数"),
    ("rectified", "整改完成数"),
    ("closed", "销号数"),
    ("historical", "历史遗留数"),
    ("carried_over", "挂账数"),
    ("overdue", "逾期数"),
    ("closure_rate", "销号率"),
    ("median_days_to_close", "销号用时中位数（天）"),
)


#: Patrol coverage per grid (:attr:`Stats.coverage`): (row key, Chinese header)
COVERAGE_COLUMNS = (
    ("code", "网格编号"),
    ("name", "网格名称"),
    ("patroller", "巡查员"),
    ("area_m2", "面积（平方米）"),
    ("seen_share", "覆盖比例"),
    ("fine_share", "达标分辨率覆盖比例"),
    ("gsd_cm_per_px", "地面分辨率（厘米/像素）"),
    ("last_seen", "最近巡查日期"),
    ("age_days", "距今天数"),
    ("every_days", "要求巡查间隔（天）"),
    ("longest_interval_days", "最长未巡间隔（天）"),
    ("missed", "是否漏巡"),
    ("passes", "有效架次"),
    ("gap_m2", "缺口面积（平方米）"),
)
COVERAGE_TITLE = "网格巡查覆盖"


def coverage_table(stats: Stats) -> list[list[Any]]:
    """One row per grid under :data:`COVERAGE_COLUMNS` (shares as 0–1, 是/否 for missed)."""

    def cell(row: dict[str, Any], key: str) -> Any:
        value = row.get(key)
        return ("是" if value else "否") if key == "missed" else value

    return [[cell(row, key) for key, _ in COVERAGE_COLUMNS] for row in stats.coverage]


def headers(stats: Stats) -> list[str]:
    lead = (["统计周期"] if stats.period else []) + ([STATS_BY[stats.by]] if stats.by else [])
    return [*lead, *(zh for _, zh in COLUMNS)]


def _cells(counts: Counts) -> list[Any]:
    return [getattr(counts, field) for field, _ in COLUMNS]


def table(stats: Stats) -> list[list[Any]]:
    """The rows under :func:`headers`, the 合计 row last (rates as 0–1 numbers); without
    periods or groups, the one row of the whole period."""
    lead = int(bool(stats.period)) + int(bool(stats.by))
    if not lead:
        return [_cells(stats.total)]
    rows = [
        [*([r.period] if stats.period else []), *([r.group] if stats.by else []), *_cells(r.counts)]
        for r in stats.rows
    ]
    return [*rows, ["合计", *[None] * (lead - 1), *_cells(stats.total)]]


def stats_json(stats: Stats) -> dict[str, Any]:
    """JSON-ready: the period, the totals, each row, and the chart series."""
    return {
        "from": stats.start.isoformat(),
        "to": stats.end.isoformat(),
        "by": stats.by,
        "period": stats.period,
        "total": dataclasses.asdict(stats.total),
        "rows": [
            {"period": r.period, "group": r.group, **dataclasses.asdict(r.counts)}
            for r in stats.rows
        ],
        "closure_series": [{"period": p, "closure_rate": v} for p, v in stats.closure_series],
        "found_by_type": dict(stats.found_by_type),
        "coverage": [dict(row) for row in stats.coverage],
    }


def period_line(stats: Stats, made_at: dt.datetime | None = None) -> str:
    made = (made_at or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    parts = [f"统计期间：{stats.start:%Y-%m-%d} 至 {stats.end:%Y-%m-%d}"]
    if stats.period:
        parts.append(f"按{STATS_PERIODS[stats.period]}")
    if stats.by:
        parts.append(f"按{STATS_BY[stats.by]}")
    return "　".join([*parts, f"制表时间：{made}"])


def write_stats_csv(stats: Stats, out: Path) -> None:
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(headers(stats))
        for row in table(stats):
            writer.writerow(["" if c is None else spreadsheet_text(c) for c in row])
        if stats.coverage:
            writer.writerow([])
            writer.writerow([COVERAGE_TITLE])
            writer.writerow([zh for _, zh in COVERAGE_COLUMNS])
            for row in coverage_table(stats):
                writer.writerow(["" if c is None else spreadsheet_text(c) for c in row])


def write_stats_xlsx(stats: Stats, out: Path, *, made_at: dt.datetime | None = None) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "统计表"
    names = headers(stats)
    ws.append([TITLE])
    ws.append([period_line(stats, made_at)])
    ws.append(names)
    for row in table(stats):
        ws.append([spreadsheet_text(c) for c in row])
    _style(ws, len(names))
    _charts(wb, stats)
    if stats.coverage:
        _coverage_sheet(wb, stats, made_at)
    wb.save(out)


def _coverage_sheet(wb: Any, stats: Stats, made_at: dt.datetime | None) -> None:
    """The grids' patrol coverage over the period, on a sheet of its own."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(COVERAGE_TITLE)
    ncol = len(COVERAGE_COLUMNS)
    ws.append([COVERAGE_TITLE])
    ws.append([period_line(stats, made_at)])
    ws.append([zh for _, zh in COVERAGE_COLUMNS])
    for row in coverage_table(stats):
        ws.append([spreadsheet_text(c) for c in row])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws["A1"].font = Font(size=16, bold=True)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    shares = [i for i, (key, _) in enumerate(COVERAGE_COLUMNS, 1) if key.endswith("_share")]
    for row in ws.iter_rows(min_row=4):
        for i in shares:
            row[i - 1].number_format = "0.0%"
    for i in range(1, ncol + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.freeze_panes = "D4"


def _style(ws: Any, ncol: int) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    for row in ws.iter_rows(min_row=3, max_row=ws.max_row):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=4, min_col=ncol - 1, max_col=ncol):
        row[0].number_format = "0.0%"  # 销号率
        row[1].number_format = "0.0"  # median days
    for i in range(1, ncol + 1):
        ws.column_dimensions[get_column_letter(i)].width = 12 if i > ncol - len(COLUMNS) else 22
    ws.freeze_panes = f"{get_column_letter(ncol - len(COLUMNS) + 1)}4"


def _charts(wb: Any, stats: Stats) -> None:
    """Native charts on their own sheet, over the series they draw."""
    from openpyxl.chart import BarChart, LineChart, Reference

    ws = wb.create_sheet("图表")
    ws.append(["统计周期", "累计销号率"])
    for label, rate in stats.closure_series:
        ws.append([label, rate])
    n = len(stats.closure_series)
    line = LineChart()
    line.title, line.y_axis.title = "销号率变化", "销号率"
    line.y_axis.number_format = "0%"
    line.add_data(Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    line.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    ws.add_chart(line, "D2")
    top = n + 3
    ws.cell(row=top, column=1, value="问题类型")
    ws.cell(row=top, column=2, value="发现问题数")
    for i, (label, found) in enumerate(stats.found_by_type, start=1):
        ws.cell(row=top + i, column=1, value=label)
        ws.cell(row=top + i, column=2, value=found)
    bar = BarChart()
    bar.title, bar.y_axis.title = "各类问题数量", "问题数"
    last = top + max(len(stats.found_by_type), 1)
    bar.add_data(Reference(ws, min_col=2, min_row=top, max_row=last), titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=last))
    ws.add_chart(bar, "D20")


def write_stats(stats: Stats, out: Path, fmt: str) -> Path:
    """Write ``stats`` as ``fmt`` (xlsx, csv or json) at ``out``, whole or not at all."""
    writers: dict[str, Callable[[Stats, Path], None]] = {
        "xlsx": write_stats_xlsx,
        "csv": write_stats_csv,
        "json": write_stats_json,
    }
    return write_asked_file(out, lambda part: writers[fmt](stats, part),
                            example=f"stats.{fmt}")  # fmt: skip


def write_stats_json(stats: Stats, out: Path) -> None:
    import json

    out.write_text(json.dumps(stats_json(stats), ensure_ascii=False, indent=1), encoding="utf-8")
