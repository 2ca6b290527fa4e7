"""Tiles that cannot hold a candidate are skipped, and nothing a tile shows whole is lost."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from pipeline.detect.engine import LAND, LoadedModel, detect_frame, frame_reduction, plan_for
from pipeline.detect.ground_boxes import frame_gsd_cm_per_px
from pipeline.detect.skip import OUTSIDE, SEEN, SkipPlan, coverage_lines, plan_skips, shrunk_rects
from pipeline.geo.georef import georeference
from pipeline.geo.laser import GroundSettings
from pipeline.ledger.zones import parse_zones
from tests.detect.helpers import make_card, paint, paint_detector
from tests.detect.test_water import blue_is_water, scene
from tests.geo.frames import make_meta

M_PER_DEG_LAT = 111_320.0
GROUND = GroundSettings()


def frame_at(i: int, north_m: float, **kw) -> tuple:
    """A nadir frame 100 m up, heading north, ``north_m`` north of the first."""
    meta = make_meta(lat_deg=30.0 + north_m / M_PER_DEG_LAT, focal_35mm=24.0, **kw)
    return dataclasses.replace(meta, sha256=f"{i:064x}", path=f"f{i}.jpg"), 0.0


def card(**kw):
    """Tiles of 640 px at 6 cm/px, 20 % overlap (the vehicles card)."""
    return make_card(name="cars", tile={"size_px": 640, "overlap_frac": 0.2}, input_size_px=640,
                     train_gsd_cm_per_px=6.0, **kw)  # fmt: skip


def tiles_of(frame) -> tuple[np.ndarray, float]:
    """A nadir frame's tile rectangles on the ground (east, north metres from the first
    frame's camera): ``(T, 4)`` as (e1, n1, e2, n2), and the largest object it keeps whole."""
    meta = frame[0]
    gsd = frame_gsd_cm_per_px(georeference(meta, settings=GROUND))
    plan = plan_for(card(), (meta.height_px, meta.width_px), gsd)
    px = plan.tile_rects_px()
    m = gsd / 100
    north0 = (meta.gps.lat_deg - 30.0) * M_PER_DEG_LAT
    e = (px[:, [0, 2]] - meta.width_px / 2) * m
    n = north0 - (px[:, [3, 1]] - meta.height_px / 2) * m
    object_m = plan.tile_px * plan.overlap_frac / min(plan.scale_xy) * m
    return np.stack([e[:, 0], n[:, 0], e[:, 1], n[:, 1]], 1), object_m


def test_a_copy_of_a_frame_is_not_detected_again() -> None:
    frames = [frame_at(0, 0.0), frame_at(1, 0.0)]
    plan = plan_skips(frames, [card()], ground=GROUND)
    skipped = [plan.for_frame(f[0].sha256).get("cars", {}) for f in frames]
    n_tiles = len(tiles_of(frames[0])[0])
    assert sorted(len(s) for s in skipped) == [0, n_tiles]
    assert set().union(*[set(s.values()) for s in skipped]) == {SEEN}
    ground = plan.ground["cars"]
    assert ground["detected_m2"] == pytest.approx(ground["flight_m2"])


def test_frames_that_do_not_overlap_skip_nothing() -> None:
    frames = [frame_at(0, 0.0), frame_at(1, 500.0)]
    assert plan_skips(frames, [card()], ground=GROUND).tiles == {}


def test_every_object_a_tile_shows_whole_is_whole_in_a_detected_tile() -> None:
    frames = [frame_at(i, 30.0 * i) for i in range(8)]  # ~60 % overlap along the line
    plan = plan_skips(frames, [card()], ground=GROUND)
    assert sum(len(plan.for_frame(f[0].sha256).get("cars", {})) for f in frames) > 0
    run, every = [], []
    for f in frames:
        rects, object_m = tiles_of(f)
        skip = plan.for_frame(f[0].sha256).get("cars", {})
        every.append(rects)
        run.append(rects[[t for t in range(len(rects)) if t not in skip]])
    every_rects, run_rects = np.concatenate(every), np.concatenate(run)
    rng = np.random.default_rng(0)
    for _ in range(3000):
        size = rng.uniform(0.5, object_m, 2)
        lo = rng.uniform(every_rects[:, :2].min(0), every_rects[:, 2:].max(0))
        box = np.concatenate([lo, lo + size])
        if holds(every_rects, box).any():
            assert holds(run_rects, box).any(), box


def holds(rects: np.ndarray, box: np.ndarray) -> np.ndarray:
    return (rects[:, :2] <= box[:2]).all(1) & (rects[:, 2:] >= box[2:]).all(1)


def test_zones_skip_tiles_far_from_every_zone() -> None:
    frames = [frame_at(i, 200.0 * i) for i in range(3)]
    lat = 30.0 + 200.0 / M_PER_DEG_LAT  # a small zone under the middle frame only
    ring = [[114.0 - 1e-4, lat - 1e-4], [114.0 + 1e-4, lat - 1e-4], [114.0 + 1e-4, lat + 1e-4],
            [114.0 - 1e-4, lat + 1e-4], [114.0 - 1e-4, lat - 1e-4]]  # fmt: skip
    props = {"zone_id": "z", "river_name": "r", "division_code": "420100"}
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
               "properties": props}  # fmt: skip
    zones = parse_zones({"type": "FeatureCollection", "features": [feature]})
    plan = plan_skips(frames, [card()], ground=GROUND, zones=zones)
    outer = [plan.for_frame(frames[i][0].sha256).get("cars", {}) for i in (0, 2)]
    n_tiles = len(tiles_of(frames[0])[0])
    assert all(len(s) == n_tiles and set(s.values()) == {OUTSIDE} for s in outer)
    middle = plan.for_frame(frames[1][0].sha256).get("cars", {})
    assert len(middle) < n_tiles


def test_frames_that_cannot_be_placed_skip_nothing() -> None:
    meta = make_meta(gps=False)
    frames = [(dataclasses.replace(meta, sha256=f"{i:064x}"), 0.0) for i in range(2)]
    assert plan_skips(frames, [card()], ground=GROUND) == SkipPlan()


@pytest.mark.parametrize(
    ("interior_only", "expected"),
    [
        (False, [[10, 10, 90, 90], [110, 10, 190, 90]]),
        (True, [[0, 0, 90, 100], [110, 0, 200, 100]]),
    ],
)
def test_shrunk_rects(interior_only: bool, expected: list) -> None:
    rects = np.array([[0, 0, 100, 100], [100, 0, 200, 100]], np.float64)
    got = shrunk_rects(rects, 10, (200, 100), interior_only=interior_only)
    np.testing.assert_allclose(got, expected)


def fake(name: str = "m", **kw) -> LoadedModel:
    c = make_card(name=name, tile={"size_px": 100, "overlap_frac": 0.0}, input_size_px=100, **kw)
    calls: list[int] = []
    detector = paint_detector()

    def counting(tiles: np.ndarray):
        calls.append(len(tiles))
        return detector(tiles)

    model = LoadedModel(c, counting, batch_size=64, class_map={})
    object.__setattr__(model, "calls", calls)
    return model


def test_detect_frame_runs_only_the_tiles_not_skipped() -> None:
    frame = paint((200, 300), [(10, 10, 30, 30), (210, 110, 230, 130)])
    model = fake()
    result = detect_frame(frame, [model], skip={"m": {0: SEEN, 1: OUTSIDE}})["m"]
    assert model.calls == [4] and result.tiles_run == 4
    assert result.tiles_skipped == {SEEN: 1, OUTSIDE: 1}
    assert len(result.detections) == 1  # the box in tile 0 was not looked for


def test_land_tiles_are_counted_as_skipped() -> None:
    frame = scene((768, 1024), slice(512, 1024))
    c = make_card(name="d", tile={"size_px": 256, "overlap_frac": 0.0}, input_size_px=256,
                  surface="water")  # fmt: skip
    model = LoadedModel(c, paint_detector(), batch_size=4, class_map={}, water=blue_is_water)
    result = detect_frame(frame, [model])["d"]
    assert result.tiles_skipped.get(LAND, 0) > 0
    assert result.tiles_skipped[LAND] + result.tiles_run == len(result.plan)
    everything = detect_frame(frame, [model], skip_land=False)["d"]  # hehu run --no-skip
    assert everything.tiles_run == len(result.plan) and everything.tiles_skipped == {}


def test_a_frame_with_every_tile_skipped_needs_no_pixels() -> None:
    model = fake()
    skip = {"m": {t: SEEN for t in range(6)}}
    assert frame_reduction([model], (200, 300), skip=skip) is None
    result = detect_frame(None, [model], frame_hw=(200, 300), skip=skip)["m"]
    assert model.calls == [] and result.tiles_skipped == {SEEN: 6} and not len(result.detections)


def test_coverage_lines_say_shares_and_causes() -> None:
    lines = coverage_lines({"m": {"detected": 3, SEEN: 1}},
                           {"m": {"flight_m2": 100.0, "detected_m2": 100.0}})  # fmt: skip
    assert lines == ["m: 3 of 4 tiles detected (75%); the tiles planned to run show 100% of the "
                     f"100 m² the flight's tiles show; skipped: {SEEN} 1"]  # fmt: skip
    assert math.isclose(len(coverage_lines({}, {})), 0)


def test_the_report_shows_the_tiles_and_ground_detected() -> None:
    from pipeline.flight import BatchResult, GateCounts
    from pipeline.flight_report import gate_items

    gates = GateCounts(tiles={"m<": {"detected": 1, OUTSIDE: 3}},
                       ground={"m<": {"flight_m2": 50.0, "detected_m2": 25.0}})  # fmt: skip
    texts = [item["text"] for item in gate_items(BatchResult((), {}, gates=gates))]
    line = "m<: 1 of 4 tiles detected (25%); the tiles planned to run show 50% of the 50 m²"
    assert any(t.startswith(line) for t in texts), texts
    assert any(f"skipped: {OUTSIDE} 3" in t for t in texts)
