"""``hehu stats [--from DATE] [--to DATE] [--by river|division|chief|type|status]
[--period week|month] [--format xlsx|csv|json] [--out FILE]``.

The ledger's statistics over a period (:mod:`pipeline.ledger.stats`): issues
found, confirmed, dispatched (交办), rectified, closed (销号), judged 历史遗留 or
挂账, overdue (逾期); the closure rate (销号率) and the median days to close,
per week or month and per river, division, 河长, 四乱 type or status, with a
合计 row; with patrol grids configured (``ledger.grids``), a second table of each
grid's coverage over the period (:func:`pipeline.coverage.stats_with_coverage`).
Without ``--out`` a table (or with ``--format json`` the JSON) goes to standard
output; with it the file is written (``--format`` defaults to its suffix). The
period defaults to the twelve weeks up to today, in weeks; dates are the office's
(``display.timezone`` of ``--config``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

FORMATS = ("xlsx", "csv", "json")  # pipeline.ledger.stats_export.STAT_FORMATS, without its imports


def register(sub: argparse._SubParsersAction) -> None:
    from pipeline.cli.ledger import db_option
    from pipeline.ledger.vocab import STATS_BY, STATS_PERIODS

    p = sub.add_parser("stats", help="statistics: found, closed, overdue, closure rate (销号率)")
    p.add_argument("--from", dest="start", type=dt.date.fromisoformat, metavar="DATE",
                   help="first day YYYY-MM-DD (default: the Monday twelve weeks back)")  # fmt: skip
    p.add_argument("--to", dest="end", type=dt.date.fromisoformat, metavar="DATE",
                   help="last day YYYY-MM-DD (default: today)")  # fmt: skip
    p.add_argument("--by", choices=list(STATS_BY), default=None, help="one row per group")
    p.add_argument("--period", choices=list(STATS_PERIODS), default="week",
                   help="one row per week or month (default: week)")  # fmt: skip
    p.add_argument("--whole", action="store_true", help="no periods: the whole span at once")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="default: OUT's suffix, else a table on standard output")  # fmt: skip
    p.add_argument("--out", type=Path, metavar="FILE", help="file to write")
    p.add_argument("--config", help="run configuration, for display.timezone")
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    from zoneinfo import ZoneInfo

    from pipeline.cli.ledger import open_ledger
    from pipeline.config import load_config
    from pipeline.coverage import stats_with_coverage
    from pipeline.coverage.settings import patrol_of
    from pipeline.errors import BadInputError
    from pipeline.ingest.names import display_path
    from pipeline.ledger.stats import default_start, ledger_stats
    from pipeline.ledger.stats_export import stats_json, write_stats

    config = load_config(args.config)
    tz = ZoneInfo(config.display.timezone)
    end = args.end or dt.datetime.now(tz).date()
    start = args.start or default_start(end)
    fmt = args.format or (args.out.suffix.lstrip(".").lower() if args.out else None)
    if args.out and fmt not in FORMATS:
        raise BadInputError(f"cannot tell the format of {args.out}; add --format xlsx|csv|json")
    with open_ledger(args.db)() as session:
        stats = ledger_stats(session=session, start=start, end=end, tz=tz, by=args.by,
                             period=None if args.whole else args.period)  # fmt: skip
        stats = stats_with_coverage(stats, session=session, patrol=patrol_of(config))
    if args.out:
        out = write_stats(stats, args.out, fmt)
        print(f"{len(stats.rows)} row(s), {start} … {end} → {display_path(out)}")
    elif fmt == "json":
        print(json.dumps(stats_json(stats), ensure_ascii=False))
    else:
        print_table(stats)
    return 0


def _cell(value: Any, header: str) -> str:
    if value is None:
        return "-"
    if header == "销号率" or header.endswith("比例"):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def print_table(stats: Any) -> None:
    """The table as aligned text (tab-separated, so it also pastes into a spreadsheet)."""
    from pipeline.ledger.stats_export import (
        COVERAGE_COLUMNS,
        COVERAGE_TITLE,
        coverage_table,
        headers,
        period_line,
        table,
    )

    names = headers(stats)
    print(period_line(stats))
    print("\t".join(names))
    for row in table(stats):
        print("\t".join(_cell(v, h) for v, h in zip(row, names, strict=True)))
    if stats.coverage:
        print(f"\n{COVERAGE_TITLE}")
        names = [zh for _, zh in COVERAGE_COLUMNS]
        print("\t".join(names))
        for row in coverage_table(stats):
            print("\t".join(_cell(v, h) for v, h in zip(row, names, strict=True)))
