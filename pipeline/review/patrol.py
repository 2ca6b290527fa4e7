"""The review app's patrol settings and coverage layer: grids, GSD limit, ground seen by age.

:func:`load_patrol` reads them once from the run config (``ledger.grids``,
``coverage``, the enabled models' cards); :func:`coverage_layer` gives the map the
ground each zone and grid had seen as of today, by age, and the gaps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from pipeline.coverage.settings import Patrol, patrol_of


def load_patrol(run_config: str | None) -> Patrol:
    """Grids and coverage settings of the run config
    (:func:`pipeline.coverage.settings.patrol_of`)."""
    from pipeline.config import load_config

    return patrol_of(load_config(run_config))


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
