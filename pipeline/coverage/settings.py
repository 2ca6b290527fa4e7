"""What coverage is measured against, from a run config: the patrol grids and the limits.

:func:`patrol_of` reads ``ledger.grids`` (no grids when unset or absent) and the
``coverage`` section; the GSD limit, when the config leaves it empty, is the finest
card GSD of the enabled models (:func:`pipeline.coverage.card_gsd_limit`), or none
when the cards cannot be read. ``hehu coverage``, ``hehu stats`` and the review app
take their settings here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.config import HehuConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patrol:
    """Patrol grids (:class:`pipeline.ledger.grids.Grid`) and the coverage settings."""

    grids: tuple[Any, ...] = ()
    gsd_limit_cm_per_px: float | None = None
    max_range_m: float = 300.0
    min_pass_share: float = 0.9


def patrol_of(config: HehuConfig, grids_path: str | None = None) -> Patrol:
    """The grids (``grids_path``, default the config's ``ledger.grids``) and coverage
    settings of ``config``."""
    from pipeline.config import resolve
    from pipeline.coverage import card_gsd_limit
    from pipeline.detect.taxonomy import load_taxonomy
    from pipeline.errors import ConfigError
    from pipeline.ledger.grids import load_grids

    path = grids_path or config.ledger.grids
    grids = load_grids(resolve(path)) if path and resolve(path).exists() else ()
    limit = config.coverage.gsd_limit_cm_per_px
    if limit is None:
        try:
            names = (
                config.detect.models
                or load_taxonomy(resolve(config.detect.taxonomy)).enabled_models()
            )
            limit = card_gsd_limit(resolve(config.detect.models_dir), names)
        except ConfigError as e:
            log.warning("no GSD limit for coverage (%s): every GSD counts as fine", e)
    cov = config.coverage
    return Patrol(tuple(grids), limit, cov.max_range_m, cov.min_pass_share)
