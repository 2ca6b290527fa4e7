"""The ``hehu`` console command.

Each subcommand lives in its own module under ``pipeline.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
function ``(args) -> int``. Heavy imports happen inside those functions so
``hehu --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pipeline.errors import HehuError

# Subcommand modules, in the order ``hehu --help`` lists them.
COMMANDS = (
    "demo", "run", "ingest", "locate", "detect", "train", "eval", "ledger", "export",
    "review", "users", "feedback", "serve", "water",
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hehu",
        description="Drone river-patrol frames to a 四乱 problem ledger (河湖四乱问题台账).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"pipeline.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        for noisy in ("alembic", "exifread", "httpx", "distributed"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except HehuError as e:
        print(f"hehu: error: {e}", file=sys.stderr)
        return 1
