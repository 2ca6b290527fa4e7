"""``hehu run FLIGHT_DIR``: process one flight from the shell, with a progress bar.

By default the work runs as the Prefect flow ``process-flight`` (observable in
a Prefect UI, cached per batch, resumable after a crash); ``--no-prefect``
runs the same stages directly. When a ``hehu serve`` runs on this machine with
the same state folder and working directory, the flight is handed to it
(:mod:`flows.handoff`): Prefect and the detectors are warm there, which saves
the 3–6 s a fresh process spends on them. ``--local`` runs it here anyway.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="process one flight folder into the ledger")
    p.add_argument("flight_dir", type=Path)
    add_run_options(p)
    p.set_defaults(func=run)


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="run configuration (default: configs/hehu.yaml)")
    p.add_argument(
        "--db", help="ledger database URL (default: the config's, else .hehu/ledger.sqlite)"
    )
    p.add_argument("--no-prefect", action="store_true", help="run the stages without Prefect")
    p.add_argument(
        "--local", action="store_true",
        help="run in this process even when a hehu serve is running here",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    return {"ledger": {"url": args.db}} if args.db else {}


def process(flight_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one flight as the options say; returns the summary dict."""
    from pipeline.cli.progress import ProgressBar
    from pipeline.errors import BadInputError

    if not flight_dir.is_dir():
        raise BadInputError(f"{flight_dir}: not a folder; give the folder of a flight's photos")
    if not args.no_prefect and not args.local:
        summary = handed_off(flight_dir, args)
        if summary is not None:
            return summary
    if args.no_prefect:
        api = None
    else:  # first, so that the server starts while the rest loads
        from flows.server import connect, prefect_api

        api = prefect_api()
    from pipeline import run as stages
    from pipeline.config import load_config

    bar = ProgressBar()
    config = load_config(args.config, overrides_from(args))
    if args.no_prefect:
        return stages.summary_dict(stages.run_flight(flight_dir, config, progress=bar))
    import flows.process_flight as pf

    if config.flow.task_runner == "thread":
        stages.load_detectors(config)  # in this process: the detection task reuses them
    with connect(api), pf.FRAMES.watching(bar):
        return pf.run_process_flight(str(flight_dir), args.config, overrides_from(args))


def handed_off(flight_dir: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    """The summary of the flight run by this machine's ``hehu serve``, if one takes it."""
    from flows.handoff import hand_off
    from pipeline.cli.progress import ProgressBar
    from pipeline.errors import RunStopped

    try:
        return hand_off(flight_dir, args.config, overrides_from(args), ProgressBar())
    except KeyboardInterrupt:
        raise RunStopped("interrupted: hehu serve stops the run after the current frame") from None


def print_summary(summary: dict[str, Any], out=None) -> None:
    out = out or sys.stdout  # looked up at call time: tests and shells replace sys.stdout
    print(f"\nframes processed: {summary['frames']}", file=out)
    for q in summary["quarantined"]:
        print(f"set aside  {q['path']}: {q['reason']}", file=out)
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
    if summary.get("report"):
        print(f"report: {summary['report']}", file=out)
    if summary.get("seconds"):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in summary["seconds"].items())
        print(f"time: {stages}", file=out)


def print_gates(summary: dict[str, Any], out) -> None:
    """Frames each model skipped and why, boxes dropped off water, context seen."""
    gates = summary.get("gates") or {}
    for model, reasons in sorted((gates.get("skipped") or {}).items()):
        for reason, n in sorted(reasons.items()):
            print(f"  {model} skipped {n} frame{'s' if n != 1 else ''}: {reason}", file=out)
    for model, n in sorted((gates.get("dropped_off_water") or {}).items()):
        print(f"  {model}: {n} box{'es' if n != 1 else ''} off water not kept", file=out)
    for model, n in sorted((gates.get("dropped_faint") or {}).items()):
        print(f"  {model}: {n} box{'es' if n != 1 else ''} too faint to be floating "
              "(under water or blurred) not kept", file=out)  # fmt: skip
    context = summary.get("context") or {}
    if context:
        seen = ", ".join(f"{k.split('/', 1)[1]} {v}" for k, v in context.items())
        print(f"  context (never a candidate by itself): {seen}", file=out)


def run(args: argparse.Namespace) -> int:
    summary = process(args.flight_dir, args)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        print_summary(summary)
    return 0
