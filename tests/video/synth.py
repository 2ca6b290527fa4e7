"""A test video made here: consecutive stills of the sample flight as one MP4 with its SRT log.

Each still is held on screen from its capture time to the next one's (a hold-and-cut
sequence: the drone hovers at each still's place, then the view cuts to the next);
the log has one block per video frame in the Phantom 4 RTK format
(``GPS (lon, lat, alt)``, ``H``, ``F.PRY``, ``G.PRY``), written from each still's EXIF
and XMP, so a frame sampled at a still's first video frame has that still's pose.
Written in a temporary folder at test time (OpenCV ``mp4v``), never committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline.records import FrameMeta


@dataclass(frozen=True)
class MadeVideo:
    video: Path
    log: Path
    stills: tuple[FrameMeta, ...]
    starts_s: tuple[float, ...]  # when each still comes on screen


def _srt_time(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def p4_rtk_block(i: int, t0: float, t1: float, m: FrameMeta, home: FrameMeta) -> str:
    """One block of a Phantom 4 RTK log for still ``m`` (``home``: the first still)."""
    x = m.xmp
    assert x is not None and m.gps is not None and home.gps is not None
    return (
        f"{i}\n{_srt_time(t0)} --> {_srt_time(t1)}\n"
        f"F/2.8, SS 400, ISO 100, EV 0, GPS ({m.gps.lon_deg:.6f}, {m.gps.lat_deg:.6f}, "
        f"{x.abs_alt_m:.0f}), HOME ({home.gps.lon_deg:.6f}, {home.gps.lat_deg:.6f}, 158.51m), "
        f"D 0.00m, H {x.rel_alt_m:.2f}m, H.S 0.00m/s, V.S 0.00m/s, "
        f"F.PRY ({x.flight_pitch_deg:.1f}°, {x.flight_roll_deg:.1f}°, {x.flight_yaw_deg:.1f}°), "
        f"G.PRY ({x.gimbal_pitch_deg:.1f}°, {x.gimbal_roll_deg:.1f}°, {x.gimbal_yaw_deg:.1f}°)\n\n"
    )


def write_test_video(
    folder: Path, stills: list[Path], *, fps: float = 2.0, name: str = "DJI_0001"
) -> MadeVideo:
    """``folder/NAME.MP4`` and ``NAME.SRT`` from ``stills`` (consecutive, same size)."""
    import cv2

    from pipeline.ingest import read_frame

    metas = [read_frame(p) for p in stills]
    clock = [dt.datetime.fromisoformat(m.captured_at or "") for m in metas]
    starts = [(c - clock[0]).total_seconds() for c in clock]
    ends = [*starts[1:], starts[-1] + (starts[-1] - starts[-2] if len(starts) > 1 else 5.0)]
    folder.mkdir(parents=True, exist_ok=True)
    video, log = folder / f"{name}.MP4", folder / f"{name}.SRT"
    size = (metas[0].width_px, metas[0].height_px)
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    blocks, j = [], 0
    for path, meta, end in zip(stills, metas, ends, strict=True):
        image = cv2.imread(str(path))
        while j / fps < end - 1e-9:
            writer.write(image)
            blocks.append(p4_rtk_block(j + 1, j / fps, (j + 1) / fps, meta, metas[0]))
            j += 1
    writer.release()
    log.write_text("".join(blocks), encoding="utf-8")
    return MadeVideo(video, log, tuple(metas), tuple(starts))


def mini2_block(i: int, t0: float, t1: float, lat: float, lon: float, rel_alt_m: float) -> str:
    """One block of a DJI Mini 2 log (no gimbal angles), as the firmware writes it."""
    return (
        f'{i}\n{_srt_time(t0)} --> {_srt_time(t1)}\n<font size="28">FrameCnt: {i}, '
        f"DiffTime: {round((t1 - t0) * 1000)}ms\n"
        f"2021-03-20 14:27:46.{round(t0 * 1000) % 1000:03d}\n"
        "[iso: 110] [shutter: 1/200.0] [fnum: 280] [ev: 0] [ct: 5500] [color_md: default] "
        f"[focal_len: 240] [dzoom_ratio: 10000, delta:0],[latitude: {lat:.6f}] "
        f"[longitude: {lon:.6f}] [rel_alt: {rel_alt_m:.3f} abs_alt: {rel_alt_m + 50:.3f}] "
        "</font>\n\n"
    )


def write_moving_video(
    folder: Path, *, seconds: float, fps: float = 10.0, speed_m_s: float = 10.0,
    size: tuple[int, int] = (320, 240), rel_alt_m: float = 40.0, name: str = "DJI_0002",
) -> tuple[Path, Path]:  # fmt: skip
    """A video of noise flown due north at ``speed_m_s``, with a Mini 2 log per frame."""
    import cv2
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    video, log = folder / f"{name}.MP4", folder / f"{name}.SRT"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    n = round(seconds * fps)
    with log.open("w", encoding="utf-8") as fh:
        for j in range(n):
            writer.write(np.roll(image, j, axis=0))
            lat = 30.0 + speed_m_s * j / fps / 111_195.0
            fh.write(mini2_block(j + 1, j / fps, (j + 1) / fps, lat, 120.0, rel_alt_m))
    writer.release()
    return video, log


def video_flight_config(root: Path, **video: object):
    """A run configuration for the test video: state under ``root``, the vehicles model only
    with ``car`` filed as a heavy vehicle (the sample has cars, not trucks), the sample's
    camera for the video, and no yaw check (stills and video placed alike)."""
    import yaml

    from pipeline.config import REPO_ROOT, load_config

    taxonomy = yaml.safe_load((REPO_ROOT / "configs" / "taxonomy.yaml").read_text("utf-8"))
    taxonomy["overrides"] = {"vehicles/car": "luancai.heavy_vehicle"}
    (root / "taxonomy.yaml").write_text(
        yaml.safe_dump(taxonomy, allow_unicode=True, sort_keys=False), "utf-8"
    )
    settings = {"sample_spacing_m": 5.0, "camera_model": "FC300S", "focal_mm": 3.61, **video}
    config = {
        "state": {"dir": str(root / "state")},
        "ingest": {"yaw_check": False},
        "detect": {"taxonomy": str(root / "taxonomy.yaml"), "models": ["vehicles"],
                   "models_dir": str(REPO_ROOT / "models")},
        "video": settings,
    }  # fmt: skip
    path = root / "hehu.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return path, load_config(path)
