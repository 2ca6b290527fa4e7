"""``hehu demo``: run hehu on the embedded sample flight (no other data needed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SAMPLE_FLIGHT = Path(__file__).resolve().parents[1] / "data" / "sample_flight" / "frames"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the pipeline on the embedded sample flight")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.cli.ingest import frame_records, print_table
    from pipeline.ingest import scan_flight

    print(f"Sample flight: {SAMPLE_FLIGHT}")
    result = scan_flight(SAMPLE_FLIGHT)
    records = frame_records(result.frames, yaw_check=True)
    print_table(records, result.quarantined, sys.stdout)
    return 0
