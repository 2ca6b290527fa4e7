"""``hehu zones check [FILES]``: problems of management-zone and grid files, one line each."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("zones", help="check management-zone and patrol-grid files")
    zsub = p.add_subparsers(dest="zones_command", metavar="ACTION", required=True)
    c = zsub.add_parser(
        "check", help="geometry valid, no unintended overlaps, ids unique, CRS stated"
    )
    c.add_argument(
        "files", nargs="*", type=Path,
        help="GeoJSON files or folders (default: the config's ledger.zones and ledger.grids)",
    )  # fmt: skip
    c.add_argument("--config", help="run configuration (default: configs/hehu.yaml)")
    c.add_argument(
        "--overlap-m2", type=float, default=1.0,
        help="overlaps smaller than this are digitising slivers, not problems (default 1 m²)",
    )  # fmt: skip
    c.set_defaults(func=check)


def check(args: argparse.Namespace) -> int:
    from pipeline.config import load_config, resolve
    from pipeline.ledger.zones_check import check_files

    files = list(args.files)
    if not files:
        ledger = load_config(args.config).ledger
        files = [resolve(p) for p in (ledger.zones, ledger.grids) if p and resolve(p).exists()]
    problems = check_files(files, overlap_m2=args.overlap_m2)
    for line in problems:
        print(line)
    if not problems:
        print(f"{len(files)} file(s) or folder(s) checked: no problems")
    return 1 if problems else 0
