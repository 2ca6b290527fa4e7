"""The flight report shows the flight's candidates as the ledger holds them, one report
per run with a stable ``latest.html``, rendered with autoescape into one file."""

from __future__ import annotations

import re
from types import SimpleNamespace

from pipeline.config import load_config
from pipeline.flight import BatchResult, FlightPlan
from pipeline.flight_report import render_html, write_report
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import flight_issues
from tests.ledger.ledger_helpers import ZONES_DIR, flight_inputs


def push(session_factory, zones, spec: str):
    flight, frames, dets = flight_inputs(spec)
    pushed = push_flight(session_factory=session_factory, flight=flight, frames=frames,
                         detections=dets, zones=zones)  # fmt: skip
    return flight, pushed


def test_flight_issues_say_new_or_recurring_whichever_run(session_factory, zones) -> None:
    push(session_factory, zones, "R1")
    _, again = push(session_factory, zones, "R1")  # a rerun files nothing new
    assert (again.created, again.recurred) == ((), ())
    _, second = push(session_factory, zones, "R2")
    with session_factory() as session:
        first_issues, first = flight_issues(session=session, flight_key="flight-R1")
        _, later = flight_issues(session=session, flight_key="flight-R2")
        assert flight_issues(session=session, flight_key="no-such-flight") == ([], {})
    assert len(first_issues) == 3 and set(first.values()) == {"new"}
    assert later == dict.fromkeys(first, "recurring")
    assert set(second.recurred) == set(first)


def test_a_rerun_keeps_both_reports_and_lists_the_ledgers_candidates(
    db_url, session_factory, zones, tmp_path
) -> None:
    flight, first_push = push(session_factory, zones, "R1")
    config = load_config(overrides={"ledger": {"url": db_url, "zones": str(ZONES_DIR)},
                                    "report": {"out_dir": str(tmp_path / "reports")}})  # fmt: skip
    plan = FlightPlan(flight.key, flight.name, "/flights/R1", (), ())
    first = write_report(plan, BatchResult((), {}), first_push, config)
    _, rerun_push = push(session_factory, zones, "R1")
    second = write_report(plan, BatchResult((), {}), rerun_push, config)

    folder = tmp_path / "reports" / "R1-flight-R1"
    assert first != second and first.parent == second.parent == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.name, second.name,
                                                              "latest.html"])  # fmt: skip
    assert (folder / "latest.html").read_bytes() == second.read_bytes()
    codes = sorted(first_push.created)
    for page in (first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")):
        assert all(f"<b>{code}</b>" in page for code in codes)
        assert "No 四乱 candidate" not in page
        assert "3 new, 0 recurring" in page
    assert "already known before this run" not in first.read_text(encoding="utf-8")
    rerun = second.read_text(encoding="utf-8")
    assert rerun.count('<span class="meta">already known before this run</span>') == 3
    assert "(3 already known before this run)" in rerun


def test_the_page_escapes_what_it_shows_and_needs_nothing_else() -> None:
    hostile = "<script>alert(1)</script>"
    plan = FlightPlan("sha256:x", hostile, f"/flights/{hostile}", (), ())
    issue = SimpleNamespace(code="990101-2024-0001", type="luandui", subtype=hostile,
                            status="candidate", lat=30.0, lon=120.0, area_m2=None,
                            severity=None, in_zone=True, river_name=hostile)  # fmt: skip
    pushed = SimpleNamespace(created=(issue.code,), recurred=(), rebounded=())
    page = render_html(plan, BatchResult((), {}), pushed, [issue], {}, [],
                       "https://tiles.example/{z}/{x}/{y}.png?a=1&b=<2>")  # fmt: skip
    assert "<script" not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert 'href="https://tiles.example/' in page and "&amp;b=&lt;2&gt;" in page
    external = re.findall(r'(?:src|href)="(?!data:|#|https://tiles\.example/)([^"]*)"', page)
    assert external == [] and "<link" not in page and "<script" not in page
    assert "新发现 new" in page
