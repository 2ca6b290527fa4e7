"""Placements that open no candidate: level frames, grazing rays, far ranges, absurd areas."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.ledger.config import AreaRange, LedgerConfig
from pipeline.ledger.plausible import HOLD_REASONS, hold_reason, hold_text
from tests.ledger.ledger_helpers import det

CAR = "luancai.heavy_vehicle"


@pytest.mark.parametrize(
    ("changes", "pitch", "expected"),
    [
        ({}, -60.0, None),
        ({}, -12.0, None),  # oblique, below the level limit
        ({}, -5.0, "level_frame"),
        ({}, 0.0, "level_frame"),
        ({}, 15.0, "level_frame"),  # looking up
        ({}, None, None),  # pitch unknown: the other checks still apply
        ({"depression_deg": 3.0, "range_m": 700.0}, -30.0, "near_horizon"),
        ({"depression_deg": 8.0, "range_m": 1900.0}, -30.0, "too_far"),
        ({"area_m2": 300.0}, -60.0, "implausible_area"),  # a car is not 300 m²
        ({"area_m2": 0.2}, -60.0, "implausible_area"),
        ({"area_m2": 9.0}, -60.0, None),
        ({"area_m2": 281_264.0, "subtype": "luandui.floating_garbage"}, -60.0, "implausible_area"),
        ({"area_m2": 3.0, "subtype": "luandui.floating_garbage"}, -60.0, None),
        ({"lat_deg": None, "lon_deg": None}, 0.0, None),  # not placed: nothing to judge
    ],
)
def test_hold_reasons(changes, pitch, expected) -> None:
    base = det("f", subtype=CAR, cls="car", area_m2=9.0)
    d = dataclasses.replace(base, **{"depression_deg": 50.0, "range_m": 60.0, **changes})
    assert hold_reason(d, pitch, LedgerConfig()) == expected


def test_limits_are_configured() -> None:
    d = dataclasses.replace(det("f", subtype=CAR, cls="car", area_m2=300.0), range_m=900.0)
    cfg = LedgerConfig(max_range_m=800.0)
    assert hold_reason(d, -45.0, cfg) == "too_far"
    wide = LedgerConfig(plausible_area_m2={"luancai": AreaRange(min_m2=1, max_m2=500)})
    assert hold_reason(d, -45.0, wide) is None
    with pytest.raises(ValueError, match="max_m2"):
        AreaRange(min_m2=10, max_m2=5)


def test_every_reason_is_explained_in_both_languages() -> None:
    for code in HOLD_REASONS:
        assert hold_text(code, "zh") != hold_text(code, "en") != code
    assert hold_text(None) == ""


@pytest.mark.parametrize("east_m", [-20.0, -1.0, 1.0, 20.0])
def test_a_footprint_across_the_antimeridian_covers_both_sides(east_m: float) -> None:
    from pipeline.ledger.plausible import covering_frames
    from tests.ledger.ledger_helpers import dateline

    ring = [dateline(e, n) for e, n in [(-30, -30), (30, -30), (30, 30), (-30, 30), (-30, -30)]]
    assert covering_frames(*dateline(east_m), [("f1", ring)]) == 1
    assert covering_frames(*dateline(east_m + 60.0), [("f1", ring)]) == 0
