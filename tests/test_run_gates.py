"""Band and water gates over a flight: counts in the batch result and the run summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.config import load_config
from pipeline.flight import GateCounts, PlannedFrame
from pipeline.run import detect_frames
from tests.ingest.synth import write_jpeg


def test_mixed_folder_thermal_frames_skip_the_visible_models(tmp_path: Path) -> None:
    from pipeline.ingest.scan import read_frame

    wide = write_jpeg(tmp_path / "DJI_20261203101500_0001_W.JPG", 96, 64, model="M30T",
                      xmp_extra={"ImageSource": "WideCamera"})  # fmt: skip
    thermal = write_jpeg(tmp_path / "DJI_20261203101500_0001_T.JPG", 640, 512, model="M30T",
                         xmp_extra={"ImageSource": "InfraredCamera"})  # fmt: skip
    frames = [PlannedFrame(read_frame(p, p.read_bytes())) for p in (wide, thermal)]
    result = detect_frames(frames, load_config(None))
    assert result.frames_done == 2
    for model in ("vehicles", "river-debris"):
        reasons = result.gates.skipped[model]
        thermal_skips = [n for reason, n in reasons.items() if reason.startswith("thermal frame")]
        assert thermal_skips == [1], reasons
    assert not [d for d in result.detections if d.frame_sha256 == frames[1].meta.sha256]


def test_gate_counts_merge() -> None:
    a, b = GateCounts(), GateCounts()
    a.skipped["m"] = {"no water in the frame": 2}
    b.skipped["m"] = {"no water in the frame": 1, "thermal frame": 4}
    a.dropped_off_water["m"] = 3
    b.water["sha"] = 0.25
    merged = GateCounts.merged([a, b])
    assert merged.skipped == {"m": {"no water in the frame": 3, "thermal frame": 4}}
    assert merged.dropped_off_water == {"m": 3} and merged.water == {"sha": 0.25}
    assert np.isclose(sum(merged.skipped["m"].values()), 7)


def test_tiles_are_counted_by_cause_and_a_frame_partly_seen_elsewhere_is_not_ran() -> None:
    from pipeline.detect.detections import Detections
    from pipeline.detect.engine import ModelResult
    from pipeline.detect.skip import SEEN, SkipPlan
    from pipeline.detect.tiling import plan_tiles
    from pipeline.flight import BatchResult
    from pipeline.run import merge_batches

    plan = plan_tiles((100, 300), tile_px=100)
    whole = ModelResult("m", ("car",), Detections.empty(), plan, 0.1, tiles_run=3)
    part = ModelResult("m", ("car",), Detections.empty(), plan, 0.1, tiles_run=1,
                       tiles_skipped={SEEN: 2})  # fmt: skip
    a, b = GateCounts(), GateCounts()
    a.add("sha-a", whole)
    b.add("sha-b", part)
    ground = {"m": {"flight_m2": 10.0, "detected_m2": 10.0}}
    merged = merge_batches([BatchResult((), {}, gates=g) for g in (a, b)], SkipPlan({}, ground))
    assert merged.gates.tiles == {"m": {"detected": 4, SEEN: 2}}
    assert merged.gates.ran == {"m": ["sha-a"]} and merged.gates.ground == ground


def test_a_frame_with_every_tile_skipped_is_only_checked_at_an_eighth(
    tmp_path: Path, monkeypatch
) -> None:
    import pipeline.detect.engine as engine
    from pipeline.detect.skip import SEEN, SkipPlan
    from pipeline.ingest.scan import read_frame
    from pipeline.run import _gsd, load_detectors

    path = write_jpeg(tmp_path / "DJI_0001.JPG", 640, 480)
    frame = PlannedFrame(read_frame(path, path.read_bytes()))
    config = load_config(None, {"detect": {"models": ["vehicles"]}})
    reductions: list[int] = []
    decode = engine.decode_frame

    def spy(p, reduce=1):
        reductions.append(reduce)
        return decode(p, reduce=reduce)

    monkeypatch.setattr(engine, "decode_frame", spy)
    (model,) = load_detectors(config)
    gsd = _gsd(frame.meta, config.geo.ground_settings())
    n = len(engine.plan_for(model.card, (480, 640), gsd))
    skips = SkipPlan({frame.meta.sha256: {"vehicles": dict.fromkeys(range(n), SEEN)}})
    result = detect_frames([frame], config, skips=skips)
    assert reductions == [8] and result.frames_done == 1
    assert result.gates.tiles == {"vehicles": {"detected": 0, SEEN: n}}
