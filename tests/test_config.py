"""The configuration's geo section: defaults, validation at load time, ground settings."""

from __future__ import annotations

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.geo.laser import GroundSettings


def test_the_shipped_config_gives_the_default_ground_settings() -> None:
    assert load_config().geo.ground_settings() == GroundSettings()


def test_geo_overrides_reach_the_ground_settings() -> None:
    config = load_config(overrides={"geo": {"use_laser": False, "max_flat_disagreement": 0.2}})
    settings = config.geo.ground_settings()
    assert (settings.use_laser, settings.max_flat_disagreement) == (False, 0.2)


@pytest.mark.parametrize(
    ("values", "named"),
    [({"laser_min_m": 500, "laser_max_m": 100}, "laser_min_m"),
     ({"max_flat_disagreement": 0}, "max_flat_disagreement"),
     ({"footprint_max_range": 500}, "footprint_max_range"),
     ({"dem": "no/such/dem.tif"}, "geo.dem: no such file")],
)  # fmt: skip
def test_bad_geo_values_fail_at_load_naming_the_key(values, named) -> None:
    with pytest.raises(ConfigError, match=named):
        load_config(overrides={"geo": values})
