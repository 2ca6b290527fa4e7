"""The statistics page (readable by every role): the table of ``hehu stats``, its two charts
as PNG images, the same as xlsx or CSV, and the checks due and issues overdue today.

The query (``from``, ``to``, ``by``, ``period``) is read by :func:`stats_query`; a value
it does not know is dropped (a hand-edited URL shows the default, never an error), a
date that does not parse or a period longer than :data:`MAX_DAYS` is a 400.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from pipeline.review.deps import AppState, CanRead, StateDep
from pipeline.review.render import page

router = APIRouter()
#: The longest period one request may ask for (thirty years of days).
MAX_DAYS = 30 * 366
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}  # fmt: skip


@dataclass(frozen=True)
class StatsQuery:
    start: dt.date
    end: dt.date
    by: str | None
    period: str | None

    def params(self) -> str:
        values = {"from": self.start, "to": self.end, "by": self.by or "",
                  "period": self.period or ""}  # fmt: skip
        return urlencode({k: str(v) for k, v in values.items()})


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise HTTPException(status_code=400, detail=f"{name} must be a date YYYY-MM-DD") from e


def stats_query(request: Request, state: AppState) -> StatsQuery:
    """The page's query: the last twelve weeks by week unless it says otherwise."""
    from pipeline.ledger.stats import default_start
    from pipeline.ledger.vocab import STATS_BY, STATS_PERIODS

    q = request.query_params
    end = _date(q.get("to"), "to") or dt.datetime.now(state.tz).date()
    start = _date(q.get("from"), "from") or default_start(end)
    if end < start or (end - start).days > MAX_DAYS:
        raise HTTPException(status_code=400, detail=f"choose a period of 1 to {MAX_DAYS} days")
    by = q.get("by") if q.get("by") in STATS_BY else None
    period = q.get("period", "week")
    return StatsQuery(start, end, by, period if period in STATS_PERIODS else None)


def _compute(state: AppState, query: StatsQuery, *, coverage: bool = True) -> Any:
    """The statistics of ``query``; with ``coverage``, each grid's coverage too (the
    charts draw none of it and leave it out)."""
    from pipeline.coverage import stats_with_coverage
    from pipeline.ledger.stats import ledger_stats

    with state.db.read() as session:
        stats = ledger_stats(session=session, start=query.start, end=query.end, tz=state.tz,
                             by=query.by, period=query.period)  # type: ignore[arg-type]  # fmt: skip
        if not coverage:
            return stats
        return stats_with_coverage(stats, session=session, patrol=state.patrol)


def _due(state: AppState) -> tuple[list[Any], list[Any]]:
    from pipeline.ledger.deadlines import due_checks, overdue_issues

    today = dt.datetime.now(state.tz).date()
    with state.db.read() as session:
        checks = [(i.code, i.status, i.next_check_on, i.river_name)
                  for i in due_checks(session=session, today=today)]  # fmt: skip
        late = [(i.code, i.status, i.deadline, i.responsible_unit)
                for i in overdue_issues(session=session, today=today)]  # fmt: skip
    return checks, late


@router.get("/stats")
async def stats_view(request: Request, state: StateDep, me: CanRead) -> Response:
    from pipeline.ledger.stats_export import COVERAGE_COLUMNS, coverage_table, headers, table
    from pipeline.ledger.vocab import STATS_BY, STATS_PERIODS

    query = stats_query(request, state)
    stats = await run_in_threadpool(_compute, state, query)
    checks, late = await run_in_threadpool(_due, state)
    context = {
        "q": query, "params": query.params(), "stats": stats, "headers": headers(stats),
        "rows": table(stats), "by_choices": STATS_BY, "period_choices": STATS_PERIODS,
        "checks": checks[:200], "late": late[:200],
        "coverage_headers": [zh for _, zh in COVERAGE_COLUMNS], "coverage": coverage_table(stats),
    }  # fmt: skip
    return page(request, state, "stats.html", context, me=me)


@router.get("/stats/{chart}.png")
async def stats_chart(chart: str, request: Request, state: StateDep, me: CanRead) -> Response:
    from pipeline.review.charts import closure_rate_png, found_by_type_png

    if chart not in ("rate", "types"):
        raise HTTPException(status_code=404, detail=f"no chart {chart!r}")
    stats = await run_in_threadpool(
        functools.partial(_compute, state, stats_query(request, state), coverage=False)
    )
    draw = closure_rate_png if chart == "rate" else found_by_type_png
    data = await run_in_threadpool(
        draw, stats.closure_series if chart == "rate" else stats.found_by_type
    )
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.get("/stats/export.{fmt}")
async def stats_export(fmt: str, request: Request, state: StateDep, me: CanRead) -> Response:
    from pipeline.ledger.stats_export import write_stats

    if fmt not in MEDIA_TYPES:
        raise HTTPException(status_code=404, detail=f"unknown format {fmt!r}; xlsx or csv")
    query = stats_query(request, state)
    stats = await run_in_threadpool(_compute, state, query)
    with tempfile.TemporaryDirectory(prefix="hehu-stats-") as tmp:
        out = await run_in_threadpool(write_stats, stats, Path(tmp) / f"stats.{fmt}", fmt)
        data = out.read_bytes()
    name = f"hehu-stats-{query.start:%Y%m%d}-{query.end:%Y%m%d}.{fmt}"
    return Response(data, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
