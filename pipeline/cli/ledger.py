"""``hehu ledger …``: the 问题台账 (problem ledger) database.

- ``hehu ledger upgrade [--app-role ROLE]``: create the database or migrate it to the
  latest schema; on PostgreSQL, run it as the migration role (the tables' owner) and
  name the app's role to grant it the ledger, with only ``INSERT`` and ``SELECT`` on
  the audit log (:mod:`pipeline.ledger.roles`);
- ``hehu ledger list [--json] [--status S]``: one line per issue; with ``--json`` one
  object per line with ``code``, ``type``, ``status``, ``lat``, ``lon`` (WGS-84),
  ``frames`` and the other ledger fields;
- ``hehu ledger show CODE [--json]``: one issue with its evidence and audit history;
- ``hehu ledger status CODE TO --version N``: move an issue along the workflow
  (待审核 → 已确认/误报/历史遗留/挂账 → 已交办 → 整改中 → 已整改 → 已销号); 已交办 without
  ``--deadline`` takes the 整改时限 of ``ledger.settings.deadline_days`` in ``--config``;
  挂账 needs ``--next-check DATE``;
- ``hehu ledger check CODE --on DATE --version N``: schedule the next check of a 挂账
  issue or a closed one's 回头看 (``--clear``: none); ``hehu ledger due [--on DATE]``:
  the checks due and the issues overdue (逾期);
- ``hehu ledger split CODE DETECTION --version N``: move one sighting (``#N`` in
  ``show``, which gives each sighting's association distance and gate) into a
  new candidate, audited on both issues;
- ``hehu ledger merge CODE --into OTHER --version N``: merge a duplicate candidate
  into the issue of the same object (its sightings move there, it becomes
  已合并), audited on both issues;
- ``hehu ledger held [--flight NAME] [--json]``: detections stored as evidence
  that open no candidate, with the reason (level frame, grazing ray, too far,
  implausible area).

``--db URL`` picks the database (default ``$HEHU_DB_URL``, else
``sqlite:///`` + ``ledger.sqlite`` in hehu's state folder, :mod:`pipeline.state`), e.g.
``postgresql+psycopg://user:pass@host/hehu``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from typing import Any

from pipeline.ingest.names import display_path


def db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="database URL (default: $HEHU_DB_URL, else ledger.sqlite in the state folder)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ledger", help="the 问题台账: list, show, review issues; migrate the database"
    )
    actions = p.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    up = actions.add_parser(
        "upgrade", help="create the database or migrate it to the latest schema"
    )
    db_option(up)
    up.add_argument(
        "--app-role",
        metavar="ROLE",
        help="PostgreSQL: the role hehu's app connects as; granted the ledger's tables, "
        "only INSERT and SELECT on the audit log (run as the tables' owner)",
    )
    ls = actions.add_parser("list", help="one line per issue")
    db_option(ls)
    ls.add_argument("--json", action="store_true", help="one JSON object per issue per line")
    ls.add_argument(
        "--status", help="only this status (code such as assigned, or label such as 已交办)"
    )
    show = actions.add_parser("show", help="one issue with its evidence and history")
    db_option(show)
    show.add_argument("code")
    show.add_argument("--json", action="store_true")
    st = actions.add_parser("status", help="move an issue to another status (audited)")
    db_option(st)
    st.add_argument("code")
    st.add_argument("to", help="new status: code (confirmed) or label (已确认)")
    st.add_argument(
        "--version", type=int, required=True, help="the version you reviewed (from list/show)"
    )
    st.add_argument("--by", default=None, help="who makes the change (default: the login name)")
    st.add_argument("--note", default=None)
    st.add_argument("--unit", default=None, help="responsible unit (责任单位), needed for 已交办")
    st.add_argument(
        "--deadline", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (整改时限)"
    )
    st.add_argument("--measures", default=None, help="rectification measures (整改措施)")
    st.add_argument("--person", default=None, help="responsible person (责任人)")
    st.add_argument(
        "--next-check",
        type=dt.date.fromisoformat,
        default=None,
        help="YYYY-MM-DD: the next check of a 挂账 issue (or a closed one's 回头看)",
    )
    st.add_argument("--config", help="run configuration whose ledger.settings.deadline_days "
                    "gives 已交办 its deadline when --deadline is not given")  # fmt: skip
    ck = actions.add_parser("check", help="schedule a 挂账 issue's next check or a 回头看")
    db_option(ck)
    ck.add_argument("code")
    when = ck.add_mutually_exclusive_group(required=True)
    when.add_argument("--on", type=dt.date.fromisoformat, help="YYYY-MM-DD")
    when.add_argument("--clear", action="store_true", help="no further check (closed issues)")
    ck.add_argument(
        "--version", type=int, required=True, help="the version you reviewed (from list/show)"
    )
    ck.add_argument("--by", default=None, help="who makes the change (default: the login name)")
    ck.add_argument("--note", default=None, help="e.g. what the last check found")
    due = actions.add_parser("due", help="checks due (挂账, 回头看) and overdue issues (逾期)")
    db_option(due)
    due.add_argument("--on", type=dt.date.fromisoformat, default=None, help="default: today")
    due.add_argument("--json", action="store_true")
    sp = actions.add_parser("split", help="move one sighting off an issue into a new candidate")
    db_option(sp)
    sp.add_argument("code")
    sp.add_argument("detection", type=int, help="the sighting's detection id (#N in show)")
    sp.add_argument(
        "--version", type=int, required=True, help="the version you reviewed (from list/show)"
    )
    sp.add_argument("--by", default=None, help="who makes the change (default: the login name)")
    sp.add_argument("--note", default=None)
    mg = actions.add_parser("merge", help="merge a duplicate issue into the one it duplicates")
    db_option(mg)
    mg.add_argument("code", help="the duplicate: its sightings move and it becomes 已合并")
    mg.add_argument("--into", required=True, metavar="CODE", help="the issue that is kept")
    mg.add_argument(
        "--version", type=int, required=True, help="the duplicate's version you reviewed"
    )
    mg.add_argument("--into-version", type=int, default=None, help="the kept one's, if checked")
    mg.add_argument(
        "--force",
        action="store_true",
        help="merge even when they are far apart or appear as two boxes in one photo",
    )
    mg.add_argument("--by", default=None, help="who makes the change (default: the login name)")
    mg.add_argument("--note", default=None)
    hd = actions.add_parser("held", help="detections kept as evidence that open no candidate")
    db_option(hd)
    hd.add_argument("--flight", default=None, help="only this flight (its name)")
    hd.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def open_ledger(url: str | None, *, create: bool = False) -> Any:
    """A session factory for the ledger at ``url``; checks the schema (``create``: makes it)."""
    from pipeline.ledger.db import (
        check_schema,
        default_url,
        make_engine,
        make_session_factory,
        upgrade,
    )

    engine = make_engine(url or default_url())
    if create:
        upgrade(engine)
    else:
        check_schema(engine)
    return make_session_factory(engine)


def subtype_labels() -> dict[str, str]:
    """Subtype id → Chinese label from ``configs/taxonomy.yaml`` when it can be read, else empty."""
    try:
        from pipeline.detect.taxonomy import load_taxonomy

        tax = load_taxonomy()
        return {sid: tax.subtype(sid).zh for sid in tax.subtype_ids()}
    except Exception:  # the ledger works without the taxonomy: labels are a nicety
        return {}


def run(args: argparse.Namespace) -> int:
    from pipeline.cli.ledger_checks import check, due

    commands = {"upgrade": _upgrade, "list": _list, "show": _show, "status": _status,
                "split": _split, "merge": _merge, "held": _held,
                "check": lambda a: check(a, open_ledger(a.db)),
                "due": lambda a: due(a, open_ledger(a.db))}  # fmt: skip
    return commands[args.ledger_command](args)


def _upgrade(args: argparse.Namespace) -> int:
    from pipeline.ledger.db import current_revision, default_url, make_engine, upgrade

    url = args.db or default_url()
    engine = make_engine(url)
    upgrade(engine)
    print(
        f"ledger {engine.url.render_as_string(hide_password=True)} "
        f"is at migration {current_revision(engine)}"
    )
    if args.app_role:
        from pipeline.ledger.roles import grant_app_role

        grant_app_role(engine, args.app_role)
        print(
            f"role {args.app_role} may read and write the ledger; on the audit log only "
            "INSERT and SELECT"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    from pipeline.ledger.queries import list_issues
    from pipeline.ledger.vocab import status_code

    status = status_code(args.status) if args.status else None
    with open_ledger(args.db)() as session:
        issues = list_issues(session=session, status=status)
    for v in issues:
        if args.json:
            print(json.dumps(v.to_json(), ensure_ascii=False))
        else:
            where = v.river_name or ("管理范围外" if not v.in_zone else "")
            print(
                f"{v.code:18} {v.type_label} {v.status_label:4} v{v.version:<3} {v.frames:3d}张 "
                f"{v.lat:.6f},{v.lon:.6f}  {v.severity_label or '-':3}  {where}"
            )
    if not args.json:
        print(f"{len(issues)} issue(s)", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipeline.ledger.audit import as_text
    from pipeline.ledger.queries import issue_detail

    with open_ledger(args.db)() as session:
        d = issue_detail(session=session, code=args.code)
    history = [
        {
            "at_utc": as_text(h.at_utc),
            "actor": h.actor,
            "field": h.field,
            "from": h.old_value,
            "to": h.new_value,
            "note": h.note,
        }
        for h in d.history
    ]
    evidence = [
        {k: as_text(v) if isinstance(v, dt.datetime) else v for k, v in vars(e).items()}
        for e in d.evidence
    ]
    if args.json:
        print(
            json.dumps(
                {**d.issue.to_json(), "evidence": evidence, "history": history}, ensure_ascii=False
            )
        )
        return 0
    for key, value in d.issue.to_json().items():
        if key != "photos" and value not in (None, ""):
            print(f"{key:24} {value}")
    print(f"evidence ({len(evidence)}):")
    for e in d.evidence:
        print(f"  #{e.detection_id} [{e.kind}] {display_path(e.flight)}  "
              f"{display_path(e.frame_path)}  {e.class_name} "
              f"{e.conf:.2f}  {_association(e)}")  # fmt: skip
    print("history:")
    for h in history:
        print(
            f"  {h['at_utc']}  {h['actor']}: {h['field']} {h['from']} → {h['to']}"
            + (f"  ({h['note']})" if h["note"] else "")
        )
    return 0


def _association(e: Any) -> str:
    """How a sighting joined its issue: ``d 1.2 m / gate 4.8 m`` (``opened it`` for the first)."""
    sigma = f", σ {e.sigma_m:.1f} m" if e.sigma_m is not None else ""
    if e.distance_m is None:
        return {"split": f"(split off{sigma})"}.get(e.kind, f"(opened it{sigma})")
    gate = f" / gate {e.gate_m:.1f} m" if e.gate_m is not None else ""
    return f"(d {e.distance_m:.1f} m{gate}{sigma})"


def _split(args: argparse.Namespace) -> int:
    from pipeline.ledger.split import split_sighting

    with open_ledger(args.db).begin() as session:
        new = split_sighting(session=session, code=args.code, detection_id=args.detection,
                             expected_version=args.version, actor=args.by or getpass.getuser(),
                             note=args.note)  # fmt: skip
        print(f"detection {args.detection} split off {args.code} into {new.code} (待审核)")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from pipeline.ledger.merge import merge_issues

    with open_ledger(args.db).begin() as session:
        kept = merge_issues(session=session, code=args.code, into=args.into,
                            expected_version=args.version, into_version=args.into_version,
                            actor=args.by or getpass.getuser(), note=args.note,
                            force=args.force)  # fmt: skip
        print(f"{args.code} merged into {kept.code} (已合并); {kept.code} is at version "
              f"{kept.version}")  # fmt: skip
    return 0


def _held(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from pipeline.ledger.models import Detection, Flight, Frame
    from pipeline.ledger.plausible import hold_text

    query = (
        select(Flight.name, Frame.path, Detection)
        .join(Frame, Detection.frame_id == Frame.id)
        .join(Flight, Frame.flight_id == Flight.id)
        .where(Detection.hold_reason.is_not(None))
        .order_by(Flight.name, Frame.path, Detection.id)
    )
    if args.flight:
        query = query.where(Flight.name == args.flight)
    with open_ledger(args.db)() as session:
        rows = list(session.execute(query))
    for flight, path, det in rows:
        row = {"flight": flight, "frame": path, "detection_id": det.id, "class": det.class_name,
               "subtype": det.subtype, "reason": det.hold_reason,
               "reason_text": hold_text(det.hold_reason), "area_m2": det.area_m2,
               "range_m": det.range_m}  # fmt: skip
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{display_path(flight)}  {display_path(path)}  #{det.id} {det.class_name}  "
                  f"{row['reason_text']}")  # fmt: skip
    if not args.json:
        print(f"{len(rows)} held detection(s)", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    from pipeline.cli.ledger_checks import dispatch
    from pipeline.ledger.vocab import STATUS_LABELS, status_code
    from pipeline.ledger.workflow import transition

    to = status_code(args.to)
    if to == "assigned":
        return dispatch(args, open_ledger(args.db))
    changes = {k: v for k, v in (("responsible_unit", args.unit), ("deadline", args.deadline),
                                 ("rectification_measures", args.measures),
                                 ("responsible_person", args.person),
                                 ("next_check_on", args.next_check)) if v is not None}  # fmt: skip
    with open_ledger(args.db).begin() as session:
        issue = transition(
            session=session,
            code=args.code,
            to=to,
            expected_version=args.version,
            actor=args.by or getpass.getuser(),
            changes=changes,
            note=args.note,
        )
        print(f"{issue.code}: {STATUS_LABELS[issue.status]} (version {issue.version})")
    return 0
