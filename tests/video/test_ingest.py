"""A flight folder mixing stills and videos: a video with its log becomes frames."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.ingest import scan_flight
from pipeline.video.frames import VideoSettings
from pipeline.video.ingest import VideoIngest
from tests.helpers import SAMPLE_FLIGHT
from tests.video.synth import write_moving_video


@pytest.fixture()
def mixed(tmp_path: Path) -> Path:
    folder = tmp_path / "flight"
    video, log = write_moving_video(folder, seconds=4.0, fps=5.0, name="DJI_0001")
    # a copy under another name, a video without a log, DJI's low-resolution copy
    shutil.copyfile(video, folder / "DJI_0002.MP4")
    shutil.copyfile(log, folder / "DJI_0002.srt")
    shutil.copyfile(video, folder / "DJI_0003.MP4")
    shutil.copyfile(video, folder / "DJI_0001.LRF")
    shutil.copyfile(log, folder / "DJI_0009.SRT")  # a log whose video was not copied
    shutil.copyfile(SAMPLE_FLIGHT / "DJI_0030.JPG", folder / "DJI_0030.JPG")
    return folder


def test_videos_with_their_logs_become_frames_beside_the_stills(mixed, tmp_path) -> None:
    videos = VideoIngest(tmp_path / "state", VideoSettings(sample_spacing_m=10.0))
    result = scan_flight(mixed, videos=videos, max_offset_m=1e8)
    paths = [Path(f.path).name for f in result.frames]
    assert paths == ["DJI_0030.JPG", "DJI_0001_t000000.000s.jpg", "DJI_0001_t000001.000s.jpg",
                     "DJI_0001_t000002.000s.jpg", "DJI_0001_t000003.000s.jpg"]  # fmt: skip
    assert all(f.video is not None for f in result.frames[1:])
    why = {Path(q.path).name: q.reason for q in result.quarantined}
    assert set(why) == {"DJI_0002.MP4", "DJI_0003.MP4", "DJI_0001.LRF", "DJI_0009.SRT"}
    assert why["DJI_0002.MP4"].startswith("duplicate of ")
    assert why["DJI_0003.MP4"].startswith("a video without its SRT flight log (DJI_0003.SRT")
    assert why["DJI_0001.LRF"].startswith("a video (MP4/LRF), not a still photo")
    assert why["DJI_0009.SRT"].startswith("a DJI SRT flight log (text), not a photo")


def test_without_video_ingest_videos_are_set_aside_as_before(mixed: Path) -> None:
    result = scan_flight(mixed, max_offset_m=1e8)
    assert [Path(f.path).name for f in result.frames] == ["DJI_0030.JPG"]
    why = {Path(q.path).name: q.reason for q in result.quarantined}
    assert why["DJI_0001.MP4"].startswith("a video (MP4/LRF), not a still photo")
    assert why["DJI_0001.SRT"].startswith("a DJI SRT flight log")


def test_a_video_opencv_cannot_read_is_set_aside_with_its_reason(tmp_path: Path) -> None:
    folder = tmp_path / "flight"
    video, _ = write_moving_video(folder, seconds=2.0, fps=5.0)
    data = video.read_bytes()
    video.write_bytes(data[:64])  # the header only: a copy cut short
    result = scan_flight(folder, videos=VideoIngest(tmp_path / "state"), max_offset_m=1e8)
    assert result.frames == ()
    (q,) = result.quarantined
    assert q.reason.startswith("video not read: "), q.reason


def test_a_log_without_positions_sets_the_video_aside(tmp_path: Path) -> None:
    folder = tmp_path / "flight"
    _, log = write_moving_video(folder, seconds=2.0, fps=5.0)
    text = log.read_text()
    log.write_text(text.replace("[latitude:", "[lat_x:").replace("[longitude:", "[lon_x:"))
    result = scan_flight(folder, videos=VideoIngest(tmp_path / "state"), max_offset_m=1e8)
    (q,) = result.quarantined
    assert "holds no position" in q.reason and q.path.endswith("DJI_0002.MP4")


def test_hehu_ingest_json_lists_video_frames_with_their_time(mixed, tmp_path, capsys,
                                                             monkeypatch) -> None:  # fmt: skip
    import json

    from pipeline.cli import main

    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "home"))
    assert main(["ingest", str(mixed), "--json", "--no-yaw-check", "--max-offset-m", "1e8"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    frames = [r for r in lines if not r["quarantined"]]
    assert frames[1]["video"]["path"] == str(mixed / "DJI_0001.MP4")
    assert frames[1]["video"]["pose"] == ["pitch: default -90°", "yaw: course over ground"]
    assert frames[1]["gsd_cm_per_px"] is not None and frames[1]["footprint"]
    assert Path(frames[1]["path"]).is_relative_to(tmp_path / "home" / "video-frames")


def test_a_folder_of_a_video_and_its_log_passes_the_check_before_a_run(tmp_path) -> None:
    from pipeline.errors import BadInputError
    from pipeline.ingest.verdict import check_flight_folder

    folder = tmp_path / "flight"
    _, log = write_moving_video(folder, seconds=1.0, fps=5.0)
    check_flight_folder(folder)  # no error: the run samples the video
    log.unlink()
    with pytest.raises(BadInputError, match="0 usable frames among 1 file"):
        check_flight_folder(folder)
