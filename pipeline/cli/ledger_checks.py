"""``hehu ledger`` actions on deadlines and checks: dispatch (交办) with the configured
deadline, ``check`` (schedule 挂账's next look or a 回头看), ``due`` (what is due, what is
overdue). See :mod:`pipeline.cli.ledger`, which passes each the ledger's session factory."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from typing import Any


def dispatch(args: argparse.Namespace, ledger: Any) -> int:
    """``status CODE 已交办``: the unit is needed; the deadline defaults to the config's rule."""
    from pipeline.config import load_config
    from pipeline.errors import BadInputError
    from pipeline.ledger.deadlines import Dispatch, dispatch

    if not args.unit:
        raise BadInputError(f"dispatching {args.code} (已交办) needs --unit (责任单位)")
    order = Dispatch(unit=args.unit, deadline=args.deadline, person=args.person,
                     measures=args.measures)  # fmt: skip
    config = load_config(args.config).ledger.settings
    with ledger.begin() as session:
        issue = dispatch(session=session, code=args.code, expected_version=args.version,
                         actor=args.by or getpass.getuser(), order=order, config=config,
                         note=args.note)  # fmt: skip
        print(f"{issue.code}: 已交办 to {issue.responsible_unit}, 整改时限 {issue.deadline} "
              f"(version {issue.version})")  # fmt: skip
    return 0


def check(args: argparse.Namespace, ledger: Any) -> int:
    from pipeline.ledger.vocab import STATUS_LABELS
    from pipeline.ledger.workflow import schedule_check

    with ledger.begin() as session:
        issue = schedule_check(session=session, code=args.code, expected_version=args.version,
                               actor=args.by or getpass.getuser(),
                               on=None if args.clear else args.on, note=args.note)  # fmt: skip
        when = issue.next_check_on or "none"
        print(f"{issue.code} ({STATUS_LABELS[issue.status]}): next check {when} "
              f"(version {issue.version})")  # fmt: skip
    return 0


def due(args: argparse.Namespace, ledger: Any) -> int:
    from pipeline.ledger.deadlines import due_checks, overdue_issues
    from pipeline.ledger.vocab import STATUS_LABELS

    today = args.on or dt.date.today()
    with ledger() as session:
        checks = [("check", i.code, i.status, i.next_check_on, i.river_name)
                  for i in due_checks(session=session, today=today)]  # fmt: skip
        late = [("overdue", i.code, i.status, i.deadline, i.responsible_unit)
                for i in overdue_issues(session=session, today=today)]  # fmt: skip
    for kind, code, status, day, where in checks + late:
        if args.json:
            row = {"kind": kind, "code": code, "status": status, "date": day.isoformat(),
                   "days": (today - day).days}  # fmt: skip
            print(json.dumps(row, ensure_ascii=False))
        else:
            what = "回头看" if status == "closed" else "挂账复查" if kind == "check" else "逾期"
            print(f"{code:18} {STATUS_LABELS[status]:4} {what:4} {day}  "
                  f"({(today - day).days} 天)  {where or ''}")  # fmt: skip
    if not args.json:
        print(f"{len(checks)} check(s) due, {len(late)} issue(s) overdue on {today}",
              file=sys.stderr)  # fmt: skip
    return 0
