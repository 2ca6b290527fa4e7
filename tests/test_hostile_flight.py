"""A flight folder holding hostile files beside good frames (issue 14).

Every hostile file is set aside with its reason, except a frame whose name is
not UTF-8, which is processed like any other (its exact bytes kept in the
ledger); the flight still goes through ingest, the yaw check, detection and
placing on the ground.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import pytest

from pipeline.cli import main as hehu
from pipeline.config import load_config
from pipeline.flight import PlannedFrame
from pipeline.ingest.header import jpeg_layout, jpeg_segments
from pipeline.run import detect_frames
from tests.ingest.synth import jpeg_bytes, write_jpeg
from tests.ingest.test_load import make_sparse_frame


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

    def decode_or_crash(path, **kw):
        if Path(path).name == "DJI_0001.JPG":
            raise RuntimeError("simulated library crash")
        return decode(path, **kw)

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


# --- a whole flight of hostile files beside good frames ------------------------------------

BAD_NAME = os.fsdecode(b"DJI_\xb2\xe2\xca\xd4.JPG")  # GBK bytes, as a Windows copy leaves them


def _cut_and_closed(data: bytes, keep: float) -> bytes:
    """Scan data cut to ``keep`` of its length, then FFD9 as if the copy were whole."""
    sos = jpeg_layout(data).sos_offset
    return data[: sos + int((len(data) - sos) * keep)] + b"\xff\xd9"


def _with_sof_size(data: bytes, width: int, height: int) -> bytes:
    start = next(s for marker, s, _ in jpeg_segments(data) if marker == 0xC0)
    return data[: start + 1] + struct.pack(">HH", height, width) + data[start + 5 :]


def write_hostile_files(root: Path, donor: bytes) -> dict[str, str]:
    """Every hostile file of issue 14 in ``root``; returns shown name -> words of its reason
    for the files to be set aside (the frame named in GBK is processed, not set aside).

    ``donor`` is a whole frame's bytes whose header and data the forged files reuse.
    """
    write_jpeg(root / "DJI_9001.JPG", 1, 1)  # 1: a 1×1 frame under a DJI header
    write_jpeg(root / BAD_NAME, 640, 480, seed=9)  # 2: a name that is not UTF-8: processed
    corrupt = root / "DJI_9004.JPG"  # 4: scan data cut, still ending in FFD9
    corrupt.write_bytes(_cut_and_closed(donor, 0.4))
    (root / "DJI_9005.JPG").write_bytes(_with_sof_size(donor, 15000, 15000))  # 5
    make_sparse_frame(root / "DJI_9006.JPG", 6 << 30, seed=6)  # 6: 6 GiB, no disk used
    return {
        "DJI_9001.JPG": "1×1 px",
        "DJI_9004.JPG": "corrupt JPEG scan data",
        "DJI_9005.JPG": "claims 15000×15000 px",
        "DJI_9006.JPG": "without reading it whole",
    }


def _run(root: Path, tmp_path: Path):
    from pipeline.stages import run_flight

    overrides = {
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "report": {"out_dir": str(tmp_path / "reports")},
    }
    return run_flight(root, load_config(None, overrides))


def _assert_all_set_aside(summary, expected: dict[str, str], good: int) -> None:
    aside = {Path(q.path).name: q.reason for q in summary.quarantined}
    assert set(aside) == set(expected), aside
    for name, words in expected.items():
        assert words in aside[name], (name, aside[name])
    assert summary.frames == good


def test_a_synthetic_hostile_flight_finishes_and_sets_every_hostile_file_aside(
    tmp_path: Path,
) -> None:
    root = tmp_path / "flight"
    for i in range(3):
        write_jpeg(root / f"DJI_000{i}.JPG", 640, 480, seed=i, lat=46.8426 + i * 1e-4)
    donor = jpeg_bytes(640, 480, seed=7)
    expected = write_hostile_files(root, donor)
    try:
        summary = _run(root, tmp_path)
    finally:
        (root / "DJI_9006.JPG").unlink()  # 6 GiB to whoever reads sizes, not disk
    _assert_all_set_aside(summary, expected, good=4)  # three good frames and the GBK one
    assert summary.report and Path(summary.report).is_file()


def test_brighton_frames_with_hostile_files_finish(tmp_path: Path, shared_data: Path) -> None:
    brighton = shared_data / "brighton_beach"
    if not brighton.is_dir():
        pytest.skip(f"{brighton} not present")
    root = tmp_path / "flight"
    root.mkdir()
    for name in ("DJI_0018.JPG", "DJI_0019.JPG"):
        shutil.copyfile(brighton / name, root / name)
    expected = write_hostile_files(root, (brighton / "DJI_0020.JPG").read_bytes())
    try:
        summary = _run(root, tmp_path)
    finally:
        (root / "DJI_9006.JPG").unlink()
    _assert_all_set_aside(summary, expected, good=3)  # two real frames and the GBK one


def test_a_flight_folder_whose_path_is_not_utf8_is_planned(tmp_path: Path) -> None:
    from pipeline.run import plan_flight

    root = tmp_path / os.fsdecode(b"\xba\xd3\xb5\xc0")
    write_jpeg(root / "DJI_0001.JPG", 64, 48)
    plan = plan_flight(root, load_config(None))
    assert plan.name == "\\xba\u04f5\\xc0" and plan.source_dir == str(root.resolve())
    assert [Path(f.meta.path).read_bytes()[:2] for f in plan.frames] == [b"\xff\xd8"]
