"""``hehu demo`` keeps a ledger of its own; ``hehu run`` says where its state is."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from pipeline.cli import main
from pipeline.cli.demo import SAMPLE_FLIGHT


def flights(db_file) -> list[str]:
    engine = create_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT name FROM flight")).scalars())
    finally:
        engine.dispose()


def test_demo_never_writes_into_the_real_ledger(tmp_path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HEHU_HOME", str(home))
    monkeypatch.delenv("HEHU_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["ledger", "upgrade"]) == 0  # the real ledger, empty
    assert main(["demo", "--no-prefect"]) == 0
    out = capsys.readouterr().out
    assert f"keeps its own ledger, evidence and reports in {home / 'demo'}" in out
    assert f"demo ledger: sqlite:///{home / 'demo' / 'ledger.sqlite'}" in out
    assert f"hehu ledger list --db sqlite:///{home / 'demo' / 'ledger.sqlite'}" in out
    assert flights(home / "demo" / "ledger.sqlite") == ["brighton-beach"]
    assert flights(home / "ledger.sqlite") == []  # the real ledger
    assert list((home / "demo" / "reports").glob("brighton-beach-*/latest.html"))
    assert not (home / "reports").exists()


def test_run_prints_its_ledger_and_state_folder(tmp_path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HEHU_HOME", str(home))
    monkeypatch.delenv("HEHU_DB_URL", raising=False)
    assert main(["run", "--no-prefect", str(SAMPLE_FLIGHT)]) == 0
    out = capsys.readouterr().out
    assert f"ledger: sqlite:///{home / 'ledger.sqlite'}\n" in out
    assert f"state folder: {home} ($HEHU_HOME)\n" in out


def test_print_state_without_a_db_option(tmp_path, monkeypatch, capsys) -> None:
    """``hehu serve`` has no --db: it prints the configuration's ledger and state folder."""
    import argparse

    from pipeline.cli.run import print_state

    monkeypatch.setenv("HEHU_HOME", str(tmp_path))
    monkeypatch.setenv("HEHU_DB_URL", "postgresql+psycopg://app:secret@db/hehu")
    print_state(argparse.Namespace(config=None))
    assert capsys.readouterr().out == (
        f"ledger: postgresql+psycopg://app:***@db/hehu\nstate folder: {tmp_path} ($HEHU_HOME)\n"
    )
