"""Video patrols: hehu's decode and sampling throughput against ffmpeg on the same file.

Run:  .venv/bin/python bench/video/bench_video.py [--seconds 60] [--size 1920x1080] [--fps 30]

Needs Debian's ffmpeg (``apt-get install ffmpeg``; the tests do not). In one run:

1. ffmpeg writes an H.264 video (``testsrc2``, libx264 ``veryfast``, yuv420p, as DJI
   records), and a DJI Mini 2 style SRT log with one block per frame (flying north at
   10 m/s, 60 m above take-off, no gimbal angles);
2. ``ffmpeg -i VIDEO -f null -`` decodes every frame (best of ``--repeat``);
3. hehu decodes the same file three ways, each best of ``--repeat``: every frame
   grabbed (decoded, not converted: what sampling costs on frames it skips), every
   frame converted to BGR, and ``sample_video`` end to end (log parsed, video hashed,
   frames sampled by distance, each sampled frame written as a JPEG still);
4. peak memory (max RSS of a child process running ``sample_video``) on the whole
   video and on its first tenth, to show memory does not grow with length.

Printed: frames a second each way and hehu's over ffmpeg's, as ratios measured in the
same run, on the same machine and file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def make_video(path: Path, seconds: float, size: str, fps: int) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
         f"testsrc2=size={size}:rate={fps}", "-t", str(seconds), "-c:v", "libx264",
         "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip


def make_log(path: Path, seconds: float, fps: int) -> None:
    """One Mini 2 block per frame: 10 m/s due north, 60 m up, no gimbal angles."""
    with path.open("w", encoding="utf-8") as fh:
        for j in range(round(seconds * fps)):
            t0, t1 = j / fps, (j + 1) / fps
            lat = 30.0 + 10.0 * t0 / 111_195.0
            fh.write(
                f'{j + 1}\n{_srt(t0)} --> {_srt(t1)}\n<font size="28">FrameCnt: {j + 1}, '
                f"DiffTime: {round(1000 / fps)}ms\n2024-05-01 10:00:00.000\n[iso: 100] "
                f"[focal_len: 240] [latitude: {lat:.6f}] [longitude: 120.000000] "
                "[rel_alt: 60.000 abs_alt: 110.000] </font>\n\n"
            )


def _srt(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def ffmpeg_decode(video: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(video), "-f", "null", "-"],
                   check=True)  # fmt: skip


def hehu_decode(video: Path, convert: bool) -> int:
    from pipeline.video.frames import decoded_frames

    n = 0

    def wants(_t: float) -> bool:
        nonlocal n
        n += 1
        return convert

    for _ in decoded_frames(video, wants):
        pass
    return n


def hehu_sample(video: Path, log: Path, out: Path) -> int:
    from pipeline.video.frames import VideoSettings, sample_video

    shutil.rmtree(out, ignore_errors=True)
    return len(sample_video(video, log, out, VideoSettings()).frames)


_CHILD = """
import resource, sys
from pathlib import Path
from pipeline.video.frames import VideoSettings, sample_video
video, log, out = (Path(a) for a in sys.argv[1:4])
n = len(sample_video(video, log, out, VideoSettings()).frames)
print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def peak_rss_mib(video: Path, log: Path, out: Path) -> tuple[int, int]:
    """(frames sampled, max RSS in MiB) of ``sample_video`` in a fresh process."""
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(video), str(log), str(out)],
                          check=True, capture_output=True, text=True, cwd=REPO)  # fmt: skip
    n, mib = done.stdout.split()
    return int(n), int(mib)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        print("ffmpeg not found: apt-get install ffmpeg", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    from bench.detect.bench_decode import timed  # best of ``repeat``: (seconds, last result)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        video, log, short, short_log = (root / "DJI_0001.MP4", root / "DJI_0001.SRT",
                                        root / "DJI_0002.MP4", root / "DJI_0002.SRT")  # fmt: skip
        make_video(video, args.seconds, args.size, args.fps)
        make_log(log, args.seconds, args.fps)
        make_video(short, args.seconds / 10, args.size, args.fps)
        make_log(short_log, args.seconds / 10, args.fps)
        frames = round(args.seconds * args.fps)
        mib = video.stat().st_size / 2**20
        print(f"video: {args.size} H.264 {args.fps} fps, {args.seconds:g} s, {frames} frames, "
              f"{mib:.1f} MiB; cores: {len(__import__('os').sched_getaffinity(0))}")  # fmt: skip
        ff, _ = timed(lambda: ffmpeg_decode(video), args.repeat)
        grab, n = timed(lambda: hehu_decode(video, convert=False), args.repeat)
        bgr, _ = timed(lambda: hehu_decode(video, convert=True), args.repeat)
        sample, kept = timed(lambda: hehu_sample(video, log, root / "state"), args.repeat)
        assert n == frames, (n, frames)
        print(f"{'way':<44}{'s':>8}{'frames/s':>10}{'vs ffmpeg':>11}")
        for name, s in (("ffmpeg -f null (decode every frame)", ff),
                        ("hehu grab every frame (decode, no convert)", grab),
                        ("hehu every frame to BGR", bgr),
                        (f"hehu sample_video ({kept} frames kept)", sample)):  # fmt: skip
            print(f"{name:<44}{s:>8.2f}{frames / s:>10.1f}{ff / s:>11.2f}")
        long_n, long_mib = peak_rss_mib(video, log, root / "m1")
        short_n, short_mib = peak_rss_mib(short, short_log, root / "m2")
        print(f"peak RSS of sample_video: {long_mib} MiB on {args.seconds:g} s ({long_n} kept), "
              f"{short_mib} MiB on {args.seconds / 10:g} s ({short_n} kept)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
