"""DJI XMP benchmark: reading a real frame's XMP packet (find + parse), in ms per frame.

Run:  .venv/bin/python bench/bench_xmp.py [FRAME.JPG] [--repeat N]

Prints the median time of ``read_dji_xmp`` on the bytes of one frame already in
memory, and the same for the floor of any scan: ``bytes.find`` of the packet's
closing tag over the same bytes. These machines are shared and noisy, so the
ratio means more than the milliseconds. Measured 2026-12 on brighton_beach's
DJI_0018.JPG (4.0 MB, FC300S): 0.08 ms a frame, 6x the floor (the packet lies in
the first 64 KiB; parsing it is most of the cost), far from the 2 ms a frame
that would begin to show beside hashing the file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_FRAME = REPO.parent / "shared" / "data" / "brighton_beach" / "DJI_0018.JPG"
SAMPLE_FLIGHT = REPO / "pipeline" / "data" / "sample_flight" / "brighton-beach"


def per_call_ms(fn: Callable[[], object], repeat: int, calls: int = 100) -> float:
    """Median over ``repeat`` rounds of the mean ms per call of ``calls`` calls."""
    fn()
    rounds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        rounds.append((time.perf_counter() - t0) * 1000 / calls)
    return statistics.median(rounds)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from pipeline.ingest.xmp import read_dji_xmp

    default = SHARED_FRAME if SHARED_FRAME.is_file() else min(SAMPLE_FLIGHT.glob("*.JPG"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("frame", nargs="?", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    data = args.frame.read_bytes()
    xmp = read_dji_xmp(data)
    if xmp is None:
        print(f"{args.frame}: no DJI XMP packet", file=sys.stderr)
        return 1
    read = per_call_ms(lambda: read_dji_xmp(data), args.repeat)
    floor = per_call_ms(lambda: data.find(b"</x:xmpmeta>"), args.repeat)
    print(f"{args.frame.name}: {len(data) / 1e6:.1f} MB, RelativeAltitude {xmp.rel_alt_m} m")
    print(f"read_dji_xmp   {read:8.3f} ms/frame")
    print(f"find (floor)   {floor:8.3f} ms/frame   read/floor {read / max(floor, 1e-9):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
