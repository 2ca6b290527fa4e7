"""New changes (新增变化) filed in a ledger on real "two dates": how many reach the queue.

The pairs and truths of :mod:`bench_change` (``../shared/data/aerial-cars``: consecutive
frames of two DJI videos, every vehicle boxed; true changes are vehicle boxes with no
counterpart, IoU under 0.1, in the other frame). Each pair's two frames are pushed as two
flights; the later frame's changed regions (:func:`pipeline.change.compare.compare`,
``norm``; :func:`pipeline.change.regions.change_regions`) at least ``--min-area`` m² are
filed as 新增变化 candidates (:func:`pipeline.ledger.changes.file_changes`) with their
watermarked before/after pictures, then filed again (nothing new must be filed). The
frames carry no geotag: each pair is placed 1 km from the others (a region's position is
its centroid's offset from the frame centre, GSD from the cars: median long side 4.5 m),
and no zone is loaded, so every region counts (the office's zones would drop some).

For each minimum area: changes filed per pair (mean, max), how many touch a true change,
a vehicle present in both frames (a moved car), or no vehicle at all (a false alarm), and
what a second filing adds.

    YOLO_OFFLINE=1 python bench/change/bench_change_filing.py            # 3 and 100 m²
    YOLO_OFFLINE=1 python bench/change/bench_change_filing.py --min-area 100

On 2026-12-04 (2 shared CPU cores), 28 pairs, all registered, 16 s for both runs:

- min area 3 m² (car scale): 486 changes filed, 17.4 a pair (median 16, max 42, one pair
  with none); of the 487 regions 324 touch a true change, 78 a vehicle in both frames (a
  car that moved less than its length), 85 no vehicle (0.83 touch a vehicle); one region
  fell on a change filed just before (not filed); filing again added none; 1.4 s for the
  28 transactions (median 43 ms).
- min area 100 m² (the offices' rule, the default): 6 filed in 28 pairs (22 pairs none,
  at most 1 a pair), all 6 on true changes (several cars come or gone together); filing
  again added none. A car is about 8-10 m²: single vehicles never reach the queue.

The pairs are frames of one video seconds apart: same light and season, so these say
nothing of precision on real revisits (why ``recheck.changes`` is off by default).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from bench_change import DATA, truth_of, video_pairs  # noqa: E402
from bench_recheck_ledger import frame_meta, registered_pair  # noqa: E402

M_PER_DEG = 111_195.0


def touches(box, boxes) -> bool:
    if not len(boxes):
        return False
    b = np.asarray(box)[None]
    lo, hi = np.maximum(b[:, :2], boxes[:, :2]), np.minimum(b[:, 2:], boxes[:, 2:])
    return bool(np.any(np.all(hi > lo, axis=1)))


def picture(old, new, reg, region, out: Path, name: str) -> tuple[str, str]:
    import cv2

    from pipeline.change.recheck import before_after
    from pipeline.change.register import apply_h
    from pipeline.evidence_crops import with_watermark
    from pipeline.fileio import write_atomic

    x0, y0, x1, y1 = region.xyxy_px
    corners = apply_h(reg.new_to_old, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    box = (*corners.min(axis=0).tolist(), *corners.max(axis=0).tolist())
    image = with_watermark(before_after(old, new, reg, tuple(box)), f"{name} | change")
    data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    path = out / f"{name}.jpg"
    write_atomic(path, data)
    return str(path), hashlib.sha256(data).hexdigest()


def pair_changes(k, pa, pb, min_area, out) -> tuple[list, dict[str, int]]:
    """The pair's change records and how its regions score against the vehicle boxes."""
    from pipeline.change.compare import compare
    from pipeline.change.regions import change_regions
    from pipeline.ledger.changes import ChangeRecord

    old, new, hw, box_old, box_new, gsd, reg = registered_pair(pa, pb)
    if not reg.ok:
        return [], {"unregistered": 1}
    truth, neutral, _ = truth_of(box_old, box_new, reg, hw)
    cmp = compare(old, new, reg.new_to_old, gsd_cm_per_px=gsd)
    regions = change_regions(cmp, gsd_cm_per_px=gsd, min_area_m2=min_area)
    lat0, lon0 = 20.0 + 0.01 * k, 100.0
    new_sha, old_sha = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (pb, pa))
    records, score = [], {"true change": 0, "moved vehicle": 0, "no vehicle": 0}
    for j, r in enumerate(regions):
        kind = ("true change" if touches(r.xyxy_px, truth)
                else "moved vehicle" if touches(r.xyxy_px, neutral) else "no vehicle")  # fmt: skip
        score[kind] += 1
        east = (r.centroid_px[0] - hw[1] / 2) * gsd / 100
        north = -(r.centroid_px[1] - hw[0] / 2) * gsd / 100
        lat = lat0 + north / M_PER_DEG
        lon = lon0 + east / (M_PER_DEG * math.cos(math.radians(lat0)))
        path, sha = picture(old, new, reg, r, out, f"{pb.stem}-{j:03d}")
        records.append(ChangeRecord(new_sha, old_sha, r.xyxy_px, r.area_m2, lat, lon,
                                    reg.residual_px, path, sha))  # fmt: skip
    return records, score


def run(min_area: float, max_gap: int) -> None:
    from pipeline.ledger.changes import file_changes
    from pipeline.ledger.config import LedgerConfig
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight

    work = Path(tempfile.mkdtemp(prefix="change-filing-"))
    engine = make_engine(f"sqlite:///{work / 'ledger.sqlite'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    per_pair, again, on_open, file_s = [], 0, 0, []
    totals = {"true change": 0, "moved vehicle": 0, "no vehicle": 0, "unregistered": 0}
    pairs = video_pairs(DATA / "aerial-cars", max_gap)
    for k, (pa, pb) in enumerate(pairs):
        for key, path in ((f"before-{k}", pa), (f"after-{k}", pb)):
            push_flight(session_factory=factory, flight=FlightRef(key, path.stem),
                        frames=[frame_meta(path, (1080, 1920))], detections=[])  # fmt: skip
        records, score = pair_changes(k, pa, pb, min_area, work)
        for name, n in score.items():
            totals[name] += n
        t = time.perf_counter()
        filed = file_changes(session_factory=factory, flight_key=f"after-{k}", changes=records,
                             zones=(), cfg=LedgerConfig())  # fmt: skip
        file_s.append(time.perf_counter() - t)
        per_pair.append(len(filed.filed))
        on_open += len(records) - len(filed.filed) - filed.already
        second = file_changes(session_factory=factory, flight_key=f"after-{k}", changes=records,
                              zones=(), cfg=LedgerConfig())  # fmt: skip
        again += len(second.filed)
    n = np.array(per_pair)
    print(f"min area {min_area:g} m²: {len(pairs)} pairs, {n.sum()} changes filed "
          f"(per pair mean {n.mean():.1f}, median {np.median(n):.0f}, max {n.max()}; "
          f"pairs with none {(n == 0).sum()}); not filed, on an open issue (an earlier "
          f"change of the pair): {on_open}; filed again: {again} new")  # fmt: skip
    print(f"  regions: {totals}")
    print(f"  filing: {sum(file_s):.2f} s for {len(file_s)} transactions "
          f"(median {1000 * np.median(file_s):.0f} ms); ledger {work}")  # fmt: skip
    engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--min-area", type=float, action="append", help="m² (default: 3 and 100)")
    p.add_argument("--max-gap", type=int, default=10, help="frames apart at most in a pair")
    args = p.parse_args()
    if not (DATA / "aerial-cars").is_dir():
        sys.exit(f"no {DATA / 'aerial-cars'}: this benchmark needs ../shared/data")
    for area in args.min_area or [3.0, 100.0]:
        run(area, args.max_gap)


if __name__ == "__main__":
    main()
