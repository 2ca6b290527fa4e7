"""Ingest benchmark: hehu's metadata reading and whole ingest against their peers.

Run:  .venv/bin/python bench/bench_ingest.py [FLIGHT_DIR] [--repeat N]

Prints images/s and ratios, each against a peer measured in the same run
(these machines are shared and noisy, so only ratios mean much):

- metadata: hehu's EXIF + XMP reading into geotag records (sniffing and the
  structural checks included, hashing not), from bytes in memory, against
  ``exiftool -n -json`` over the same files in one batch
  (Debian package ``libimage-exiftool-perl``). Target: >= 10x exiftool's rate.
- ingest: ``scan_flight`` (read each file once, sha256, sniff, EXIF/XMP,
  integrity checks, duplicates, outliers) against ``sha256sum`` over the same
  files, which reads every byte once: the floor. Target: within 1.2x of it.

The page cache is warmed first so both sides read from memory.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FLIGHT = REPO.parent / "shared" / "data" / "brighton_beach"


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """Median wall seconds of ``repeat`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("flight", nargs="?", type=Path, default=DEFAULT_FLIGHT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from pipeline.ingest import scan_flight
    from pipeline.ingest.checks import DEFAULT_MAX_PIXELS
    from pipeline.ingest.scan import frame_from_bytes

    files = sorted(p for p in args.flight.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    if not files:
        print(f"no JPEG frames under {args.flight}", file=sys.stderr)
        return 2
    blobs = [(p, p.read_bytes()) for p in files]
    n = len(files)
    mb = sum(len(b) for _, b in blobs) / 1e6
    print(f"{n} frames, {mb:.1f} MB, from {args.flight}\n")

    rows = []

    def read_metadata() -> None:
        for path, data in blobs:
            frame_from_bytes(path, data, "", max_pixels=DEFAULT_MAX_PIXELS, require_gps=True)

    t_meta = best_of(args.repeat, read_metadata)
    exiftool = shutil.which("exiftool")
    if exiftool:
        cmd = [exiftool, "-n", "-json", *map(str, files)]
        t_exiftool = best_of(
            args.repeat, lambda: subprocess.run(cmd, capture_output=True, check=True)
        )
        rows.append(("metadata: hehu EXIF+XMP", t_meta, "exiftool -n -json", t_exiftool, ">= 10x"))
    else:
        print("exiftool not found: apt-get install libimage-exiftool-perl (metadata row skipped)\n")

    t_scan = best_of(args.repeat, lambda: scan_flight(args.flight))
    sha = ["sha256sum", *map(str, files)]
    t_sha = best_of(args.repeat, lambda: subprocess.run(sha, capture_output=True, check=True))
    rows.append(("ingest: hehu scan_flight", t_scan, "sha256sum", t_sha, "<= 1.2x time"))

    print(f"{'measure':<26} {'img/s':>9} {'peer':<18} {'img/s':>9} {'speed-up':>9} "
          f"{'time ratio':>10}  target")  # fmt: skip
    for name, t, peer, t_peer, target in rows:
        print(
            f"{name:<26} {n / t:>9.1f} {peer:<18} {n / t_peer:>9.1f} "
            f"{t_peer / t:>8.2f}x {t / t_peer:>10.2f}  {target}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
