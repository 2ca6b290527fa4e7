"""``hehu users …`` and ``hehu review`` (the server start is stubbed)."""

from __future__ import annotations

import argparse
import io
import sys

import pytest


def _parser(*modules):
    parser = argparse.ArgumentParser(prog="hehu")
    sub = parser.add_subparsers()
    for module in modules:
        module.register(sub)
    return parser


def _run(parser, argv):
    args = parser.parse_args(argv)
    return args.func(args)


def test_users_add_list_role_disable(db_url, monkeypatch, capsys) -> None:
    from pipeline.cli import users
    from pipeline.review.security import make_hasher

    monkeypatch.setattr("pipeline.review.security.make_hasher", lambda *a: make_hasher("test"))
    parser = _parser(users)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    assert _run(parser, ["users", "add", "Wang.Wei", "--role", "reviewer",
                         "--password-stdin", "--db", db_url]) == 0  # fmt: skip
    assert "added wang.wei (reviewer)" in capsys.readouterr().out
    assert _run(parser, ["users", "role", "wang.wei", "operator", "--db", db_url]) == 0
    assert _run(parser, ["users", "disable", "wang.wei", "--db", db_url]) == 0
    capsys.readouterr()
    assert _run(parser, ["users", "list", "--db", db_url]) == 0
    listing = capsys.readouterr().out
    assert "wang.wei\toperator\tdisabled" in listing and "rev\treviewer\tactive" in listing
    from pipeline.ledger.audit import history
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.read() as session:
        entries = history(session=session, entity="user", entity_key="wang.wei")
    db.dispose()
    assert [(e.field, e.new_value) for e in entries] == [
        ("role", "reviewer"), ("role", "operator"), ("active", "false"),
    ]  # fmt: skip
    assert all(e.actor.startswith("cli") for e in entries)


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["users", "add", "x", "--role", "viewer", "--password-stdin"], "short\n", "at least 12"),
        (["users", "add", "bad name", "--role", "viewer", "--password-stdin"], "long-enough-pw\n",
         "must be 1-64"),
        (["users", "add", "rev", "--role", "viewer", "--password-stdin"], "long-enough-pw\n",
         "exists already"),
        (["users", "add", "x", "--role", "viewer", "--password-stdin"], "", "no password"),
        (["users", "role", "nobody", "admin"], "", "no account named"),
    ],
)  # fmt: skip
def test_users_errors(db_url, monkeypatch, argv, stdin, message) -> None:
    from pipeline.cli import users
    from pipeline.errors import BadInputError

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(BadInputError, match=message):
        _run(_parser(users), [*argv, "--db", db_url])


def test_password_prompt_when_not_piped(monkeypatch) -> None:
    from pipeline.cli import users

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["typed-password", "typed-password"])
    monkeypatch.setattr(sys, "stdin", Tty(""))
    monkeypatch.setattr(users.getpass, "getpass", lambda prompt: next(answers))
    assert users.read_password(False) == "typed-password"


def test_review_command_builds_the_app_and_serves_it(db_url, monkeypatch, tmp_path) -> None:
    from pipeline.cli import review

    served = {}

    def fake_run(app, host, port, **kw):
        served.update(app=app, host=host, port=port)

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setenv("HEHU_HOME", str(tmp_path))
    parser = _parser(review)
    assert _run(parser, ["review", "--db", db_url, "--port", "9999"]) == 0
    assert (served["host"], served["port"]) == ("127.0.0.1", 9999)
    from fastapi.testclient import TestClient

    with TestClient(served["app"]) as client:
        assert client.get("/login").status_code == 200


def test_review_command_takes_the_run_config(db_url, monkeypatch, tmp_path) -> None:
    from pipeline.cli import review

    served = {}
    monkeypatch.setattr("uvicorn.run", lambda app, host, port, **kw: served.update(app=app))
    monkeypatch.setenv("HEHU_HOME", str(tmp_path))
    run_config = tmp_path / "hehu.yaml"
    run_config.write_text("display:\n  timezone: Asia/Urumqi\n", encoding="utf-8")
    argv = ["review", "--db", db_url, "--run-config", str(run_config)]
    assert _run(_parser(review), argv) == 0
    state = served["app"].state.review
    assert state.tz.key == "Asia/Urumqi" and state.zones_geojson["features"]  # zones: the default
    run_config.write_text("display:\n  timezone: Mars/Olympus\n", encoding="utf-8")
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match=r"display\.timezone"):
        _run(_parser(review), argv)


def test_review_refuses_an_old_schema(tmp_path) -> None:
    from pipeline.cli import review
    from pipeline.ledger.db import make_engine, upgrade
    from pipeline.ledger.errors import SchemaNotReadyError

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    with pytest.raises(SchemaNotReadyError, match="hehu ledger upgrade"):
        _run(_parser(review), ["review", "--db", url])


def test_password_length_is_checked_before_the_second_prompt(monkeypatch) -> None:
    from pipeline.cli import users
    from pipeline.errors import BadInputError

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []
    monkeypatch.setattr(sys, "stdin", Tty(""))
    monkeypatch.setattr(users.getpass, "getpass", lambda prompt: prompts.append(prompt) or "short")
    with pytest.raises(BadInputError, match="at least 12"):
        users.read_password(False, "wang")
    assert prompts == ["password: "]  # never asked "again:"


def test_review_on_a_port_in_use_names_it_and_suggests_port(db_url, monkeypatch) -> None:
    import socket

    from pipeline.cli import review
    from pipeline.errors import HehuError

    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: pytest.fail("uvicorn must not start"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(HehuError) as e:
            _run(_parser(review), ["review", "--db", db_url, "--port", str(port)])
    assert str(e.value) == (
        f"port {port} on 127.0.0.1 is in use (another hehu review, or another program); "
        f"choose another with --port, e.g. --port {port + 1}"
    )
