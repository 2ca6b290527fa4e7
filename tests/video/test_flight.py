"""A video patrol through every stage: candidates on the ground, evidence from the video."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from pipeline.geo.coords import haversine_m
from tests.helpers import SAMPLE_FLIGHT
from tests.video.synth import video_flight_config, write_test_video


@pytest.fixture(scope="module")
def video_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``hehu run`` on a folder holding the test video and its log: (state folder, output)."""
    import contextlib
    import io

    from pipeline.cli import main

    root = tmp_path_factory.mktemp("video-run")
    write_test_video(root / "flight", sorted(SAMPLE_FLIGHT.glob("*.JPG")))
    config, _ = video_flight_config(root)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", str(root / "flight"), "--config", str(config), "--local",
                     "--no-prefect"]) == 0  # fmt: skip
    return root / "state", out.getvalue()


def test_hehu_run_files_video_candidates_on_the_ground_with_video_evidence(video_run) -> None:
    state, printed = video_run
    assert "frames processed: 5" in printed and "set aside" not in printed
    assert int(printed.split("new candidates: ")[1].split()[0]) > 0, printed
    db = sqlite3.connect(state / "ledger.sqlite")
    placed = db.execute("SELECT count(*), count(lat_deg) FROM detection").fetchone()
    assert placed[0] > 0 and placed[0] == placed[1]  # every detection on the ground
    frames = [Path(p).name for (p,) in db.execute("SELECT path FROM frame ORDER BY path")]
    assert frames == [f"DJI_0001_t{t:010.3f}s.jpg" for t in (0.0, 7.0, 14.0, 22.0, 29.0)]
    marks = db.execute("SELECT path, watermark FROM evidence_file").fetchall()
    assert marks and all(Path(p).is_file() for p, _ in marks)
    assert all(re.search(r" \| video DJI_0001\.MP4 at 00:00:(00|07|14|22|29)\.000$", w)
               for _, w in marks), marks  # fmt: skip


def _placed(folder: Path, config) -> list:
    from pipeline.run import detect_frames, place_on_ground, plan_flight

    plan = plan_flight(folder, config)
    return [(plan, place_on_ground(plan, detect_frames(plan.frames, config)))]


def test_video_detections_land_where_the_stills_do(tmp_path: Path) -> None:
    """The same cars found in the stills and in the video's frames (MPEG-4 re-encoded):
    each video detection lies within a few metres of the still's nearest one."""
    write_test_video(tmp_path / "flight", sorted(SAMPLE_FLIGHT.glob("*.JPG")))
    _, config = video_flight_config(tmp_path)
    ((_, video),) = _placed(tmp_path / "flight", config)
    ((_, stills),) = _placed(SAMPLE_FLIGHT, config)
    assert len(video.detections) >= 5
    gaps = [min(haversine_m(v.lat_deg, v.lon_deg, s.lat_deg, s.lon_deg)
                for s in stills.detections) for v in video.detections]  # fmt: skip
    matched = sorted(gaps)[: len(gaps) * 3 // 4]  # a faint box may be found in one only
    assert max(matched) < 1.0, sorted(gaps)  # measured: 0.03-0.11 m
