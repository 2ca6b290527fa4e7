"""Frames sampled from a video by distance flown, with the log's pose at their time."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.geo.coords import haversine_m
from pipeline.geo.georef import georeference
from pipeline.video.frames import VideoSettings, sample_video
from pipeline.video.ref import time_code, video_of_frame
from tests.helpers import SAMPLE_FLIGHT
from tests.video.synth import MadeVideo, write_moving_video, write_test_video

#: The sample flight's camera (Phantom 3 Pro FC300S, 3.61 mm): the stills' intrinsics
SAME_CAMERA = VideoSettings(sample_spacing_m=5.0, camera_model="FC300S", focal_mm=3.61)


@pytest.fixture(scope="module")
def test_video(tmp_path_factory: pytest.TempPathFactory) -> MadeVideo:
    stills = sorted(SAMPLE_FLIGHT.glob("*.JPG"))
    return write_test_video(tmp_path_factory.mktemp("video"), stills)


def _sample(test_video: MadeVideo, tmp_path: Path, settings: VideoSettings):
    return sample_video(test_video.video, test_video.log, tmp_path, settings)


def test_one_frame_per_still_at_the_cut_with_the_stills_pose(test_video, tmp_path) -> None:
    frames = _sample(test_video, tmp_path, SAME_CAMERA).frames
    assert [f.video.time_s for f in frames] == list(test_video.starts_s)
    for frame, still in zip(frames, test_video.stills, strict=True):
        assert frame.video.pose == ()  # the log has every angle and the height
        assert haversine_m(frame.gps.lat_deg, frame.gps.lon_deg, still.gps.lat_deg,
                           still.gps.lon_deg) < 0.1  # fmt: skip
        assert frame.xmp.rel_alt_m == still.xmp.rel_alt_m
        assert frame.xmp.gimbal_yaw_deg == pytest.approx(still.xmp.gimbal_yaw_deg)
        assert (frame.width_px, frame.height_px) == (still.width_px, still.height_px)
        assert Path(frame.path).is_file()
        source = video_of_frame(frame.path)
        assert (source.path, source.time_s) == (str(test_video.video), frame.video.time_s)


def ground_offsets_m(frames, stills) -> list[float]:
    """Largest distance, per frame, between where the video frame and its still put the
    same pixels (a 5 x 5 grid over the image, corners included)."""
    out = []
    for frame, still in zip(frames, stills, strict=True):
        u, v = np.meshgrid(np.linspace(0, frame.width_px, 5), np.linspace(0, frame.height_px, 5))
        uv = np.stack([u.ravel(), v.ravel()], axis=1)
        a, b = georeference(frame).locate(uv), georeference(still).locate(uv)
        pairs = zip(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg, strict=True)
        out.append(max(haversine_m(*p) for p in pairs))
    return out


@pytest.mark.parametrize(
    ("settings", "limit_m"),
    [
        (SAME_CAMERA, 0.2),  # the log's 6 decimals of a degree: under 0.1 m each way
        (VideoSettings(sample_spacing_m=5.0, focal_35mm=20.0), 1.0),  # from the 35 mm focal
    ],
)
def test_video_frames_land_where_the_stills_do(test_video, tmp_path, settings, limit_m) -> None:
    frames = _sample(test_video, tmp_path, settings).frames
    offsets = ground_offsets_m(frames, test_video.stills)
    assert max(offsets) < limit_m, offsets


def test_default_spacing_follows_the_footprint(tmp_path: Path) -> None:
    """60 s due north at 10 m/s, 40 m up, 24 mm lens on 320x240 (4:3): the focal is
    24 / 43.27 of the 400 px diagonal, 222 px, so a nadir footprint's short side is
    40 * 240 / 222 = 43 m; 0.4 of it is 17 m (a frame every 1 m): 34 frames."""
    video, log = write_moving_video(tmp_path / "f", seconds=60.0)
    sampled = sample_video(video, log, tmp_path / "state", VideoSettings())
    frames = sampled.frames
    gaps = [haversine_m(a.gps.lat_deg, a.gps.lon_deg, b.gps.lat_deg, b.gps.lon_deg)
            for a, b in itertools.pairwise(frames)]  # fmt: skip
    assert 16.0 < np.median(gaps) < 19.0, gaps
    assert len(frames) == pytest.approx(600.0 / np.median(gaps), abs=2)
    fixed = sample_video(video, log, tmp_path / "state2", VideoSettings(sample_spacing_m=50.0))
    times = [f.video.time_s for f in fixed.frames]  # 50 m at 10 m/s (positions to 0.1 m)
    assert len(times) == 12 and np.diff(times) == pytest.approx([5.0] * 11, abs=0.3)


def test_hovering_still_gives_a_frame_every_max_gap(tmp_path: Path) -> None:
    video, log = write_moving_video(tmp_path / "f", seconds=25.0, fps=2.0, speed_m_s=0.0)
    frames = sample_video(video, log, tmp_path / "s", VideoSettings(max_gap_s=10.0)).frames
    assert [f.video.time_s for f in frames] == [0.0, 10.0, 20.0]


def test_no_gimbal_angles_in_the_log_take_the_configured_default_flagged(tmp_path) -> None:
    video, log = write_moving_video(tmp_path / "f", seconds=6.0, fps=5.0)
    frames = sample_video(video, log, tmp_path / "s", VideoSettings(sample_spacing_m=20)).frames
    first = frames[0]
    assert first.video.pose == ("pitch: default -90°", "yaw: course over ground")
    assert first.xmp.gimbal_pitch_deg == -90.0
    assert first.xmp.gimbal_yaw_deg == pytest.approx(0.0, abs=0.01)  # due north
    assert first.focal_35mm == 24.0 and first.captured_at == "2021-03-20T14:27:46"
    unset = VideoSettings(sample_spacing_m=20, default_pitch_deg=None)
    bare = sample_video(video, log, tmp_path / "s2", unset).frames[0]
    assert bare.xmp.gimbal_pitch_deg is None and bare.video.pose == ("yaw: course over ground",)
    from pipeline.errors import NoAttitudeError

    with pytest.raises(NoAttitudeError):
        georeference(bare)


def test_a_log_without_height_leaves_frames_unplaced_unless_configured(tmp_path) -> None:
    video, log = write_moving_video(tmp_path / "f", seconds=4.0, fps=5.0)
    log.write_text(log.read_text().replace("[rel_alt: 40.000 abs_alt: 90.000]", ""))
    frame = sample_video(video, log, tmp_path / "s", VideoSettings()).frames[0]
    assert frame.xmp.rel_alt_m is None
    given = VideoSettings(default_rel_alt_m=35.0)
    frame = sample_video(video, log, tmp_path / "s2", given).frames[0]
    assert frame.xmp.rel_alt_m == 35.0 and "height: default 35 m above take-off" in frame.video.pose
    assert georeference(frame).pose.height_m == pytest.approx(35.0)


def test_a_log_of_another_video_is_refused(tmp_path: Path) -> None:
    from pipeline.errors import BadInputError

    video, log = write_moving_video(tmp_path / "f", seconds=2.0, fps=5.0)
    text = log.read_text()
    log.write_text(text.replace("00:00:0", "00:10:0"))  # the log starts 10 minutes in
    with pytest.raises(BadInputError, match="another video"):
        sample_video(video, log, tmp_path / "s", VideoSettings())


@pytest.mark.parametrize(("t", "code"), [(0.0, "00:00:00.000"), (83.4567, "00:01:23.457"),
                                         (3725.5, "01:02:05.500")])  # fmt: skip
def test_time_code(t: float, code: str) -> None:
    assert time_code(t) == code


def test_frame_records_are_frozen(test_video, tmp_path) -> None:
    frame = _sample(test_video, tmp_path, SAME_CAMERA).frames[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.video.time_s = 1.0  # type: ignore[misc]


def test_positions_without_a_fix_are_no_positions(tmp_path: Path) -> None:
    """Drones without a GPS fix write (0, 0): those frames are not sampled."""
    video, log = write_moving_video(tmp_path / "f", seconds=4.0, fps=5.0)
    blocks = log.read_text().split("\n\n")
    for i in range(10):  # the first two seconds without a fix
        blocks[i] = re.sub(r"\[(latitude|longitude): [\d.]+\]", r"[\1: 0.000000]", blocks[i])
    log.write_text("\n\n".join(blocks))
    frames = sample_video(video, log, tmp_path / "s", VideoSettings(sample_spacing_m=5)).frames
    assert frames[0].video.time_s == 2.0 and frames[0].gps.lat_deg > 29.0


def test_a_video_whose_name_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    import os

    from pipeline.video import ref

    video = tmp_path / os.fsdecode(b"\xba\xd3_0001.MP4")
    folder = ref.frames_folder(tmp_path / "state", video, "ab" * 32)
    folder.mkdir(parents=True)
    ref.write_manifest(folder, video, video.with_suffix(".SRT"), "ab" * 32, 10)
    frame = ref.frame_file(folder, video, 12.5)
    frame.write_bytes(b"")
    source = video_of_frame(frame)
    assert source.path == str(video) and source.time_s == 12.5
    assert source.name == "\\xba\\xd3_0001.MP4"
