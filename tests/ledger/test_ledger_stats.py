"""Statistics on a seeded ledger whose answers are worked out by hand (tests/ledger/stats_seed.py).

The period is 2026-11-02 … 11-15 (two ISO weeks) in Asia/Shanghai:

- found: A B E in week 1, C D G in week 2 (F before, H merged: nowhere);
- confirmed: A B E | C (C at 17:00 UTC on the 8th, the 9th in Shanghai); dispatched A B | C;
  rectified A | -; closed A (11-07) | F (dated 11-11, closed on the 12th); 挂账 E, 历史遗留 G
  in week 2;
- overdue: B (整改中, deadline 11-08) from 11-09: 0 | 1;
- closure rate at each week's end over A B C F (E is 挂账 from the 11th, still 已确认
  in week 1: counted then): 1 of A B E F = 0.25 | 2 of A B C F = 0.5;
- days to close: A 5, F 22 → medians 5 | 22, 13.5 in all.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pipeline.ledger.stats import Counts, buckets, ledger_stats
from tests.ledger.stats_seed import KNOWN, add_issues

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = dt.date(2026, 11, 2), dt.date(2026, 11, 15)
WEEK1 = Counts(found=3, confirmed=3, dispatched=2, rectified=1, closed=1, historical=0,
               carried_over=0, overdue=0, closure_rate=0.25, median_days_to_close=5.0)  # fmt: skip
WEEK2 = Counts(found=3, confirmed=1, dispatched=1, rectified=0, closed=1, historical=1,
               carried_over=1, overdue=1, closure_rate=0.5, median_days_to_close=22.0)  # fmt: skip
TOTAL = Counts(found=6, confirmed=4, dispatched=3, rectified=1, closed=2, historical=1,
               carried_over=1, overdue=1, closure_rate=0.5, median_days_to_close=13.5)  # fmt: skip


@pytest.fixture
def seeded(session_factory):
    with session_factory.begin() as session:
        add_issues(session, KNOWN)
    return session_factory


def test_weekly_figures_and_totals(seeded) -> None:
    with seeded() as session:
        stats = ledger_stats(session=session, start=START, end=END, tz=SHANGHAI, period="week")
    assert [(r.period, r.group) for r in stats.rows] == [
        ("2026-11-02～11-08", None),
        ("2026-11-09～11-15", None),
    ]
    assert [r.counts for r in stats.rows] == [WEEK1, WEEK2]
    assert stats.total == TOTAL
    assert stats.closure_series == (("2026-11-02～11-08", 0.25), ("2026-11-09～11-15", 0.5))
    assert stats.found_by_type == (("乱占", 1), ("乱采", 1), ("乱堆", 2), ("乱建", 2))


def test_the_office_time_zone_places_the_day(seeded) -> None:
    """C's confirmation at 17:00 UTC on the 8th is the 9th in Shanghai, the 8th in UTC."""
    with seeded() as session:
        utc = ledger_stats(session=session, start=START, end=END, tz=dt.UTC, period="week")
    assert [r.counts.confirmed for r in utc.rows] == [4, 0]  # B's 17:00 UTC stays in week 1


def test_by_river_over_the_whole_period(seeded) -> None:
    with seeded() as session:
        stats = ledger_stats(session=session, start=START, end=END, tz=SHANGHAI, by="river")
    rows = {r.group: r.counts for r in stats.rows}
    assert set(rows) == {"甲河", "乙河", "（未填）"}
    assert (rows["甲河"].found, rows["甲河"].closed, rows["甲河"].overdue) == (2, 2, 1)
    assert rows["甲河"].closure_rate == pytest.approx(2 / 3)
    assert (rows["乙河"].found, rows["乙河"].closure_rate, rows["乙河"].carried_over) == (3, 0.0, 1)
    assert (rows["（未填）"].historical, rows["（未填）"].closure_rate) == (1, None)
    assert stats.total == TOTAL


def test_by_status_groups_by_the_status_at_the_period_end(seeded) -> None:
    with seeded() as session:
        stats = ledger_stats(session=session, start=START, end=dt.date(2026, 11, 8),
                             tz=SHANGHAI, by="status")  # fmt: skip
    found = {r.group: r.counts.found for r in stats.rows}
    # on the 8th: A closed, B 整改中, E 已确认, F 已整改 (C D G not found yet)
    assert found == {"已销号": 1, "整改中": 1, "已确认": 1, "已整改": 0}


@pytest.mark.parametrize(
    ("start", "end", "period", "expected"),
    [
        ("2026-11-04", "2026-11-18", "week", [("11-04", "11-08"), ("11-09", "11-15"),
                                              ("11-16", "11-18")]),
        ("2026-11-20", "2027-01-03", "month", [("11-20", "11-30"), ("12-01", "12-31"),
                                               ("01-01", "01-03")]),
        ("2026-11-20", "2026-11-20", None, [("11-20", "11-20")]),
    ],
)  # fmt: skip
def test_buckets_are_iso_weeks_or_months_cut_to_the_period(start, end, period, expected) -> None:
    got = buckets(dt.date.fromisoformat(start), dt.date.fromisoformat(end), period)
    assert [(f"{a:%m-%d}", f"{b:%m-%d}") for a, b in got] == expected


def test_a_period_ending_before_it_starts_is_refused(seeded) -> None:
    from pipeline.errors import BadInputError

    with seeded() as session, pytest.raises(BadInputError, match="before it starts"):
        ledger_stats(session=session, start=END, end=START, tz=SHANGHAI)


def test_a_status_changed_outside_the_log_counts_as_it_is_now(session_factory) -> None:
    """A row whose status was set without an audit entry (an import, a hand fix) is counted
    in its current status, dated by its last update."""
    from sqlalchemy import update

    from pipeline.ledger.models import Issue
    from tests.ledger.stats_seed import Seed

    with session_factory.begin() as session:
        add_issues(session, [Seed("X", "luandui", "11-03")])
    with session_factory.begin() as session:
        session.execute(update(Issue).values(
            status="closed", closed_on=dt.date(2026, 11, 5),
            updated_at_utc=dt.datetime(2026, 11, 6, 4, tzinfo=dt.UTC),
        ))  # fmt: skip
    with session_factory() as session:
        stats = ledger_stats(session=session, start=START, end=END, tz=SHANGHAI, by="status")
    assert [(r.group, r.counts.closed, r.counts.median_days_to_close) for r in stats.rows] == [
        ("已销号", 1, 2.0)
    ]


@pytest.mark.parametrize(
    ("start", "end", "period", "points", "first"),
    [
        ("2026-06-01", "2026-11-29", None, 26, "2026-06-01～06-07"),  # half a year: weeks
        ("2016-01-01", "2026-12-31", None, 132, "2016年1月"),  # longer: months
        ("2016-01-01", "2026-12-31", "week", 575, "2016-01-01～01-03"),  # 573 whole + 2 cut
    ],
)
def test_the_closure_rate_series_is_weekly_up_to_half_a_year(start, end, period, points, first):
    from pipeline.ledger.stats import summarize

    stats = summarize([], dt.date.fromisoformat(start), dt.date.fromisoformat(end), period=period)
    assert (len(stats.closure_series), stats.closure_series[0][0]) == (points, first)
