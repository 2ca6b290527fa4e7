"""``hehu coverage [--from --to] [--format text|json|geojson|xlsx]``: what the drones saw.

Per patrol grid and per management zone's reach: the share seen in the period and at
what GSD, the day each part was last seen, the gaps (never seen, only coarser than
the enabled models' card GSD, or not within the grid's interval) and whether a grid's
required drone-pass interval was missed (:mod:`pipeline.coverage`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

FORMATS = ("text", "json", "geojson", "xlsx")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="coverage per grid and reach: share seen, GSD, age, gaps")
    p.add_argument(
        "--from",
        dest="start",
        type=dt.date.fromisoformat,
        default=None,
        help="first day (YYYY-MM-DD, camera time; default: all the ledger holds)",
    )
    p.add_argument(
        "--to",
        dest="end",
        type=dt.date.fromisoformat,
        default=None,
        help="last day, the day ages are counted to (default: today)",
    )
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write to this file (xlsx needs it; others print when absent)",
    )
    p.add_argument("--config", help="run configuration (default: configs/hehu.yaml)")
    p.add_argument("--db", help="ledger database URL (default: the config's)")
    p.add_argument("--zones", help="zone file or folder (default: the config's ledger.zones)")
    p.add_argument("--grids", help="grid file or folder (default: the config's ledger.grids)")
    p.set_defaults(func=run)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from pipeline.cli.ledger import open_ledger
    from pipeline.config import load_config, resolve
    from pipeline.coverage import areas_of, coverage_report
    from pipeline.coverage import output as out
    from pipeline.coverage.settings import patrol_of
    from pipeline.errors import BadInputError
    from pipeline.ledger.zones import load_zones

    config = load_config(args.config, {"ledger": {"url": args.db}} if args.db else None)
    if args.format == "xlsx" and args.out is None:
        raise BadInputError("--format xlsx needs --out FILE.xlsx")
    zones_path = args.zones or config.ledger.zones
    zones = load_zones(resolve(zones_path)) if zones_path and resolve(zones_path).exists() else ()
    patrol = patrol_of(config, args.grids)
    end = args.end or dt.date.today()
    with open_ledger(config.db_url())() as session:
        report = coverage_report(
            session=session, areas=areas_of(zones, patrol.grids), start=args.start, end=end,
            gsd_limit=patrol.gsd_limit_cm_per_px, max_range_m=patrol.max_range_m,
            min_pass_share=patrol.min_pass_share,
        )  # fmt: skip
    if args.format == "xlsx":
        out.write_xlsx(report, args.out)
        print(f"wrote {args.out}")
        return 0
    if args.format == "text":
        text = "\n".join(out.text_lines(report)) + "\n"
    else:
        data = out.report_json(report) if args.format == "json" else out.report_geojson(report)
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0
