"""A flight folder holding hostile files beside good frames (issue 14).

Every hostile file is set aside with its reason, and the flight still goes
through ingest, the yaw check, detection and placing on the ground.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main as hehu
from pipeline.config import load_config
from pipeline.run import PlannedFrame, detect_frames
from tests.ingest.synth import write_jpeg


def test_ingest_cli_sets_a_1x1_frame_aside_and_exits_0(tmp_path: Path, capsys) -> None:
    write_jpeg(tmp_path / "DJI_0001.JPG", 1, 1)
    write_jpeg(tmp_path / "DJI_0002.JPG", 64, 48, seed=1)
    assert hehu(["ingest", str(tmp_path), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(Path(r["path"]).name, r["quarantined"]) for r in lines] == [
        ("DJI_0002.JPG", False),
        ("DJI_0001.JPG", True),
    ]
    assert "1×1 px" in lines[1]["reason"]


def test_a_frame_that_crashes_detection_is_set_aside_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.detect.engine as engine
    from pipeline.ingest.scan import read_frame

    paths = [write_jpeg(tmp_path / f"DJI_000{i}.JPG", 64, 48, seed=i) for i in (1, 2)]
    decode = engine.decode_frame

    def decode_or_crash(path):
        if Path(path).name == "DJI_0001.JPG":
            raise RuntimeError("simulated library crash")
        return decode(path)

    monkeypatch.setattr(engine, "decode_frame", decode_or_crash)
    frames = [PlannedFrame(read_frame(p)) for p in paths]
    result = detect_frames(frames, load_config(None))
    assert result.frames_done == 1
    (q,) = result.set_aside
    assert q.path == str(paths[0]) and q.sha256 == frames[0].meta.sha256
    assert "detection failed (RuntimeError: simulated library crash)" in q.reason


def test_a_yaw_check_bug_keeps_the_recorded_yaw_instead_of_failing_the_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.geo.yaw_check as yaw_check
    from pipeline.run import check_flight_yaw, plan_flight

    for i in (1, 2):
        write_jpeg(tmp_path / f"DJI_000{i}.JPG", 64, 48, seed=i)
    plan = plan_flight(tmp_path, load_config(None))

    def broken(frames, load_gray):
        raise IndexError("simulated bug")

    monkeypatch.setattr(yaw_check, "check_yaw", broken)
    assert check_flight_yaw(plan, load_config(None)) == plan
