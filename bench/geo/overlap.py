"""The same ground feature located from two frames: how far apart, per ground source.

Consecutive frames of a flight (capture order) that overlap are matched (ORB
tie points with a RANSAC homography, :func:`pipeline.geo.matching.tie_points`,
on frames reduced to 1000 px). Each side of every tie point is placed on the
ground from its own frame alone, with the yaw correction ``hehu run`` applies,
and the distance between the two places measures the whole chain: GPS,
height, attitude, intrinsics and the ground model.

Each pair is placed twice where the frames allow it: on the ground each frame
chooses (``geo`` config: a DEM where it covers the frame, else the plane
through a valid laser target, else flat ground at take-off height), and on flat
ground for comparison. Pairs are grouped by the ground both frames used. Prints
per group the pairs, tie points, the median over pairs of each pair's median
disagreement, and the 90th percentile over all tie points::

    YOLO_OFFLINE=1 python bench/geo/overlap.py ../shared/data/brighton_beach
    YOLO_OFFLINE=1 python bench/geo/overlap.py FLIGHT_DIR --config my-hehu.yaml

Brighton has no laser and no DEM: every pair is "flat" (15 pairs, 3,597 tie
points, median 0.95 m, 90th percentile 2.11 m on 2026-12-03). An H20T or M30T
flight with laser ranges shows "laser" beside its "flat" alternative (the same
pairs on flat ground).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WORK_WIDTH_PX = 1000
MIN_TIE_POINTS = 30


def _gray(path: str):
    import cv2

    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    scale = image.shape[1] / WORK_WIDTH_PX
    return cv2.resize(image, None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_AREA), scale


def _distances(frame_a, frame_b, uv_a, uv_b, settings) -> tuple[str, np.ndarray] | None:
    from pipeline.errors import HehuError
    from pipeline.geo.coords import haversine_m
    from pipeline.geo.georef import georeference
    from pipeline.geo.laser import frame_ground

    try:
        sources = {frame_ground(f.meta, settings)[1].source for f in (frame_a, frame_b)}
        ga = georeference(frame_a.meta, yaw_offset_deg=frame_a.yaw_offset_deg, settings=settings)
        gb = georeference(frame_b.meta, yaw_offset_deg=frame_b.yaw_offset_deg, settings=settings)
    except HehuError:
        return None
    pa, pb = ga.locate(uv_a), gb.locate(uv_b)
    ok = pa.hit & pb.hit
    source = sources.pop() if len(sources) == 1 else "mixed"
    return source, haversine_m(pa.lat_deg[ok], pa.lon_deg[ok], pb.lat_deg[ok], pb.lon_deg[ok])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("flight_dir", type=Path)
    parser.add_argument("--config", default=None, help="hehu config (its geo section)")
    args = parser.parse_args()

    from pipeline.config import load_config
    from pipeline.geo.matching import tie_points
    from pipeline.run import check_flight_yaw, plan_flight

    config = load_config(args.config)
    plan = check_flight_yaw(plan_flight(args.flight_dir, config), config)
    chosen = plan.ground
    flat = dataclasses.replace(chosen, use_laser=False, dem_path=None)
    groups: dict[str, list[np.ndarray]] = defaultdict(list)
    for frame_a, frame_b in zip(plan.frames, plan.frames[1:], strict=False):
        (gray_a, scale_a), (gray_b, scale_b) = _gray(frame_a.meta.path), _gray(frame_b.meta.path)
        try:
            uv_a, uv_b = tie_points(gray_a, gray_b, scale_a=scale_a, scale_b=scale_b)
        except Exception:  # no overlap, too few features: not a pair
            continue
        if len(uv_a) < MIN_TIE_POINTS:
            continue
        placed = _distances(frame_a, frame_b, uv_a, uv_b, chosen)
        if placed is not None:
            groups[placed[0]].append(placed[1])
            if placed[0] != "flat":
                alt = _distances(frame_a, frame_b, uv_a, uv_b, flat)
                if alt is not None:
                    groups[f"flat (same pairs as {placed[0]})"].append(alt[1])
    print(f"{'ground':<30}{'pairs':>6}{'tie points':>11}{'median m':>10}{'p90 m':>8}")
    for name, parts in sorted(groups.items()):
        d = np.concatenate(parts) if parts else np.array([])
        pair_medians = [float(np.median(p)) for p in parts if len(p)]
        if not len(d):
            continue
        print(f"{name:<30}{len(parts):>6}{len(d):>11}{np.median(pair_medians):>10.2f}"
              f"{np.percentile(d, 90):>8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
