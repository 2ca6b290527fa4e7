"""Grouping sightings into one candidate per object (pure, no database)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from pipeline.geo.coords import haversine_m as distance_m
from pipeline.ledger.cluster import (
    Sighting,
    Site,
    associate,
    extent_radius_m,
    same_object,
    track_latlon,
)
from pipeline.ledger.config import LedgerConfig, SeverityThresholds
from pipeline.ledger.position import weighted_position
from pipeline.ledger.register import TOLERANCE_M
from tests.ledger.ledger_helpers import dateline, offset


def sighting(
    key: str,
    frame: str,
    east: float,
    north: float,
    *,
    sigma: float = 3.5,
    rel: float | None = None,
    hgt: float = 0.0,
    radius: float = 0.0,
    box: tuple[float, float, float, float] | None = None,
) -> Sighting:
    return Sighting(key, frame, (frame,), *offset(east, north), sigma,
                    sigma if rel is None else rel, hgt, radius, box)  # fmt: skip


def objects(tracks) -> list[tuple[int, ...]]:
    return sorted(t.members for t in tracks if t.links)


def test_default_gate_comes_from_position_uncertainty() -> None:
    cfg = LedgerConfig()
    assert cfg.gate == pytest.approx(2.0 * 3.5 * math.sqrt(2.0))  # ≈ 9.9 m without sigmas
    assert LedgerConfig(gate_m=25.0).gate == 25.0


def test_distance_is_metres() -> None:
    lat1, lon1 = offset(30.0, 40.0)
    assert distance_m(*offset(0, 0), lat1, lon1) == pytest.approx(50.0, abs=0.01)


#: A reach of the Anadyr coast, Chukotka, where longitude 180° crosses land and water.
@pytest.mark.parametrize(("a_m", "b_m"), [(-3.0, 4.0), (4.0, -3.0), (-10.0, -3.0), (3.0, 10.0)])
def test_distance_across_the_antimeridian_is_metres(a_m: float, b_m: float) -> None:
    assert distance_m(*dateline(a_m), *dateline(b_m)) == pytest.approx(abs(b_m - a_m), abs=0.01)


def test_sightings_either_side_of_180_degrees_are_one_object() -> None:
    s = [Sighting(k, f, (f,), *dateline(e), 3.5, 3.5, 0.0, 0.0, None)
         for k, f, e in [("a", "f1", -2.0), ("b", "f2", 2.0), ("c", "f3", -1.0)]]  # fmt: skip
    (track,) = associate(s, [], gate_sigmas=2.0)
    lat, lon = track_latlon(track, s)
    assert -180.0 <= lon <= 180.0
    assert distance_m(lat, lon, *dateline(-1.0 / 3.0)) == pytest.approx(0.0, abs=0.01)
    site = Site("issue", lat, lon, 0.0, 0, 3.5)
    (again,) = associate([s[1]], [site], gate_sigmas=2.0)  # a later flight finds the site
    assert again.site == 0 and again.links


def test_an_issue_position_across_180_degrees_stays_there() -> None:
    lat, lon, _ = weighted_position(
        [(1, *dateline(-2.0), 3.5, 3.5), (1, *dateline(4.0), 3.5, 3.5)], 3.5
    )
    assert distance_m(lat, lon, *dateline(1.0)) == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ((0, 0, 100, 50), (10, 5, 110, 55), True),  # one vehicle boxed as car and as truck
        ((0, 0, 100, 50), (20, 10, 60, 40), True),  # a box inside another
        ((0, 0, 40, 20), (50, 0, 90, 20), False),  # two parked cars, a gap between
        ((0, 0, 40, 20), (40, 0, 80, 20), False),  # two parked cars touching
        ((0, 0, 40, 20), (30, 0, 70, 20), False),  # side by side, oblique: a little overlap
        ((0, 0, 40, 20), (30, 15, 70, 35), False),  # touching corners
    ],
)
def test_same_object_in_one_frame(a, b, same) -> None:
    assert same_object(a, b) is same
    assert same_object(b, a) is same


def test_distinct_boxes_of_one_frame_never_share_an_issue() -> None:
    # Five cars 2.5 m apart in one frame, sigma 3.5 m: all within any gate of each other.
    row = [sighting(f"c{i}", "f1", 2.5 * i, 0, box=(50.0 * i, 0, 50.0 * i + 40, 20))
           for i in range(5)]  # fmt: skip
    assert objects(associate(row, [], gate_sigmas=2.0)) == [(0,), (1,), (2,), (3,), (4,)]


def test_overlapping_boxes_of_one_frame_are_one_object() -> None:
    s = [
        sighting("a", "f1", 0, 0, box=(0, 0, 100, 50)),
        sighting("b", "f1", 1, 0, box=(5, 2, 100, 52)),
    ]
    assert objects(associate(s, [], gate_sigmas=2.0)) == [(0, 1)]


@pytest.mark.parametrize("shift_east_m", [0.4, 1.0, 1.6])
def test_a_row_seen_twice_maps_car_to_car(shift_east_m: float) -> None:
    # Frame 2 sees the row shifted (attitude noise): by more than half the 2.5 m spacing the
    # nearest car is the wrong one; the frame's common shift is found and removed first.
    f1 = [sighting(f"a{i}", "f1", 2.5 * i, 0, rel=0.8, box=(50.0 * i, 0, 50.0 * i + 40, 20))
          for i in range(5)]  # fmt: skip
    f2 = [sighting(f"b{i}", "f2", 2.5 * i + shift_east_m, 0.3, rel=0.8,
                   box=(50.0 * i, 0, 50.0 * i + 40, 20)) for i in range(5)]  # fmt: skip
    tracks = associate(f1 + f2, [], gate_sigmas=2.0)
    assert objects(tracks) == [(0, 5), (1, 6), (2, 7), (3, 8), (4, 9)]
    link = tracks[0].links[1]
    assert link.distance_m == pytest.approx(0.0, abs=0.05)  # after the frame's shift
    # what is left of the frame's error after it: the inliers' residual, at least TOLERANCE_M
    assert link.gate_m == pytest.approx(TOLERANCE_M, abs=0.01)
    assert link.gate_m < 2.0 * math.hypot(0.8, 0.8)  # the gate before the shift


def test_a_lone_pair_is_matched_without_a_frame_shift() -> None:
    s = [sighting("a", "f1", 0, 0, rel=0.8), sighting("b", "f2", 1.0, 0.3, rel=0.8)]
    (track,) = associate(s, [], gate_sigmas=2.0)
    assert track.links[1].distance_m == pytest.approx(math.hypot(1.0, 0.3), abs=0.01)


def test_same_flight_gate_counts_the_height_term_difference() -> None:
    # Steep and shallow views of one object: the height bias moves them by different amounts.
    s = [sighting("a", "f1", 0, 0, rel=0.5, hgt=0.5), sighting("b", "f2", 6, 0, rel=0.5, hgt=4.0)]
    assert objects(associate(s, [], gate_sigmas=2.0)) == [(0, 1)]
    s[1] = sighting("b", "f2", 6, 0, rel=0.5, hgt=0.5)
    assert objects(associate(s, [], gate_sigmas=2.0)) == [(0,), (1,)]


def test_a_row_of_piles_does_not_chain() -> None:
    s = [sighting(f"k{i}", f"f{i}", 8.0 * i, 0) for i in range(6)]
    tracks = associate(s, [], gate_sigmas=2.0)
    spans = [max(m) - min(m) for m in objects(tracks)]
    assert len(objects(tracks)) >= 3 and max(spans) <= 2


def test_large_objects_link_by_extent() -> None:
    far = [sighting("a", "f1", 0, 0), sighting("b", "f2", 30, 0)]
    assert len(objects(associate(far, [], gate_sigmas=2.0))) == 2
    big = extent_radius_m(400.0)  # two boxes on one 400 m² heap: r ≈ 11.3 m each
    heap = [sighting("a", "f1", 0, 0, radius=big), sighting("b", "f2", 30, 0, radius=big)]
    assert len(objects(associate(heap, [], gate_sigmas=2.0))) == 1


def test_association_does_not_depend_on_input_order() -> None:
    points = [(0, 0), (6, 0), (12, 0), (18, 0), (40, 1), (3, 1)]
    base = [sighting(f"k{i}", f"f{i % 3}", e, n) for i, (e, n) in enumerate(points)]
    results = set()
    for perm in itertools.permutations(base):
        tracks = associate(list(perm), [], gate_sigmas=2.0)
        results.add(frozenset(frozenset(perm[i].key for i in t.members) for t in tracks))
    assert len(results) == 1


def test_track_position_is_the_weighted_mean() -> None:
    s = [
        sighting("a", "f1", 0, 0, sigma=1.0, rel=1.0),
        sighting("b", "f2", 3, 0, sigma=2.0, rel=2.0),
    ]
    (track,) = associate(s, [], gate_sigmas=2.0)
    assert distance_m(*track_latlon(track, s), *offset(0.6, 0)) < 0.01  # weights 1 : 1/4


def test_match_prefers_open_then_nearest() -> None:
    s = [sighting("a", "f1", 0, 0)]
    sites = [
        Site("closed-near", *offset(1, 0), radius_m=0, rank=2, sigma_m=3.5),
        Site("open-far", *offset(8, 0), radius_m=0, rank=0, sigma_m=3.5),
        Site("open-near", *offset(5, 0), radius_m=0, rank=0, sigma_m=3.5),
        Site("open-out", *offset(30, 0), radius_m=0, rank=0, sigma_m=3.5),
    ]

    def hit(sites):
        tracks = associate(s, sites, gate_sigmas=2.0)
        return [sites[t.site].key for t in tracks if t.links and t.site is not None]

    assert hit(sites) == ["open-near"]
    assert hit(sites[:1]) == ["closed-near"]
    assert hit(sites[3:]) == []


def test_weighted_position_floors_a_flight_at_its_shared_error() -> None:
    # Ten sightings of one flight cannot beat its 2.5 m shared (GPS) error; two flights can.
    one = [(1, *offset(0, 0), math.hypot(2.5, 1.0), 1.0) for _ in range(10)]
    assert weighted_position(one, 3.5)[2] == pytest.approx(2.5, abs=0.01)
    two = one + [(2, *offset(2, 0), math.hypot(2.5, 1.0), 1.0) for _ in range(10)]
    lat, lon, sigma = weighted_position(two, 3.5)
    assert sigma == pytest.approx(2.5 / math.sqrt(2), abs=0.01)
    assert distance_m(lat, lon, *offset(1, 0)) < 0.01


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


def test_vectorised_gates_follow_the_pair_sigma() -> None:
    from pipeline.ledger.cluster import Track, _gates, pair_sigma_m

    unit = sighting("u", "f2", 0, 0, sigma=3.0, rel=0.8, hgt=2.0, radius=1.0)
    site = Track(0, 0, 0.0, 0.0, 1 / 4.0**2, 0.5)  # an earlier flight's issue, σ 4 m
    seen = Track(None, 0, 0.0, 0.0, 1 / 3.0**2, 0.5, fw=1 / 0.8**2, fbias=5.0)  # this flight's
    gates = _gates([unit], [site, seen], 2.0)
    assert gates[0, 0] == pytest.approx(2 * pair_sigma_m(unit, site, same_flight=False) + 1.5)
    assert gates[0, 1] == pytest.approx(2 * pair_sigma_m(unit, seen, same_flight=True) + 1.5)
    assert gates[0, 0] == pytest.approx(2 * 5.0 + 1.5)  # √(3² + 4²)
    assert gates[0, 1] == pytest.approx(2 * math.sqrt(0.8**2 * 2 + 3.0**2) + 1.5)


def test_a_long_survey_does_not_drift() -> None:
    # 120 frames 20 m apart along a strip, each seeing 80 m of it with its own 0.5 m shift:
    # a rotation fitted to noise on one frame's overlap would be passed on to the objects it
    # places first, frame after frame, until the strip no longer meets itself.
    rng = np.random.default_rng(0)
    objects = np.c_[rng.uniform(-40, 40, 600), rng.uniform(0, 2400, 600)]
    s = []
    for f in range(120):
        near = np.flatnonzero(np.abs(objects[:, 1] - 20.0 * f) < 40)
        seen = objects[near] + rng.normal(0, 0.5, 2) + rng.normal(0, 0.1, (len(near), 2))
        camera = (*offset(0, 20.0 * f), 80.0)
        s += [Sighting((f, int(k)), f"f{f}", (f,), *offset(e, n), 3.0, 1.2, 1.0, camera=camera)
              for k, (e, n) in zip(near, seen, strict=True)]  # fmt: skip
    tracks = [t for t in associate(s, [], gate_sigmas=2.0) if t.links]
    assert all(len({s[i].key[1] for i in t.members}) == 1 for t in tracks)  # no two objects
    assert len(tracks) == len({x.key[1] for x in s})  # and none split
