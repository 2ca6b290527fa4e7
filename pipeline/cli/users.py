"""``hehu users …``: accounts of the review app.

- ``hehu users add NAME --role ROLE [--password-stdin] [--display-name TEXT]``:
  create an account (roles: viewer, reviewer, operator, admin); the password is
  read from stdin with ``--password-stdin`` (first line), else prompted for;
- ``hehu users list``: one line per account;
- ``hehu users role NAME ROLE``, ``hehu users disable NAME``, ``hehu users enable NAME``,
  ``hehu users passwd NAME [--password-stdin]``.

Changes are written to the ledger's audit log with the login name of whoever
ran the command. ``--db URL`` picks the ledger (as for ``hehu ledger``).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from pipeline.errors import BadInputError

ROLES = ("viewer", "reviewer", "operator", "admin")


def register(sub: argparse._SubParsersAction) -> None:
    from pipeline.cli.ledger import db_option

    p = sub.add_parser("users", help="review app accounts: add, list, set role, disable")
    actions = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", default=None)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    db_option(add)
    ls = actions.add_parser("list", help="one line per account")
    db_option(ls)
    role = actions.add_parser("role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    db_option(role)
    for name in ("disable", "enable"):
        q = actions.add_parser(name, help=f"{name} an account")
        q.add_argument("name")
        db_option(q)
    pw = actions.add_parser("passwd", help="set a new password (ends the account's sessions)")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    db_option(pw)
    p.set_defaults(func=run)


def read_password(from_stdin: bool, username: str | None = None) -> str:
    """The first line of stdin, or a prompt (twice) on a terminal; the password's strength
    is checked before it is asked for the second time."""
    from pipeline.review.passwords import check_password_strength

    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise BadInputError("no password on stdin")
        return line
    first = getpass.getpass("password: ")
    check_password_strength(first, username=username)
    if getpass.getpass("again: ") != first:
        raise BadInputError("the two passwords differ")
    return first


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def run(args: argparse.Namespace) -> int:
    from pipeline.ledger.db import check_schema, default_url
    from pipeline.review import accounts
    from pipeline.review.security import make_hasher
    from pipeline.review.store import open_db

    db = open_db(args.db or default_url())
    check_schema(db.engine)
    cmd = args.users_command
    if cmd == "list":
        with db.read() as session:
            for u in accounts.list_users(session=session):
                state = "active" if u.active else "disabled"
                print(f"{u.username}\t{u.role}\t{state}\t{u.display_name or ''}")
        return 0
    actor = _actor()
    password = read_password(args.password_stdin, args.name) if cmd in ("add", "passwd") else ""
    with db.write() as session:
        if cmd == "add":
            accounts.create_user(
                session=session, hasher=make_hasher(), username=args.name, role=args.role,
                password=password, actor=actor, display_name=args.display_name,
            )  # fmt: skip
            print(f"added {args.name.strip().lower()} ({args.role})")
        elif cmd == "role":
            accounts.set_role(session=session, username=args.name, role=args.role, actor=actor)
            print(f"{args.name}: {args.role}")
        elif cmd in ("disable", "enable"):
            accounts.set_active(
                session=session, username=args.name, active=cmd == "enable", actor=actor
            )
            print(f"{args.name}: {cmd}d")
        elif cmd == "passwd":
            accounts.set_password(
                session=session, hasher=make_hasher(), username=args.name,
                password=password, actor=actor,
            )  # fmt: skip
            print(f"{args.name}: password changed, sessions ended")
    return 0
