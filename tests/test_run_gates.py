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
