"""A ledger with known statistics: issues and their audit history written directly.

Each issue is a list of moves ``(UTC time, field, value)``; times are written as
the audit log's ``at_utc``, so a test (or ``bench/ledger/stats.py``) chooses
when everything happened. The answers of :data:`KNOWN` are worked out by hand in
``tests/ledger/test_ledger_stats.py``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.ledger.audit import record
from pipeline.ledger.models import Issue

UTC = dt.UTC


def at(day: str, hour: int = 4) -> dt.datetime:
    """``day`` (``MM-DD`` of 2026) at ``hour`` UTC (04:00 UTC is noon in Shanghai)."""
    return dt.datetime.fromisoformat(f"2026-{day}T{hour:02d}:00:00+00:00")


@dataclass
class Seed:
    code: str
    type: str
    found: str  # MM-DD, camera time
    moves: Sequence[tuple[dt.datetime, str, str]] = ()  # (at, field, new value)
    river: str | None = None
    chief: str | None = None
    division: str = "320102"
    deadline: str | None = None
    extra: dict = field(default_factory=dict)


def _status(seed: Seed) -> str:
    statuses = [v for _, f, v in seed.moves if f == "status"]
    return statuses[-1] if statuses else "candidate"


def add_issues(session, seeds: Sequence[Seed]) -> None:
    """Write the issues (their current fields from their last moves) and their audit log."""
    for n, seed in enumerate(seeds):
        closed = [v for _, f, v in seed.moves if f == "closed_on"]
        status = _status(seed)
        session.add(Issue(
            code=seed.code, type=seed.type, division_code=seed.division, in_zone=True,
            lat_deg=30.0 + n * 1e-4, lon_deg=120.0, discovery_method="无人机飞检",
            discovered_at=dt.datetime.fromisoformat(f"2026-{seed.found}T10:00:00"),
            river_name=seed.river, river_chief=seed.chief, status=status,
            deadline=dt.date.fromisoformat(f"2026-{seed.deadline}") if seed.deadline else None,
            closed_on=dt.date.fromisoformat(closed[-1]) if closed and status == "closed" else None,
            **seed.extra,
        ))  # fmt: skip
        record(session=session, actor="seed", entity="issue", entity_key=seed.code,
               field="status", old=None, new="candidate", at_utc=at(seed.found, 3))  # fmt: skip
        for when, name, value in seed.moves:
            record(session=session, actor="seed", entity="issue", entity_key=seed.code,
                   field=name, old=None, new=value, at_utc=when)  # fmt: skip


def _path(*steps: tuple[str, str]) -> list[tuple[dt.datetime, str, str]]:
    return [(at(day), "status", to) for day, to in steps]


WAY = ("confirmed", "assigned", "rectifying", "rectified", "closed")

#: Two weeks, 2026-11-02 (Mon) … 2026-11-15 (Sun), in Asia/Shanghai.
KNOWN = (
    Seed(
        "A",
        "luandui",
        "11-02",
        river="甲河",
        chief="王五",
        deadline="11-10",
        moves=[
            *_path(*zip(("11-03", "11-04", "11-05", "11-06", "11-07"), WAY, strict=True)),
            (at("11-07"), "closed_on", "2026-11-07"),
        ],
    ),
    Seed(
        "B",
        "luandui",
        "11-03",
        river="甲河",
        chief="王五",
        deadline="11-08",
        moves=[
            (at("11-02", 17), "status", "confirmed"),  # 01:00 on 11-03 in Shanghai
            *_path(("11-04", "assigned"), ("11-05", "rectifying")),
        ],
    ),
    Seed(
        "C",
        "luanjian",
        "11-09",
        river="乙河",
        deadline="11-30",
        moves=[
            (at("11-08", 17), "status", "confirmed"),  # 01:00 on 11-09 in Shanghai: week 2
            *_path(("11-10", "assigned")),
        ],
    ),
    Seed("D", "luanzhan", "11-10", river="乙河", moves=_path(("11-10", "false_positive"))),
    Seed(
        "E",
        "luancai",
        "11-04",
        river="乙河",
        moves=_path(("11-04", "confirmed"), ("11-11", "carried_over")),
    ),
    Seed(
        "F",
        "luandui",
        "10-20",
        river="甲河",
        deadline="10-25",
        moves=[
            *_path(*zip(("10-21", "10-22", "10-23", "10-30", "11-12"), WAY, strict=True)),
            (at("11-12"), "closed_on", "2026-11-11"),
        ],
    ),  # closed on the 12th, dated the 11th
    Seed("G", "luanjian", "11-12", moves=_path(("11-13", "historical"))),
    Seed("H", "luandui", "11-05", river="甲河", moves=_path(("11-06", "merged"))),
)


def random_seeds(n: int, *, seed: int = 19) -> list[Seed]:
    """``n`` issues found over 2026, each taken a random way along the workflow."""
    rng = random.Random(seed)
    types = ("luanzhan", "luancai", "luandui", "luanjian")
    out = []
    for i in range(n):
        found = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(280))
        day = found
        moves = []
        deadline = None
        for to in WAY[: rng.randrange(len(WAY) + 1)]:
            day += dt.timedelta(days=rng.randrange(1, 10))
            moves.append((dt.datetime.combine(day, dt.time(4), UTC), "status", to))
            if to == "assigned":
                deadline = (day + dt.timedelta(days=30)).strftime("%m-%d")
        out.append(Seed(f"S{i:05d}", rng.choice(types), found.strftime("%m-%d"), moves=moves,
                        river=f"河{rng.randrange(12)}", chief=f"河长{rng.randrange(8)}",
                        division=f"3201{rng.randrange(10):02d}", deadline=deadline))  # fmt: skip
    return out
