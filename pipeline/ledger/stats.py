"""Statistics of the ledger over a period: counts, closure rate (销号率), days to close.

Computation only; :mod:`pipeline.ledger.stats_export` writes it as JSON, CSV or
an xlsx. Every figure is read from what the ledger recorded, so a report made
later for the same period gives the same numbers:

- an issue is *found* on its discovery date (the camera's local time), else on
  the day it was stored; merged duplicates (已合并) count nowhere;
- *confirmed*, *dispatched* (已交办), *rectified* (已整改), 历史遗留 and 挂账 count
  an issue in the bucket where the audit log first records it moving there;
  *closed* (已销号) where its closure date (the one the closer named) falls;
- *overdue* (逾期) is a stock: the issues dispatched and not reported
  rectified at the bucket's last day, whose deadline had passed by then;
- the *closure rate* (累计销号率) is cumulative over the whole ledger: of the
  issues that are real problems under rectification at the bucket's last day
  (已确认 … 已销号; 历史遗留 and 挂账 are counted apart), the share closed;
- *median days to close*: over the closures in the bucket, closure date minus
  discovery date.

Dates of audit entries are taken in the office's time zone. Buckets are ISO
weeks (Monday first) or calendar months, cut to the period.
"""

from __future__ import annotations

import datetime as dt
import functools
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.deadlines import is_overdue
from pipeline.ledger.models import AuditLog, Issue
from pipeline.ledger.vocab import STATUS_LABELS, TYPE_LABELS

By = Literal["river", "division", "chief", "type", "status"]
Period = Literal["week", "month"]

#: Statuses of a real problem under rectification: the closure rate's denominator.
UNDER_RECTIFICATION = frozenset({"confirmed", "assigned", "rectifying", "rectified", "closed"})
#: Status moves counted where the audit log first records them.
MOVES = {"confirmed": "confirmed", "dispatched": "assigned", "rectified": "rectified",
         "historical": "historical", "carried_over": "carried_over"}  # fmt: skip
UNKNOWN = "（未填）"
#: Weeks a report covers when it names no start (``hehu stats``, the review app's page).
DEFAULT_WEEKS = 12


@dataclass(frozen=True)
class Timeline:
    """One issue's history as the statistics need it; dates in the office's time zone."""

    code: str
    type: str
    river: str | None
    division: str
    chief: str | None
    found_on: dt.date
    deadline: dt.date | None
    moves: tuple[tuple[dt.date, str], ...]  # (date, new status), in order
    closures: tuple[dt.date, ...]  # each closure's date

    def status_on(self, day: dt.date) -> str | None:
        """The status at the end of ``day`` (``None``: not found yet)."""
        if day < self.found_on:
            return None
        status = "candidate"
        for when, to in self.moves:
            if when > day:
                break
            status = to
        return status

    def first_move(self, to: str) -> dt.date | None:
        """The day the issue first moved to ``to`` (``None``: never)."""
        return self.firsts.get(to)

    @functools.cached_property
    def firsts(self) -> dict[str, dt.date]:
        """Each status with the day the issue first moved to it (read once, asked often)."""
        out: dict[str, dt.date] = {}
        for when, to in self.moves:
            out.setdefault(to, when)
        return out


@dataclass(frozen=True)
class Counts:
    """The figures of one table row."""

    found: int
    confirmed: int
    dispatched: int
    rectified: int
    closed: int
    historical: int
    carried_over: int
    overdue: int
    closure_rate: float | None  # 0–1; None: nothing under rectification yet
    median_days_to_close: float | None


@dataclass(frozen=True)
class Row:
    period: str | None  # the bucket's label, None without --period
    group: str | None  # the group's label, None without --by
    counts: Counts


@dataclass(frozen=True)
class Stats:
    start: dt.date
    end: dt.date
    by: By | None
    period: Period | None
    rows: tuple[Row, ...]
    total: Counts
    #: (bucket label, cumulative closure rate at its end) over the whole ledger's issues; by
    #: ``period``, else by week up to half a year and by month beyond
    closure_series: tuple[tuple[str, float | None], ...]
    #: (四乱 type label, issues found in the period)
    found_by_type: tuple[tuple[str, int], ...]
    #: one row per patrol grid: what the flights of the period saw of it (added by
    #: :func:`pipeline.coverage.stats_with_coverage`; empty without grids)
    coverage: tuple[dict[str, Any], ...] = ()


def default_start(end: dt.date) -> dt.date:
    """The Monday ``DEFAULT_WEEKS`` weeks back from ``end`` (``end``'s week included)."""
    return end - dt.timedelta(days=end.weekday() + 7 * (DEFAULT_WEEKS - 1))


def buckets(start: dt.date, end: dt.date, period: Period | None) -> list[tuple[dt.date, dt.date]]:
    """``[start, end]`` cut into ISO weeks or calendar months (or kept whole)."""
    if period is None:
        return [(start, end)]
    out = []
    day = start
    while day <= end:
        if period == "week":
            last = day + dt.timedelta(days=6 - day.weekday())
        else:
            nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
            last = nxt - dt.timedelta(days=1)
        out.append((day, min(last, end)))
        day = last + dt.timedelta(days=1)
    return out


def bucket_label(first: dt.date, last: dt.date, period: Period | None) -> str:
    if period == "month":
        return f"{first.year}年{first.month}月"
    return f"{first:%Y-%m-%d}～{last:%m-%d}"


def counts(timelines: Sequence[Timeline], first: dt.date, last: dt.date) -> Counts:
    """The figures of ``timelines`` for the days ``first`` … ``last`` (overdue and the
    closure rate: at the end of ``last``)."""

    def within(day: dt.date | None) -> bool:
        return day is not None and first <= day <= last

    moved = dict.fromkeys(MOVES, 0)
    for t in timelines:
        for name, to in MOVES.items():
            moved[name] += within(t.firsts.get(to))
    closures = [(t, max(inside)) for t in timelines
                if (inside := [d for d in t.closures if first <= d <= last])]  # fmt: skip
    status_at_end = [(t, t.status_on(last)) for t in timelines]
    real = [s for _, s in status_at_end if s in UNDER_RECTIFICATION]
    days = [(closed - t.found_on).days for t, closed in closures]
    return Counts(
        found=sum(within(t.found_on) for t in timelines),
        closed=len(closures),
        overdue=sum(is_overdue(s or "", t.deadline, last) for t, s in status_at_end),
        closure_rate=(sum(s == "closed" for s in real) / len(real)) if real else None,
        median_days_to_close=float(statistics.median(days)) if days else None,
        **moved,
    )


GROUPS: dict[By, Callable[[Timeline, dt.date], str]] = {
    "river": lambda t, _: t.river or UNKNOWN,
    "division": lambda t, _: t.division,
    "chief": lambda t, _: t.chief or UNKNOWN,
    "type": lambda t, _: TYPE_LABELS.get(t.type, t.type),
    "status": lambda t, end: STATUS_LABELS.get(t.status_on(end) or "", "?"),
}


def summarize(
    timelines: Sequence[Timeline],
    start: dt.date,
    end: dt.date,
    *,
    by: By | None = None,
    period: Period | None = None,
) -> Stats:
    """The statistics of ``timelines`` over ``start`` … ``end`` (see the module's doc)."""
    groups: dict[str | None, list[Timeline]] = defaultdict(list)
    for t in timelines:
        groups[GROUPS[by](t, end) if by else None].append(t)
    whole: dict[tuple[dt.date, dt.date], Counts] = {}  # all issues' figures, by span

    def of_all(first: dt.date, last: dt.date) -> Counts:
        if (first, last) not in whole:
            whole[first, last] = counts(timelines, first, last)
        return whole[first, last]

    rows = [
        Row(bucket_label(first, last, period) if period else None, group,
            counts(groups[group], first, last) if by else of_all(first, last))
        for first, last in buckets(start, end, period)
        for group in sorted(groups, key=lambda g: g or "")
    ]  # fmt: skip
    step: Period = period or ("week" if (end - start).days <= 183 else "month")
    series = tuple(
        (bucket_label(first, last, step), of_all(first, last).closure_rate)
        for first, last in buckets(start, end, step)
    )
    by_type = dict.fromkeys(TYPE_LABELS.values(), 0)  # every type, in the ledger's order
    for t in timelines:
        if start <= t.found_on <= end:
            label = TYPE_LABELS.get(t.type, t.type)
            by_type[label] = by_type.get(label, 0) + 1
    return Stats(start, end, by, period, tuple(rows), of_all(start, end),
                 series, tuple(by_type.items()))  # fmt: skip


def _local_date(at_utc: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return at_utc.astimezone(tz).date()


def load_timelines(*, session: Session, tz: dt.tzinfo, until: dt.date) -> list[Timeline]:
    """Every issue found on or before ``until`` but merged ones, with its status moves and
    closures from the audit log."""
    issues = [i for i in session.scalars(select(Issue).where(Issue.status != "merged"))]
    entries = session.execute(
        select(AuditLog.entity_key, AuditLog.field, AuditLog.new_value, AuditLog.at_utc)
        .where(AuditLog.entity == "issue", AuditLog.field.in_(("status", "closed_on")))
        .order_by(AuditLog.id)
    )
    moves: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    closures: dict[str, list[dt.date]] = defaultdict(list)
    for code, field, value, at_utc in entries:
        day = _local_date(at_utc, tz)
        if field == "status" and value:
            moves[code].append((day, value))
            if value == "closed":
                closures[code].append(day)
        elif field == "closed_on" and value and closures[code]:
            closures[code][-1] = dt.date.fromisoformat(value)  # the date the closer named
    out = []
    for issue in issues:
        found = (issue.discovered_at.date() if issue.discovered_at
                 else _local_date(issue.created_at_utc, tz))  # fmt: skip
        if found <= until:
            known = _unrecorded(issue, moves[issue.code], closures[issue.code], tz)
            out.append(_timeline(issue, found, *known))
    return out


def _unrecorded(
    issue: Issue, moves: list[tuple[dt.date, str]], closures: list[dt.date], tz: dt.tzinfo
) -> tuple[list[tuple[dt.date, str]], list[dt.date]]:
    """The moves and closures with the issue's status as it is now when the log does not end
    there (a row changed outside hehu): the change dated by the row's last update."""
    if (moves[-1][1] if moves else "candidate") == issue.status:
        return moves, closures
    moved = _local_date(issue.updated_at_utc, tz)
    closed = [issue.closed_on or moved] if issue.status == "closed" else []
    return [*moves, (moved, issue.status)], closures + closed


def _timeline(
    issue: Issue, found: dt.date, moves: Iterable[tuple[dt.date, str]], closures: list[dt.date]
) -> Timeline:
    return Timeline(
        code=issue.code, type=issue.type, river=issue.river_name, division=issue.division_code,
        chief=issue.river_chief, found_on=found, deadline=issue.deadline,
        moves=tuple(sorted(moves, key=lambda m: m[0])), closures=tuple(closures),
    )  # fmt: skip


def ledger_stats(
    *,
    session: Session,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    by: By | None = None,
    period: Period | None = None,
) -> Stats:
    """:func:`summarize` the ledger's issues over ``start`` … ``end``."""
    if end < start:
        from pipeline.errors import BadInputError

        raise BadInputError(f"the period ends ({end}) before it starts ({start})")
    return summarize(load_timelines(session=session, tz=tz, until=end), start, end,
                     by=by, period=period)  # fmt: skip
