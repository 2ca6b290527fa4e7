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
    "review", "users", "feedback", "serve", "water", "recheck", "dossier", "stats", "zones",
    "coverage",
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
        for noisy in ("alembic", "exifread", "httpx", "distributed", "pyogrio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader that went away (``| head``) shows here, not at exit
        return code
    except BrokenPipeError:
        return pipe_closed()
    except HehuError as e:
        print(f"hehu: error: {e}", file=sys.stderr)
        return 1


#: The exit status of a process killed by SIGPIPE, as a shell reports it (128 + 13).
SIGPIPE_EXIT = 141


def pipe_closed() -> int:
    """The reader of our output closed it (``hehu … | head``): stop quietly, as ``cat``
    does. stdout is pointed at /dev/null so the interpreter's last flush cannot fail."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return SIGPIPE_EXIT
