"""The review app's patrol settings and coverage layer: grids, GSD limit, ground seen by age.

:func:`load_patrol` reads them once from the run config (``ledger.grids``,
``coverage``, the enabled models' cards); :func:`coverage_layer` gives the map the
ground each zone and grid had seen as of today, by age, and the gaps.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patrol:
    """Patrol grids (:class:`pipeline.ledger.grids.Grid`) and the coverage settings."""

    grids: tuple[Any, ...] = ()
    gsd_limit_cm_per_px: float | None = None
    max_range_m: float = 300.0
    min_pass_share: float = 0.9


def load_patrol(run_config: str | None) -> Patrol:
    """Grids and coverage settings of the run config (no grids when ``ledger.grids`` is
    unset or absent; no GSD limit when the models' cards cannot be read)."""
    from pipeline.config import load_config, resolve
    from pipeline.coverage import card_gsd_limit
    from pipeline.detect.taxonomy import load_taxonomy
    from pipeline.errors import ConfigError
    from pipeline.ledger.grids import load_grids

    run = load_config(run_config)
    path = run.ledger.grids
    grids = load_grids(resolve(path)) if path and resolve(path).exists() else ()
    limit = run.coverage.gsd_limit_cm_per_px
    if limit is None:
        try:
            names = (
                run.detect.models or load_taxonomy(resolve(run.detect.taxonomy)).enabled_models()
            )
            limit = card_gsd_limit(resolve(run.detect.models_dir), names)
        except ConfigError as e:
            log.warning("no GSD limit for coverage (%s): every GSD counts as fine", e)
    return Patrol(grids, limit, run.coverage.max_range_m, run.coverage.min_pass_share)


def zone_areas(zones_geojson: dict[str, Any] | None) -> list[Any]:
    """The map's zones (:func:`pipeline.review.layers.zones_feature_collection`) as areas."""
    import shapely.geometry

    from pipeline.coverage import Area

    return [
        Area("zone", f["properties"]["zone_id"], f["properties"].get("reach"),
             shapely.geometry.shape(f["geometry"]))
        for f in (zones_geojson or {}).get("features", [])
    ]  # fmt: skip


def coverage_layer(
    *, session: Session, patrol: Patrol, zones_geojson: dict[str, Any] | None, today: dt.date
) -> dict[str, Any]:
    """GeoJSON: each zone's and grid's ground by the day last seen (``age_days``) and
    its gaps (``reason``), as of ``today``, from every flight in the ledger."""
    from pipeline.coverage import areas_of, coverage_report
    from pipeline.coverage.output import report_geojson

    areas = [*areas_of((), patrol.grids), *zone_areas(zones_geojson)]
    report = coverage_report(
        session=session, areas=areas, start=None, end=today,
        gsd_limit=patrol.gsd_limit_cm_per_px, max_range_m=patrol.max_range_m,
        min_pass_share=patrol.min_pass_share,
    )  # fmt: skip
    return report_geojson(report)
