"""``hehu run FLIGHT_DIR``: process one flight from the shell, with a progress bar.

By default the work runs as the Prefect flow ``process-flight`` (observable in
a Prefect UI, cached per batch, resumable after a crash); ``--no-prefect``
runs the same stages directly. When a ``hehu serve`` runs on this machine with
the same state folder and working directory, the flight is handed to it
(:mod:`flows.handoff`): Prefect and the detectors are warm there, which saves
the 3–6 s a fresh process spends on them. ``--local`` runs it here anyway.

A service manager's stop (SIGTERM) ends a run the way Ctrl-C (SIGINT) does:
this process stops at once (the flow's batches on other threads after their
current frame), nothing more is written to the ledger, and ``hehu run`` exits
with 128 + the signal's number (143, or 130 for Ctrl-C) after saying so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.ingest.names import display_path, text_safe

#: The signals that stop a run: Ctrl-C, and a service manager's stop.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """Raised in the main thread by a stop signal: handled everywhere as Ctrl-C is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """While a run is in progress, SIGINT and SIGTERM raise :class:`Stopped` in the main
    thread and set the yielded event (the flow's batches stop after their current frame)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, _frame: Any) -> None:
        stop.set()
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="process one flight folder into the ledger")
    p.add_argument("flight_dir", type=Path)
    add_run_options(p)
    p.set_defaults(func=run)


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="run configuration (default: configs/hehu.yaml)")
    p.add_argument(
        "--db",
        help="ledger database URL (default: the config's, else ledger.sqlite in the state folder)",
    )
    p.add_argument("--no-prefect", action="store_true", help="run the stages without Prefect")
    p.add_argument(
        "--local", action="store_true",
        help="run in this process even when a hehu serve is running here",
    )  # fmt: skip
    p.add_argument(
        "--no-skip", action="store_true",
        help="detect every tile, also those that cannot hold a candidate (for comparison)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """Configuration overrides of the command: ``--db``, ``--no-skip``, and those a command
    sets on ``args.overrides`` (``hehu demo``: its own state folder and ledger)."""
    overrides = dict(getattr(args, "overrides", None) or {})
    if args.db:
        overrides["ledger"] = {**overrides.get("ledger", {}), "url": args.db}
    if getattr(args, "no_skip", False):
        overrides["detect"] = {**overrides.get("detect", {}), "skip": False}
    return overrides


def process(
    flight_dir: Path, args: argparse.Namespace, stop: threading.Event | None = None
) -> dict[str, Any]:
    """Run one flight as the options say; returns the summary dict. Once ``stop`` is set,
    the flow's batches stop after their current frame."""
    from pipeline.cli.progress import ProgressBar
    from pipeline.config import load_config
    from pipeline.errors import BadInputError

    if not flight_dir.is_dir():
        raise BadInputError(f"{flight_dir}: not a folder; give the folder of a flight's photos")
    config = load_config(args.config, overrides_from(args))  # a typo fails here, at the door
    if not args.no_prefect:  # an empty or wrong folder: one line, before Prefect starts
        from pipeline.ingest.verdict import check_flight_folder

        check_flight_folder(flight_dir)
    bar = ProgressBar()
    if not args.no_prefect:
        from flows.launch import run_flight as run_with_prefect

        return run_with_prefect(flight_dir, args.config, overrides_from(args), progress=bar,
                                stop=stop, local=args.local)  # fmt: skip
    from pipeline.run import summary_dict
    from pipeline.stages import run_flight

    return summary_dict(run_flight(flight_dir, config, progress=bar))


def print_summary(summary: dict[str, Any], out=None) -> None:
    out = out or sys.stdout  # looked up at call time: tests and shells replace sys.stdout
    print(f"\nframes processed: {summary['frames']}", file=out)
    print_unplaced(summary.get("unplaced") or {}, out)
    for q in summary["quarantined"]:
        print(f"set aside  {display_path(q['path'])}: {display_path(q['reason'])}", file=out)
    print(f"detections: {summary['detections']}", file=out)
    print_gates(summary, out)
    for label, key in (("new", "created"), ("recurring", "recurred"), ("rebound", "rebounded")):
        codes = summary[key]
        print(
            f"{label} candidates: {len(codes)}" + (f"  {', '.join(codes)}" if codes else ""),
            file=out,
        )
    if summary.get("held"):  # stored as evidence, but no candidate: `hehu ledger held`
        held = ", ".join(f"{reason} {n}" for reason, n in summary["held"])
        print(f"held (no candidate): {held}", file=out)
    if summary.get("rechecked"):  # verdicts recorded: hehu ledger show CODE
        verdicts = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in summary["rechecked"].items())
        print(f"rechecked (复查): {verdicts}", file=out)
    if summary.get("changes_filed"):  # recheck.changes: ground that differs from earlier flights
        codes = summary["changes_filed"]
        print(f"new changes (新增变化) filed as candidates: {len(codes)}  {', '.join(codes)}",
              file=out)  # fmt: skip
    if summary.get("report"):
        print(f"report: {display_path(summary['report'])}", file=out)
    if summary.get("seconds"):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in summary["seconds"].items())
        print(f"time: {stages}", file=out)


def print_unplaced(unplaced: dict[str, int], out) -> None:
    """Frames not placed on the ground, by reason: their detections have no position."""
    if unplaced:
        n = sum(unplaced.values())
        why = ", ".join(f"{reason} {k}" for reason, k in unplaced.items())
        print(f"frames not placed on the ground: {n} ({why}); their detections keep no "
              "position and open no candidate", file=out)  # fmt: skip


def print_gates(summary: dict[str, Any], out) -> None:
    """Frames each model skipped and why, boxes the gates dropped, context seen."""
    from pipeline.detect.skip import coverage_lines
    from pipeline.flight import DROPPED_WHY

    gates = summary.get("gates") or {}
    tiles, ground, looks = (gates.get(k) or {} for k in ("tiles", "ground", "second_look"))
    for line in coverage_lines(tiles, ground, looks):
        print(f"  {line}", file=out)
    for model, reasons in sorted((gates.get("skipped") or {}).items()):
        for reason, n in sorted(reasons.items()):
            print(f"  {model} skipped {n} frame{'s' if n != 1 else ''}: {reason}", file=out)
    for field, why in DROPPED_WHY.items():
        for model, n in sorted((gates.get(field) or {}).items()):
            print(f"  {model}: {n} box{'es' if n != 1 else ''} {why} not kept", file=out)
    context = summary.get("context") or {}
    if context:
        seen = ", ".join(f"{k.split('/', 1)[1]} {v}" for k, v in context.items())
        print(f"  context (never a candidate by itself): {seen}", file=out)


def run(args: argparse.Namespace) -> int:
    try:
        with stop_on_signals() as stop:
            summary = process(args.flight_dir, args, stop)
    except Stopped as e:
        print(
            f"\nhehu: run stopped by {e} before it finished: run it again to process the flight",
            file=sys.stderr,
        )
        return 128 + e.signum
    if args.json:
        print(json.dumps(text_safe(summary), ensure_ascii=False, default=str))
    else:
        print_summary(summary)
        print_state(args)
    return 0


def print_state(args: argparse.Namespace, out=None) -> None:
    """Where the run's ledger and state are (every later command reads them there)."""
    from pipeline.config import load_config
    from pipeline.state import where

    out = out or sys.stdout
    config = load_config(args.config, overrides_from(args) if hasattr(args, "db") else None)
    from sqlalchemy.engine import make_url

    url = make_url(config.db_url()).render_as_string(hide_password=True)
    print(f"ledger: {display_path(url)}", file=out)
    print(where(config.state.dir), file=out)
