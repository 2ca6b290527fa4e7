"""``hehu demo``: the whole pipeline on the embedded sample flight, into a ledger of its own.

The demo keeps its ledger, evidence and reports in ``demo/`` of the state folder
(:mod:`pipeline.state`), so the sample flight never enters the real ledger: a real
flight of the same place does not count its candidates as recurring, and the review
app's flight filter does not offer it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SAMPLE_FLIGHT = Path(__file__).resolve().parents[1] / "data" / "sample_flight" / "brighton-beach"


def register(sub: argparse._SubParsersAction) -> None:
    from pipeline.cli.run import add_run_options

    p = sub.add_parser(
        "demo", help="run the pipeline on the embedded sample flight, into a ledger of its own"
    )
    add_run_options(p)
    p.set_defaults(func=run)


def demo_state(config_path: str | None) -> Path:
    """The demo's state folder: ``demo/`` in the state folder the configuration uses."""
    from pipeline.config import load_config

    return load_config(config_path).state_dir() / "demo"


def run(args: argparse.Namespace) -> int:
    from pipeline.cli.run import overrides_from, print_summary, process
    from pipeline.config import load_config

    state = demo_state(args.config)
    args.overrides = {"state": {"dir": str(state)},
                      "ledger": {"url": f"sqlite:///{state / 'ledger.sqlite'}"}}  # fmt: skip
    print(f"Sample flight: {SAMPLE_FLIGHT} (Brighton Beach, DJI FC300S, BSD-2)")
    print(f"The demo keeps its own ledger, evidence and reports in {state}; "
          "your real ledger is not touched.")  # fmt: skip
    summary = process(SAMPLE_FLIGHT, args)
    print_summary(summary)
    print_verdict(summary)
    db_url = load_config(args.config, overrides_from(args)).db_url()
    print_candidates(db_url)
    print(f"\ndemo ledger: {db_url}")
    db = f" --db {db_url}"
    print(f"list it:      hehu ledger list{db}")
    print(f"export it:    hehu export{db} --format xlsx ledger.xlsx")
    print(f"review it:    hehu users add NAME --role reviewer{db} && hehu review{db}")
    print("              then open http://127.0.0.1:8765 and log in")
    return 0


def print_verdict(summary: dict) -> None:
    """Say in plain words what the sample shows, before the ledger's rows."""
    new = len(summary["created"]) + len(summary["recurred"]) + len(summary["rebounded"])
    context = summary.get("context") or {}
    seen = ", ".join(f"{k.split('/', 1)[1]} ×{v}" for k, v in context.items()) or "nothing"
    seen += " (boxes over all frames: one object is seen in several)" if context else ""
    if new == 0:
        print(
            "\nThe sample flight (a lakeside park) shows no 四乱 problem, and hehu opened no "
            f"candidate for it. Context the detectors saw: {seen}. Context objects are in "
            "the report, never in the ledger by themselves."
        )
    else:
        print(f"\n{new} candidate(s) from the sample flight need review; context seen: {seen}.")


def print_candidates(db_url: str) -> None:
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.queries import list_issues
    from pipeline.ledger.vocab import STATUS_LABELS, TYPE_LABELS

    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            issues = list_issues(session=session)
    finally:
        engine.dispose()
    print(f"\ncandidates in the ledger: {len(issues)}")
    for i in issues:
        print(f"  {i.code}  {TYPE_LABELS.get(i.type, i.type)} {i.subtype or ''}  "
              f"{STATUS_LABELS.get(i.status, i.status)}  {i.lat:.6f}, {i.lon:.6f}  "
              f"{'in ' + (i.river_name or '') if i.in_zone else 'outside zones'}")  # fmt: skip
