"""``hehu ledger status … 已交办/挂账``, ``hehu ledger check``, ``due`` and ``hehu stats``,
through the real console entry point."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

import pipeline.cli
from tests.ledger.stats_seed import KNOWN, add_issues


@pytest.fixture
def code(one_candidate: str) -> str:
    return one_candidate


def hehu(*argv: str) -> int:
    return pipeline.cli.main(list(argv))


@pytest.fixture
def seeded(db_url, session_factory) -> str:
    with session_factory.begin() as session:
        add_issues(session, KNOWN)
    return db_url


def test_stats_module_imports_no_sqlalchemy() -> None:
    code = ("import sys, argparse, pipeline.cli.stats as m;"
            "m.register(argparse.ArgumentParser().add_subparsers());"
            "print([x for x in ('sqlalchemy', 'openpyxl') if x in sys.modules])")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dispatch_takes_the_configured_deadline(db_url, code, tmp_path, capsys) -> None:
    config = tmp_path / "hehu.yaml"
    config.write_text("ledger:\n  settings:\n    deadline_days: {default: 12}\n", encoding="utf-8")
    db = ("--db", db_url)
    assert hehu("ledger", "status", code, "已确认", "--version", "1", *db) == 0
    assert hehu("ledger", "status", code, "已交办", "--version", "2", "--unit", "示例镇",
                "--config", str(config), *db) == 0  # fmt: skip
    want = dt.date.today() + dt.timedelta(days=12)
    assert f"整改时限 {want}" in capsys.readouterr().out
    assert hehu("ledger", "show", code, "--json", *db) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["deadline"], shown["overdue"]) == (want.isoformat(), False)


def test_dispatch_without_a_unit_is_refused(db_url, code, capsys) -> None:
    assert hehu("ledger", "status", code, "已确认", "--version", "1", "--db", db_url) == 0
    assert hehu("ledger", "status", code, "assigned", "--version", "2", "--db", db_url) == 1
    assert "needs --unit" in capsys.readouterr().err


def test_carry_over_check_and_due(db_url, code, capsys) -> None:
    db = ("--db", db_url)
    assert hehu("ledger", "status", code, "挂账", "--version", "1", "--next-check",
                "2026-11-01", *db) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == f"{code}: 挂账 (version 2)"
    assert hehu("ledger", "due", "--on", "2026-11-02", "--json", *db) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in out] == [
        {"kind": "check", "code": code, "status": "carried_over", "date": "2026-11-01", "days": 1}
    ]
    assert hehu("ledger", "check", code, "--on", "2026-12-01", "--version", "2", *db) == 0
    assert hehu("ledger", "due", "--on", "2026-11-02", *db) == 0
    assert "0 check(s) due, 0 issue(s) overdue" in capsys.readouterr().err


def test_stats_json_gives_the_known_figures(seeded, capsys) -> None:
    assert hehu("stats", "--from", "2026-11-02", "--to", "2026-11-15", "--format", "json",
                "--db", seeded) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert [r["found"] for r in data["rows"]] == [3, 3]
    total = data["total"]
    assert (total["closed"], total["overdue"], total["closure_rate"]) == (2, 1, 0.5)
    assert total["median_days_to_close"] == 13.5


def test_stats_table_on_standard_output(seeded, capsys) -> None:
    assert hehu("stats", "--from", "2026-11-02", "--to", "2026-11-15", "--by", "type",
                "--whole", "--db", seeded) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("统计期间：2026-11-02 至 2026-11-15")
    assert lines[1].split("\t")[:3] == ["问题类型", "发现问题数", "确认数"]
    total = lines.index("") - 1  # the grids' coverage (configs/grids) follows a blank line
    assert lines[total].split("\t")[:2] == ["合计", "6"] and "50.0%" in lines[total]
    assert lines[total + 2] == "网格巡查覆盖" and lines[total + 3].startswith("网格编号\t")


def test_stats_xlsx_follows_the_offices_layout(seeded, tmp_path) -> None:
    out = tmp_path / "周报.xlsx"
    assert hehu("stats", "--from", "2026-11-02", "--to", "2026-11-15", "--by", "river",
                "--out", str(out), "--db", seeded) == 0  # fmt: skip
    wb = load_workbook(out)
    ws = wb["统计表"]
    assert ws["A1"].value == "河湖“四乱”问题统计表"
    assert ws["A2"].value.startswith("统计期间：2026-11-02 至 2026-11-15　按周　按河湖")
    header = [c.value for c in ws[3]]
    assert header[:4] == ["统计周期", "河湖", "发现问题数", "确认数"]
    assert header[-2:] == ["销号率", "销号用时中位数（天）"]
    assert ws.freeze_panes == "C4"
    total = [c.value for c in ws[ws.max_row]]
    assert total[0] == "合计" and total[2] == 6 and total[-2:] == [0.5, 13.5]
    assert ws.cell(row=ws.max_row, column=len(header) - 1).number_format == "0.0%"
    weeks = {ws.cell(row=r, column=1).value for r in range(4, ws.max_row)}
    assert weeks == {"2026-11-02～11-08", "2026-11-09～11-15"}
    charts = wb["图表"]._charts
    assert [type(c).__name__ for c in charts] == ["LineChart", "BarChart"]
    assert [c.value for c in wb["图表"]["A"][1:3]] == ["2026-11-02～11-08", "2026-11-09～11-15"]


def test_stats_csv_has_a_bom_and_chinese_headers(seeded, tmp_path) -> None:
    out = tmp_path / "stats.csv"
    assert hehu("stats", "--from", "2026-11-02", "--to", "2026-11-15", "--period", "month",
                "--out", str(out), "--db", seeded) == 0  # fmt: skip
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff统计周期,发现问题数")
    assert text.splitlines()[1].startswith("2026年11月,6,")
