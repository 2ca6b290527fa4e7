"""``hehu ledger …`` and ``hehu export``, through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import pipeline.cli
from pipeline.ledger.db import head_revision
from pipeline.ledger.push import push_flight
from tests.ledger.ledger_helpers import flight_inputs


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the two subcommands as pipeline/cli/__init__.py will."""
    if "ledger" not in pipeline.cli.COMMANDS:
        monkeypatch.setattr(pipeline.cli, "COMMANDS", (*pipeline.cli.COMMANDS, "ledger", "export"))


@pytest.fixture
def pushed(session_factory, zones) -> list[str]:
    flight, frames, dets = flight_inputs("A")
    result = push_flight(
        session_factory=session_factory, flight=flight, frames=frames, detections=dets, zones=zones
    )
    return sorted(result.created)


def hehu(*argv: str) -> int:
    return pipeline.cli.main(list(argv))


def test_cli_modules_import_no_sqlalchemy() -> None:
    code = (
        "import sys, argparse, pipeline.cli.ledger as l, pipeline.cli.export as e;"
        "s = argparse.ArgumentParser().add_subparsers(); l.register(s); e.register(s);"
        "print([m for m in ('sqlalchemy', 'openpyxl', 'alembic', 'numpy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_list_json_one_object_per_issue(db_url: str, pushed: list[str], capsys) -> None:
    assert hehu("ledger", "list", "--json", "--db", db_url) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["code"] for r in records] == pushed
    for r in records:
        assert {"code", "type", "status", "lat", "lon", "frames", "version"} <= set(r)
        assert r["status"] == "candidate" and r["status_label"] == "待审核"
    assert sorted(r["frames"] for r in records) == [1, 2, 3]
    assert {r["type"] for r in records} == {"luandui", "luancai"}


def test_list_table_and_status_filter(db_url: str, pushed: list[str], capsys) -> None:
    assert hehu("ledger", "list", "--db", db_url, "--status", "已确认") == 0
    assert capsys.readouterr().out == ""
    assert hehu("ledger", "list", "--db", db_url) == 0
    out = capsys.readouterr()
    assert len(out.out.splitlines()) == 3 and "3 issue(s)" in out.err and "乱堆" in out.out


def test_show_and_review(db_url: str, pushed: list[str], capsys) -> None:
    code = pushed[0]
    assert hehu("ledger", "show", code, "--db", db_url, "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["code"] == code and shown["evidence"] and shown["history"][0]["to"] == "candidate"
    assert (
        hehu("ledger", "status", code, "已确认", "--version", "1", "--by", "张三", "--db", db_url)
        == 0
    )
    assert "已确认 (version 2)" in capsys.readouterr().out
    assert (
        hehu("ledger", "status", code, "误报", "--version", "1", "--by", "李四", "--db", db_url)
        == 1
    )
    assert "version 1, it is now at version 2" in capsys.readouterr().err
    assert hehu("ledger", "status", code, "已销号", "--version", "2", "--db", db_url) == 1
    assert "cannot move" in capsys.readouterr().err
    assert hehu("ledger", "show", code, "--db", db_url) == 0
    assert "张三: status candidate → confirmed" in capsys.readouterr().out
    assert hehu("ledger", "show", "no-such-code", "--db", db_url) == 1


def test_export_formats(db_url: str, pushed: list[str], tmp_path, capsys) -> None:
    for fmt in ("xlsx", "csv", "geojson", "kml"):
        out = tmp_path / f"台账.{fmt}"
        assert hehu("export", "--format", fmt, "--db", db_url, str(out)) == 0
        assert out.stat().st_size > 0
    assert (
        hehu("export", "--db", db_url, "--since", "2030-01-01", str(tmp_path / "none.geojson")) == 0
    )
    assert json.loads((tmp_path / "none.geojson").read_text())["features"] == []
    assert hehu("export", "--db", db_url, "--status", "nonsense", str(tmp_path / "x.csv")) == 1
    assert hehu("export", "--db", db_url, str(tmp_path / "x.pdf")) == 1


def test_default_database_and_upgrade(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("HEHU_DB_URL", raising=False)
    assert hehu("ledger", "list") == 1
    err = capsys.readouterr().err
    assert "hehu ledger upgrade" in err
    assert f"(state folder: {tmp_path / 'state'} ($HEHU_HOME))" in err  # where it looked
    assert hehu("ledger", "upgrade") == 0
    assert f"at migration {head_revision()}" in capsys.readouterr().out
    assert (tmp_path / "state" / "ledger.sqlite").is_file()
    assert hehu("ledger", "list", "--json") == 0
    monkeypatch.setenv("HEHU_DB_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert hehu("ledger", "upgrade") == 0
    assert (tmp_path / "env.sqlite").is_file()


def test_show_and_held_escape_control_characters_in_stored_paths(
    db_url: str, pushed: list[str], session_factory, capsys
) -> None:
    """A row pushed before paths were stored as display text may hold ESC: print it escaped."""
    from sqlalchemy import update

    from pipeline.ledger.models import Detection, Frame

    with session_factory.begin() as session:
        session.execute(update(Frame).values(path="/flights/DJI_\x1b[2J\u202e.JPG"))
        session.execute(update(Detection).values(hold_reason="single_view"))
    assert hehu("ledger", "show", pushed[0], "--db", db_url) == 0
    assert hehu("ledger", "held", "--db", db_url) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert out.count("/flights/DJI_\\x1b[2J\\u202e.JPG") >= 2
