"""Grouping sightings into one candidate per object (pure, no database)."""

from __future__ import annotations

import itertools
import math

import pytest
from ledger_helpers import offset

from pipeline.ledger.cluster import (
    Sighting,
    Site,
    distance_m,
    extent_radius_m,
    group_sightings,
    match_site,
)
from pipeline.ledger.config import LedgerConfig, SeverityThresholds


def sightings(
    points: list[tuple[float, float]], conf: float = 0.5, radius: float = 0.0
) -> list[Sighting]:
    return [
        Sighting(i, *offset(e, n), conf=conf, radius_m=radius) for i, (e, n) in enumerate(points)
    ]


def test_default_gate_comes_from_position_uncertainty() -> None:
    cfg = LedgerConfig()
    assert cfg.gate == pytest.approx(2.0 * 3.5 * math.sqrt(2.0))  # ≈ 9.9 m
    assert LedgerConfig(gate_m=25.0).gate == 25.0


def test_distance_is_metres() -> None:
    lat1, lon1 = offset(30.0, 40.0)
    assert distance_m(*offset(0, 0), lat1, lon1) == pytest.approx(50.0, abs=0.01)


@pytest.mark.parametrize(
    ("points", "gate", "expected"),
    [
        ([(0, 0), (3, 0), (0, 4)], 9.9, [(0, 1, 2)]),  # one object seen three times
        ([(0, 0), (20, 0)], 9.9, [(0,), (1,)]),  # two objects
        (
            [(0, 0), (8, 0), (16, 0), (24, 0)],
            9.9,
            [(0, 1), (2, 3)],
        ),  # a row of piles does not chain
        ([(0, 0), (20, 0)], 25.0, [(0, 1)]),  # a wider gate joins them
    ],
)
def test_groups(
    points: list[tuple[float, float]], gate: float, expected: list[tuple[int, ...]]
) -> None:
    groups = group_sightings(sightings(points), gate_m=gate)
    assert sorted(tuple(sorted(g.members)) for g in groups) == expected


def test_large_objects_link_by_extent() -> None:
    far = [(0, 0), (30, 0)]
    assert len(group_sightings(sightings(far), gate_m=9.9)) == 2
    big = extent_radius_m(400.0)  # two boxes on one 400 m² heap: r ≈ 11.3 m each
    assert len(group_sightings(sightings(far, radius=big), gate_m=9.9)) == 1


def test_grouping_does_not_depend_on_input_order() -> None:
    base = [
        Sighting(f"k{i}", *offset(e, n), conf=c)
        for i, (e, n, c) in enumerate(
            [(0, 0, 0.5), (6, 0, 0.9), (12, 0, 0.5), (18, 0, 0.7), (40, 1, 0.5)]
        )
    ]
    results = set()
    for perm in itertools.permutations(base):
        groups = group_sightings(list(perm), gate_m=9.9)
        results.add(frozenset(frozenset(perm[i].key for i in g.members) for g in groups))
    assert len(results) == 1
    # the most confident sighting (k1) leads and takes its neighbours within the gate
    assert frozenset({"k0", "k1", "k2"}) in results.pop()


def test_group_position_is_the_mean() -> None:
    (g,) = group_sightings(sightings([(0, 0), (4, 0)]), gate_m=9.9)
    assert distance_m(g.lat_deg, g.lon_deg, *offset(2, 0)) < 0.01


def test_match_prefers_open_then_nearest() -> None:
    (g,) = group_sightings(sightings([(0, 0)]), gate_m=9.9)
    sites = [
        Site("closed-near", *offset(1, 0), radius_m=0, rank=2),
        Site("open-far", *offset(8, 0), radius_m=0, rank=0),
        Site("open-near", *offset(5, 0), radius_m=0, rank=0),
        Site("open-out", *offset(30, 0), radius_m=0, rank=0),
    ]
    assert sites[match_site(g, sites, gate_m=9.9)].key == "open-near"
    assert sites[match_site(g, sites[:1], gate_m=9.9)].key == "closed-near"
    assert match_site(g, sites[3:], gate_m=9.9) is None


@pytest.mark.parametrize(
    ("subtype", "area", "expected"),
    [
        ("luandui.garbage_pile", None, None),
        ("luandui.garbage_pile", 999.0, "general"),
        ("luandui.garbage_pile", 1000.0, "serious"),
        ("luandui.garbage_pile", 5000.0, "major"),
        ("luanzhan.trees", 400.0, "serious"),  # subtype rule
        ("luanzhan.crops", 400.0, "general"),  # type rule
        ("luanzhan.crops", 3000.0, "major"),
    ],
)
def test_severity_thresholds(subtype: str, area: float | None, expected: str | None) -> None:
    cfg = LedgerConfig(
        severity_m2={
            "default": SeverityThresholds(serious_m2=1000, major_m2=5000),
            "luanzhan": SeverityThresholds(serious_m2=1000, major_m2=2000),
            "luanzhan.trees": SeverityThresholds(serious_m2=300, major_m2=600),
        }
    )
    assert cfg.severity(subtype, area) == expected
