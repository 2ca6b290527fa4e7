"""``hehu recheck FLIGHT_DIR``: recheck (复查) the ledger's open issues that a flight sees.

Prints, for each issue in 已确认, 已交办, 整改中 or 已整改 under the flight's footprints,
whether what its earlier evidence showed is still present, gone, or cannot be told,
and writes each before/after picture, watermarked (:mod:`pipeline.change.flight_recheck`).
The verdicts are recorded in the ledger with their pictures
(:func:`pipeline.change.record.record_flight_recheck`), unless ``--dry-run``. With
``--changes`` it also finds new changes (新增变化) inside the management zones and files
them as candidates (:func:`pipeline.change.record.file_flight_changes`), unless ``--dry-run``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pipeline.ingest.names import display_path, text_safe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recheck", help="recheck the ledger's open issues a flight sees again")
    p.add_argument("flight_dir", type=Path)
    p.add_argument("--config", help="run configuration (default: configs/hehu.yaml)")
    p.add_argument(
        "--db",
        help="ledger database URL (default: the config's, else ledger.sqlite in the state folder)",
    )
    p.add_argument(
        "--against", metavar="FLIGHT", default=None,
        help="take the earlier evidence only from this flight (its key or name in the ledger)",
    )  # fmt: skip
    p.add_argument(
        "--out", type=Path, default=None,
        help="folder for the before/after pictures (default: <state>/recheck/<flight name>)",
    )  # fmt: skip
    p.add_argument(
        "--model", metavar="NAME", default=None,
        help="also ask this detector (a folder under models/) on the issues whose class it knows",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true",
                   help="print the verdicts only: record nothing in the ledger")  # fmt: skip
    p.add_argument("--changes", action="store_true",
                   help="also find new changes (新增变化) inside the management zones against the "
                        "ledger's earlier frames and file them as candidates")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.change.flight_recheck import recheck_flight
    from pipeline.change.record import file_flight_changes, found_changes, record_flight_recheck
    from pipeline.cli.ledger import open_ledger
    from pipeline.cli.run import overrides_from
    from pipeline.config import load_config
    from pipeline.run import check_flight_yaw, plan_flight

    overrides = overrides_from(args)
    if args.model:
        overrides["detect"] = {**overrides.get("detect", {}), "models": [args.model]}
    config = load_config(args.config, overrides)
    plan = check_flight_yaw(plan_flight(args.flight_dir, config), config)
    detector = chosen_detector(config, args.model)
    out_dir = args.out or config.state_dir() / "recheck" / plan.name
    factory = open_ledger(config.db_url())
    with factory() as session:
        report = recheck_flight(session, plan, out_dir, against=args.against,
                                detector=detector)  # fmt: skip
        changes = found_changes(session, plan, config, out_dir) if args.changes else None
    recorded = filed = None
    if report.results and not args.dry_run:
        recorded = record_flight_recheck(factory, plan, report)
    if changes and not args.dry_run:
        filed = file_flight_changes(factory, plan, changes, config)
    if args.json:
        payload = {"flight": plan.name, "considered": report.considered,
                   "rechecked": [r.to_dict() for r in report.results],
                   "recorded": list(recorded.recorded) if recorded else [],
                   "already_recorded": list(recorded.already) if recorded else [],
                   "rebounded": list(recorded.rebounded) if recorded else []}  # fmt: skip
        if changes is not None:
            payload["changes"] = [c.to_dict() for c in changes]
            payload["changes_filed"] = list(filed.filed) if filed else []
            payload["changes_on_open_issues"] = list(filed.overlapping) if filed else []
        print(json.dumps(text_safe(payload), ensure_ascii=False))
    else:
        print_report(report, out_dir)
        print_recorded(recorded, args.dry_run and bool(report.results))
        if changes is not None:
            print_changes(changes, config.recheck.change_min_area_m2)
            print_filed(filed, args.dry_run and bool(changes))
    return 0


def print_changes(changes: list[Any], min_area_m2: float) -> None:
    print(f"new changes (新增变化) of at least {min_area_m2:g} m² inside the zones: {len(changes)}")
    for c in changes:
        area = "?" if c.region.area_m2 is None else f"{c.region.area_m2:.0f} m²"
        print(f"  {area}  {c.lat_deg:.6f}, {c.lon_deg:.6f}  zone {c.zone_id}  "
              f"{display_path(Path(c.new_path).name)} vs {display_path(Path(c.old_path).name)}  "
              f"{display_path(c.picture or '-')}")  # fmt: skip


def print_filed(filed: Any, dry_run: bool) -> None:
    if dry_run:
        print("dry run: no change filed")
    if filed is None:
        return
    print(f"filed as 新增变化 candidates: {len(filed.filed)}"
          + (f"  {', '.join(filed.filed)}" if filed.filed else "")
          + (f"; filed before (kept): {filed.already}" if filed.already else ""))  # fmt: skip
    if filed.overlapping:
        print(f"on open issues (their business, not filed): {', '.join(filed.overlapping)}")


def print_recorded(recorded: Any, dry_run: bool) -> None:
    if dry_run:
        print("dry run: nothing recorded in the ledger")
    if recorded is None:
        return
    print(f"recorded in the ledger: {len(recorded.recorded)}"
          + (f"; already recorded for this flight (kept): {len(recorded.already)}"
             if recorded.already else ""))  # fmt: skip
    if recorded.rebounded:
        print(f"反弹 (closed, found still present): {', '.join(recorded.rebounded)}")


def chosen_detector(config: Any, name: str | None) -> Any:
    """``--model NAME`` loaded as the run loads it, or None without ``--model``."""
    if not name:
        return None
    from pipeline.change.flight_recheck import DetectorUse
    from pipeline.errors import BadInputError
    from pipeline.run import load_detectors

    for loaded in load_detectors(config):
        if loaded.name == name:
            return DetectorUse.of(loaded)
    raise BadInputError(f"--model {name}: no such model is enabled")


def print_report(report: Any, out_dir: Path) -> None:
    if report.considered == 0:
        print("no issue to recheck: none is confirmed, dispatched, rectifying, rectified or closed "
              "with evidence from an earlier flight in the ledger")  # fmt: skip
        return
    print(f"issues with earlier evidence: {report.considered}; "
          f"under this flight: {len(report.results)}")  # fmt: skip
    for r in report.results:
        print(line_of(r))
    if any(r.picture for r in report.results):
        print(f"before/after pictures: {display_path(out_dir)}")


def line_of(r: Any) -> str:
    """``code  verdict (reason)  residual  new frame`` for one issue."""
    reg = r.registration
    if reg is not None and reg.ok:
        metres = "" if reg.residual_m is None else f", {reg.residual_m:.3f} m"
        rule = "" if reg.meets_rule else " (over the 2 px rule)"
        residual = f"residual {reg.residual_px:.2f} px{metres}{rule}"
    else:
        residual = "not registered"
    name = "-" if r.new_path is None else display_path(Path(r.new_path).name)
    return f"{r.evidence.code}  {r.verdict.verdict} ({r.verdict.reason})  {residual}  {name}"
