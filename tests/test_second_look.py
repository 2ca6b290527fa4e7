"""The second look: an object one frame found, where other frames' tiles were skipped, is
looked for again in those tiles, and what they looked at reaches the single-view hold."""

from __future__ import annotations

import numpy as np
import pytest

import pipeline.second_look as second_look
from pipeline.config import load_config
from pipeline.detect.detections import Detections
from pipeline.detect.engine import LoadedModel, ModelResult, plan_for
from pipeline.detect.ground_boxes import frame_gsd_cm_per_px
from pipeline.detect.skip import SEEN, SkipPlan, plan_skips
from pipeline.flight import BatchResult, FlightPlan, PlannedFrame
from pipeline.geo.coords import haversine_m
from pipeline.geo.georef import georeference
from pipeline.geo.polygon import contains_lonlat
from pipeline.records import GroundDetection
from pipeline.run import placed_on
from tests.detect.test_skip import GROUND, card, frame_at

SUBTYPE = "luandui.garbage_pile"
CONFIG = load_config()


def flight(*frames) -> FlightPlan:
    planned = tuple(PlannedFrame(meta, yaw) for meta, yaw in frames)
    return FlightPlan("k", "k", "/flight", planned, (), GROUND)


class FakeModels:
    """``detect_one`` and ``load_detectors`` for one model whose tiles find ``boxes[sha256]``
    (frame pixels), with the calls made."""

    def __init__(self, model_card, boxes: dict[str, list[tuple[float, ...]]]) -> None:
        self.card, self.boxes = model_card, boxes
        self.calls: list[tuple[str, dict]] = []

    def install(self, monkeypatch) -> None:
        model = LoadedModel(card=self.card, detector=None, class_map={"car": SUBTYPE})  # type: ignore[arg-type]
        monkeypatch.setattr(second_look, "load_detectors", lambda config: (model,))
        monkeypatch.setattr(second_look, "weights_sha", lambda m: "0" * 64)
        monkeypatch.setattr(second_look, "detect_one", self.detect_one)

    def detect_one(self, meta, models, config, skip, ground) -> dict:
        self.calls.append((meta.sha256, skip))
        boxes = np.array(self.boxes.get(meta.sha256, []), np.float32).reshape(-1, 4)
        dets = Detections.from_arrays(boxes, np.full(len(boxes), 0.9), np.zeros(len(boxes)))
        gsd = frame_gsd_cm_per_px(georeference(meta, settings=ground))
        tile_plan = plan_for(self.card, (meta.height_px, meta.width_px), gsd)
        return {self.card.name: ModelResult(self.card.name, ("car",), dets, tile_plan, 0.0,
                                            {"car": SUBTYPE})}  # fmt: skip


def found_in(meta, box, subtype: str | None = SUBTYPE) -> GroundDetection:
    det = GroundDetection(frame_sha256=meta.sha256, frame_path=meta.path, model="cars",
                          model_sha256="0" * 64, class_name="car", subtype=subtype, conf=0.9,
                          xyxy_px=box)  # fmt: skip
    return placed_on([det], georeference(meta, settings=GROUND), meta)[0]


BOX = (1980.0, 1480.0, 2020.0, 1520.0)  # 40 px around the centre of a 4000 × 3000 frame


@pytest.fixture
def copies():
    """Two frames taken from the same place: the second's tiles are all skipped as seen."""
    frames = [frame_at(0, 0.0), frame_at(1, 0.0)]
    skips = plan_skips(frames, [card()], ground=GROUND)
    kept, skipped = (f[0] for f in sorted(frames, key=lambda f: len(skips.for_frame(f[0].sha256))))
    assert set(skips.for_frame(skipped.sha256)["cars"].values()) == {SEEN}
    return flight(*frames), skips, kept, skipped


def test_an_object_found_once_is_looked_for_in_the_skipped_tile(monkeypatch, copies) -> None:
    plan, skips, kept, skipped = copies
    fake = FakeModels(card(), {skipped.sha256: [BOX]})
    fake.install(monkeypatch)
    once = found_in(kept, BOX)
    result = second_look.look_again(plan, BatchResult((once,), {}), skips, CONFIG)

    [(sha, skip)] = fake.calls  # one frame decoded, one tile run
    assert sha == skipped.sha256
    gsd = frame_gsd_cm_per_px(georeference(skipped, settings=GROUND))
    n_tiles = len(plan_for(card(), (skipped.height_px, skipped.width_px), gsd).tile_rects_px())
    assert len(skip["cars"]) == n_tiles - 1
    again = [d for d in result.detections if d.frame_sha256 == skipped.sha256]
    assert len(again) == 1
    assert haversine_m(again[0].lat_deg, again[0].lon_deg, once.lat_deg, once.lon_deg) < 0.05
    assert result.gates.second_look == {"cars": {"objects": 1, "tiles": 1, "found": 1}}
    [(looked_sha, ring)] = result.gates.looked["cars"]  # the tile that ran, on the ground
    assert looked_sha == skipped.sha256
    assert contains_lonlat([[(lon, lat) for lat, lon in ring]], once.lon_deg, once.lat_deg)


def test_ground_looked_at_and_found_empty_still_reaches_the_hold(monkeypatch, copies) -> None:
    plan, skips, kept, skipped = copies
    FakeModels(card(), {}).install(monkeypatch)
    once = found_in(kept, BOX)
    result = second_look.look_again(plan, BatchResult((once,), {}), skips, CONFIG)
    assert result.detections == (once,)
    assert result.gates.second_look["cars"]["found"] == 0
    assert [sha for sha, _ in result.gates.looked["cars"]] == [skipped.sha256]


def test_a_box_the_frame_already_has_is_not_added_twice(monkeypatch, copies) -> None:
    plan, skips, kept, skipped = copies
    FakeModels(card(), {skipped.sha256: [BOX]}).install(monkeypatch)
    had = (found_in(kept, BOX), found_in(skipped, (1985.0, 1482.0, 2022.0, 1519.0)))
    result = second_look.look_again(plan, BatchResult(had, {}), skips, CONFIG)
    assert result.detections == had


@pytest.mark.parametrize(
    ("subtype", "skips_on", "config"),
    [
        (None, True, CONFIG),  # context: never a candidate by itself
        ("luancai.heavy_vehicle", True, CONFIG),  # moving: never held as a single view
        (SUBTYPE, False, CONFIG),  # --no-skip: every tile ran already
        (
            SUBTYPE,
            True,
            load_config(overrides={"ledger": {"settings": {"single_view_covers": None}}}),
        ),
    ],
)
def test_nothing_to_look_for(monkeypatch, copies, subtype, skips_on, config) -> None:
    plan, skips, kept, _ = copies
    fake = FakeModels(card(), {})
    fake.install(monkeypatch)
    result = BatchResult((found_in(kept, BOX, subtype),), {})
    assert second_look.look_again(plan, result, skips if skips_on else None, config) is result
    assert fake.calls == []


def test_frames_whose_tiles_ran_there_are_counted_and_no_tile_is_run(monkeypatch) -> None:
    # four frames from one place; only a corner tile of the last is skipped: the three
    # others looked at the centre, enough for the hold and one more
    frames = [frame_at(i, 0.0) for i in range(4)]
    corner = SkipPlan({frames[3][0].sha256: {"cars": {0: SEEN}}})
    fake = FakeModels(card(), {})
    fake.install(monkeypatch)
    once = found_in(frames[0][0], BOX)
    result = second_look.look_again(flight(*frames), BatchResult((once,), {}), corner, CONFIG)
    assert fake.calls == [] and result.detections == (once,)
    assert {sha for sha, _ in result.gates.looked["cars"]} == {frames[3][0].sha256}
    assert result.gates.second_look == {}
