"""Coverage: which ground of each grid and reach the drones saw, when, and how finely.

:func:`coverage_report` reads the ledger's frames of a period and measures, per patrol
grid (:mod:`pipeline.ledger.grids`) and per management zone's reach
(:mod:`pipeline.ledger.zones`), the share seen, the share seen at or under the enabled
models' card GSD, the day each part was last seen, the gaps, and whether the grid's
required drone-pass interval was missed (:mod:`.compute`). :func:`coverage_per_grid`
is the one-row-per-grid view the statistics take (:func:`stats_with_coverage`); the
settings come from the run config (:mod:`.settings`). Output: :mod:`.output`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.coverage.compute import Area, AreaCoverage, cover_area
from pipeline.coverage.seen import DEFAULT_MAX_RANGE_M, seen_frames

#: A pass counts towards a grid's interval when it saw this share of it finely enough.
DEFAULT_MIN_PASS_SHARE = 0.9

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from pipeline.coverage.settings import Patrol
    from pipeline.ledger.grids import Grid
    from pipeline.ledger.stats import Stats
    from pipeline.ledger.zones import Zone

__all__ = ["Area", "AreaCoverage", "CoverageReport", "areas_of", "card_gsd_limit",
           "coverage_per_grid", "coverage_report", "stats_with_coverage"]  # fmt: skip


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of every area over ``start``..``end`` (days, both included)."""

    start: dt.date | None
    end: dt.date
    gsd_limit_cm_per_px: float | None
    max_range_m: float
    min_pass_share: float
    frames: int
    areas: tuple[AreaCoverage, ...]


def areas_of(zones: Sequence[Zone], grids: Sequence[Grid]) -> list[Area]:
    """Grids first (with their interval and patroller), then each zone's reach."""
    import shapely

    out = [
        Area("grid", g.grid_id, g.props.name, g.area, g.props.patrol_every_days,
             g.props.patroller)
        for g in grids
    ]  # fmt: skip
    for z in zones:
        ground = shapely.MultiPolygon([(poly[0], poly[1:]) for poly in z.polygons])
        out.append(Area("zone", z.zone_id, z.props.reach or z.props.river_name, ground))
    return out


def card_gsd_limit(models_dir: Path | str, names: Sequence[str]) -> float | None:
    """The finest ``train_gsd_cm_per_px`` of the models' cards (``None``: no card gives one).

    Ground seen only coarser than this is too coarse for at least one enabled model."""
    from pipeline.detect.card import load_card

    gsds = []
    for name in names:
        if (Path(models_dir) / name).exists():
            card = load_card(models_dir, name, verify=False)
            if card.train_gsd_cm_per_px is not None:
                gsds.append(card.train_gsd_cm_per_px)
    return min(gsds) if gsds else None


def coverage_report(
    *, session: Session, areas: Sequence[Area], start: dt.date | None, end: dt.date,
    gsd_limit: float | None, max_range_m: float = DEFAULT_MAX_RANGE_M,
    min_pass_share: float = DEFAULT_MIN_PASS_SHARE,
) -> CoverageReport:  # fmt: skip
    """Coverage of ``areas`` by the ledger's frames taken ``start``..``end``.

    A pass counts towards a grid's interval when it saw at least ``min_pass_share`` of
    the grid at or under ``gsd_limit``."""
    from shapely import STRtree

    frames = seen_frames(session=session, start=start, end=end)
    tree = STRtree([f.footprint for f in frames]) if frames else None
    covered = []
    for area in areas:
        near = [frames[int(i)] for i in tree.query(area.ground)] if tree is not None else []
        covered.append(cover_area(area, near, start=start, end=end, max_range_m=max_range_m,
                                  gsd_limit=gsd_limit, min_pass_share=min_pass_share))  # fmt: skip
    return CoverageReport(start, end, gsd_limit, max_range_m, min_pass_share, len(frames),
                          tuple(covered))  # fmt: skip


def coverage_per_grid(
    *, session: Session, grids: Sequence[Grid], start: dt.date | None, end: dt.date,
    gsd_limit: float | None, max_range_m: float = DEFAULT_MAX_RANGE_M,
    min_pass_share: float = DEFAULT_MIN_PASS_SHARE,
) -> list[dict[str, Any]]:  # fmt: skip
    """One plain row per grid (for statistics): id, name, patroller, shares, GSD, last
    seen, interval, missed."""
    from pipeline.coverage.output import area_row

    report = coverage_report(session=session, areas=areas_of((), grids), start=start, end=end,
                             gsd_limit=gsd_limit, max_range_m=max_range_m,
                             min_pass_share=min_pass_share)  # fmt: skip
    return [area_row(a, end) for a in report.areas]


def stats_with_coverage(stats: Stats, *, session: Session, patrol: Patrol) -> Stats:
    """``stats`` with one row per patrol grid of ``patrol`` over the same period
    (:attr:`~pipeline.ledger.stats.Stats.coverage`); unchanged without grids."""
    if not patrol.grids:
        return stats
    rows = coverage_per_grid(session=session, grids=patrol.grids, start=stats.start,
                             end=stats.end, gsd_limit=patrol.gsd_limit_cm_per_px,
                             max_range_m=patrol.max_range_m,
                             min_pass_share=patrol.min_pass_share)  # fmt: skip
    return replace(stats, coverage=tuple(rows))
