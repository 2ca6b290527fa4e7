"""End-to-end benchmark of `hehu run` against bare detection on the same frames.

Run:  .venv/bin/python bench/bench_flow.py [FLIGHT_DIR] [--copies 10]

1. Bare detection: the enabled models on every frame (decode + tiled detect),
   in this process, with the same configuration: the floor.
2. `hehu run FLIGHT` (the Prefect flow: ingest, yaw check, detect, georeference,
   ledger, evidence, report) in a subprocess, into a fresh ledger.
   Overhead = (end-to-end − bare detection) / bare detection. Target: ≤ 10 %.
3. Peak memory (RSS of the whole process tree, sampled every 0.1 s) of
   `hehu run` on the flight and on a flight of ``--copies`` copies of it
   (each copy padded with trailing zero bytes after the JPEG end marker so its
   sha256 differs and ingest does not skip it as a duplicate). Peak memory must
   not grow with the number of frames.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FLIGHT = REPO.parent / "shared" / "data" / "brighton_beach"


def bare_detection_s(flight: Path) -> tuple[float, int]:
    """Seconds to decode and detect every frame with the configured models."""
    from pipeline.config import load_config
    from pipeline.detect.engine import decode_frame, detect_frame
    from pipeline.detect.georef import frame_georef, frame_gsd_cm_per_px
    from pipeline.ingest import scan_flight
    from pipeline.run import load_detectors

    config = load_config()
    frames = scan_flight(flight).frames
    models = load_detectors(config)
    start = time.perf_counter()
    for meta in frames:
        gsd = frame_gsd_cm_per_px(frame_georef(meta))
        detect_frame(decode_frame(meta.path), models, gsd_cm_per_px=gsd)
    return time.perf_counter() - start, len(frames)


def tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def prefect_server(home: Path, port: int = 4299) -> tuple[subprocess.Popen, str]:
    """A Prefect server on loopback, as a team would run one; returns it and its API URL."""
    import urllib.request

    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the Prefect server did not start within 60 s")


def timed_run(flight: Path, workdir: Path, api_url: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak tree RSS (MiB) of `hehu run` on ``flight``."""
    env = {
        **os.environ,
        "HEHU_HOME": str(workdir / "hehu"),
        "PREFECT_HOME": str(workdir / "prefect"),
    }
    if api_url:
        env["PREFECT_API_URL"] = api_url
    db = f"sqlite:///{workdir / 'ledger.sqlite'}"
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(flight), "--db", db]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"hehu run failed:\n{proc.stderr.read().decode()[-3000:]}")
    return seconds, peak


def copies_of(flight: Path, copies: int, out: Path) -> Path:
    """``copies`` copies of the flight's JPEGs, each made distinct by trailing zero bytes."""
    for k in range(copies):
        folder = out / f"copy{k:02d}"
        folder.mkdir(parents=True)
        for src in sorted(flight.glob("*.JPG")):
            (folder / src.name).write_bytes(src.read_bytes() + b"\0" * (k + 1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("flight", nargs="?", type=Path, default=DEFAULT_FLIGHT)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()

    bare, n = bare_detection_s(args.flight)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for sub in ("a", "s", "b", "server"):
            (tmp / sub).mkdir()
        e2e, peak_one = timed_run(args.flight, tmp / "a")
        server, api_url = prefect_server(tmp / "server")
        try:
            e2e_served, _ = timed_run(args.flight, tmp / "s", api_url)
        finally:
            server.terminate()
            server.wait()
        big = copies_of(args.flight, args.copies, tmp / "big")
        e2e_big, peak_big = timed_run(big, tmp / "b")
    print(f"{n} frames from {args.flight}\n")
    print(f"{'measure':<52} {'s/frame':>8} {'total s':>8} {'overhead':>9}")
    print(f"{'bare detection (decode + tiled detect)':<52} {bare / n:>8.2f} {bare:>8.1f}")
    for label, t in (("hehu run, temporary Prefect server (no PREFECT_API_URL)", e2e),
                     ("hehu run, running Prefect server (PREFECT_API_URL)", e2e_served)):  # fmt: skip
        print(f"{label:<52} {t / n:>8.2f} {t:>8.1f} {(t - bare) / bare * 100:>8.1f}%")
    print("target: overhead <= 10 % of bare detection\n")
    print(f"{'flight':<40} {'frames':>8} {'peak MiB':>9} {'s/frame':>8}")
    print(f"{args.flight.name:<40} {n:>8} {peak_one:>9.0f} {e2e / n:>8.2f}")
    print(f"{f'{args.copies} distinct copies':<40} {n * args.copies:>8} {peak_big:>9.0f} "
          f"{e2e_big / (n * args.copies):>8.2f}")  # fmt: skip
    print(f"peak memory ratio ({args.copies}x frames): {peak_big / peak_one:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
