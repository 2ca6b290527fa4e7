"""Change between dates on real frames: registration, changes found, recheck verdicts.

Real "two dates": frames of the same streets from two DJI videos in
``../shared/data/aerial-cars`` (``DJI_0005-*``, ``DJI-00760-*``, 1920×1080, every
vehicle boxed). Each frame is paired with the next frame of its video at most
``--max-gap`` frames later. The pair is registered (new = later frame), the
earlier frame's vehicle boxes are mapped into the new frame, and the labels say
what changed:

- a vehicle box of one frame whose best IoU with the other frame's boxes is under
  0.1 is a true change (``gone`` if in the earlier frame, ``new`` if in the later);
- one whose best IoU is at least 0.5 is present in both (true ``still present``);
- in between (a car that moved less than its length) is left out of every count.

Changes found (:func:`pipeline.change.regions.change_regions`, min area ``--min-area``
m², car scale) are scored at object level: a true change is found when changed
regions cover at least 30 % of its box; a region is a false alarm when it touches
no vehicle box at all (regions on left-out cars count neither way). Recheck
verdicts (:func:`pipeline.change.recheck.recheck_box`, appearance only: no vehicle
detector ships with hehu) are scored on every earlier box that is a true "still
present" or "gone". The frames carry no geotag: their GSD is taken from the cars
(median long side of the car boxes = 4.5 m).

Synthetic cases on Brighton (``../shared/data/brighton_beach``): a frame warped by a
known homography, its light changed (gain 0.6, offset +25, gamma 1.3), with and
without a 12×8 m pasted patch; the residual against the known mapping, the
pasted patch's area found, and changes found under light change alone.

    YOLO_OFFLINE=1 python bench/change/bench_change.py
    YOLO_OFFLINE=1 python bench/change/bench_change.py --features sift --method norm+coco
    YOLO_OFFLINE=1 python bench/change/bench_change.py --only DJI-00760 --detector vehicles

On 2026-12-03 (2 CPU cores), 28 pairs, all registered:

- residual (``auto`` keeps ORB on every pair here): ORB median 0.92 px (max 1.02;
  0.05 m), 0.1 s a pair; SIFT median 0.29 px (max 0.67; 0.016 m), 1.2 s a pair;
  28/28 under the 2 px rule either way.
- changes (402 true, min area 3 m²): ``norm`` recall 0.81, precision 0.83;
  ``norm+coco`` recall 0.83, precision 0.86; ``gray`` 0.69 / 0.85; ``norm-gray``
  0.73 / 0.82. Min area 1 m²: 0.87 / 0.64; 6 m²: 0.70 / 0.90 (``norm``).
- recheck by appearance: 327 of 385 right (still present 0.89, gone 0.81; 36
  "cannot tell"), 0.94 of those decided. With the ``vehicles`` model on the
  DJI-00760 pairs, a video its training held out: 196 of 197 right (appearance
  alone on the same pairs: 163).
- Brighton synthetic: true mapping error 0.13 px (ORB), 0.01 px (SIFT); no region
  under the light change alone (``gray``: one region of 466 m²); the pasted 96 m²
  patch found as one region of 99 m² (``norm``), 98 m² (``norm+coco``).

- Brighton pairing (geotagged stills, odd frames against even ones, yaw check's
  corrections applied): 9 pairs, each new frame's best earlier frame covers 64-65 %
  of it; ``auto`` registers 8 (ORB 6, SIFT when ORB fails: 2) at 0.47-1.32 px
  (0.008-0.023 m), the geotags' prior 23-68 px off at the centre (0.4-1.2 m);
  DJI_0019 (surf and sand) does not register.

The pairs are consecutive video frames: the same light, so the real figures test
moving vehicles, not a change of season or sun; light is tested on Brighton only.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data"
CAR_LENGTH_M = 4.5
GONE_IOU, SAME_IOU, FOUND_COVER = 0.1, 0.5, 0.3


def video_pairs(folder: Path, max_gap: int) -> list[tuple[Path, Path]]:
    """Consecutive labelled frames of each video, at most ``max_gap`` frames apart."""
    frames: dict[str, list[tuple[int, Path]]] = {}
    for p in sorted(folder.glob("DJI[-_]0*-*.jpg")):
        m = re.match(r"(DJI[-_]\d+)-(\d+)$", p.stem)
        if m:
            frames.setdefault(m[1], []).append((int(m[2]), p))
    pairs = []
    for seq in frames.values():
        seq.sort()
        pairs += [(a, b) for (i, a), (j, b) in itertools.pairwise(seq) if j - i <= max_gap]
    return pairs


def labels(path: Path, hw: tuple[int, int]) -> np.ndarray:
    from pipeline.detect.yolo_data import read_labels

    _, xyxy = read_labels(path.with_suffix(".txt"), hw[1], hw[0], [str(i) for i in range(5)])
    return xyxy


def map_boxes(h: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
    """Boxes through a homography: bounding boxes of the mapped corners."""
    from pipeline.change.register import apply_h

    if not len(xyxy):
        return xyxy
    corners = np.stack([xyxy[:, [0, 1]], xyxy[:, [2, 1]], xyxy[:, [2, 3]], xyxy[:, [0, 3]]], 1)
    p = apply_h(h, corners.reshape(-1, 2)).reshape(-1, 4, 2)
    return np.concatenate([p.min(axis=1), p.max(axis=1)], axis=1)


def best_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from pipeline.detect.metrics import box_iou

    if not len(a):
        return np.zeros(0)
    return box_iou(a, b).max(axis=1) if len(b) else np.zeros(len(a))


def inside(xyxy: np.ndarray, hw: tuple[int, int], margin: float = 8.0) -> np.ndarray:
    return (xyxy[:, 0] >= margin) & (xyxy[:, 1] >= margin) & \
        (xyxy[:, 2] <= hw[1] - margin) & (xyxy[:, 3] <= hw[0] - margin)  # fmt: skip


def score_changes(mask_full, regions, truth, neutral, hw) -> tuple[int, int, int, int]:
    """``(found, truth changes, false regions, regions)`` at object level."""
    found = 0
    for x0, y0, x1, y1 in truth.astype(int):
        cut = mask_full[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)]
        found += bool(cut.size and cut.mean() >= FOUND_COVER)
    boxes = np.concatenate([truth, neutral]) if len(neutral) else truth
    false = 0
    for r in regions:
        rb = np.asarray(r.xyxy_px)[None]
        lo, hi = np.maximum(rb[:, :2], boxes[:, :2]), np.minimum(rb[:, 2:], boxes[:, 2:])
        touches = bool(len(boxes)) and bool(np.any(np.all(hi > lo, axis=1)))
        false += not touches
    return found, len(truth), false, len(regions)


def truth_of(box_old, box_new, reg, hw):
    """True changes, left-out boxes (new frame's pixels), and earlier boxes' true verdicts."""
    mapped = map_boxes(reg.old_to_new, box_old)
    keep_old = inside(mapped, hw)
    mapped, box_old = mapped[keep_old], box_old[keep_old]
    box_new = box_new[inside(box_new, hw)]
    io_old, io_new = best_iou(mapped, box_new), best_iou(box_new, mapped)
    truth = np.concatenate([mapped[io_old < GONE_IOU], box_new[io_new < GONE_IOU]])
    neutral = np.concatenate([mapped[io_old >= GONE_IOU], box_new[io_new >= GONE_IOU]])
    decided = (io_old < GONE_IOU) | (io_old >= SAME_IOU)
    verdicts = [
        (b, "gone" if i < GONE_IOU else "still present")
        for b, i in zip(box_old[decided], io_old[decided], strict=True)
    ]
    return truth.reshape(-1, 4), neutral.reshape(-1, 4), verdicts


def found_changes(old, new, reg, gsd, args):
    """Changed regions over the minimum area, and their mask at full resolution."""
    import cv2

    from pipeline.change.compare import compare
    from pipeline.change.regions import change_mask, change_regions

    cmp = compare(old, new, reg.new_to_old, method=args.method, gsd_cm_per_px=gsd,
                  sigma_m=args.sigma_m, work_px=args.work_px)  # fmt: skip
    regions = change_regions(
        cmp, gsd_cm_per_px=gsd, min_area_m2=args.min_area, threshold=args.threshold
    )
    size = (new.shape[1], new.shape[0])
    mask = change_mask(cmp, args.threshold).astype(np.uint8)
    mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    kept = np.zeros_like(mask)
    for r in regions:  # only regions over the minimum area count as found
        x0, y0, x1, y1 = (int(v) for v in r.xyxy_px)
        kept[y0:y1, x0:x1] = mask[y0:y1, x0:x1]
    return regions, kept


def run_pair(pa, pb, args, tally):
    import cv2

    from pipeline.change.recheck import recheck_box
    from pipeline.change.register import register_pair

    old, new = cv2.imread(str(pa)), cv2.imread(str(pb))
    hw = new.shape[:2]
    box_old, box_new = labels(pa, old.shape[:2]), labels(pb, hw)
    long_px = np.max(box_new[:, 2:] - box_new[:, :2], axis=1)
    gsd = 100.0 * CAR_LENGTH_M / float(np.median(long_px))
    t = time.perf_counter()
    gray_new, gray_old = (cv2.cvtColor(x, cv2.COLOR_BGR2GRAY) for x in (new, old))
    reg = register_pair(gray_new, gray_old, features=args.features, gsd_cm_per_px=gsd)
    tally["reg_s"].append(time.perf_counter() - t)
    if not reg.ok:
        tally["failed"].append(pb.stem)
        return
    tally["residual_px"].append(reg.residual_px)
    tally["residual_m"].append(reg.residual_m)
    truth, neutral, verdicts = truth_of(box_old, box_new, reg, hw)
    regions, kept = found_changes(old, new, reg, gsd, args)
    scores = score_changes(kept, regions, truth, neutral, hw)
    for k, v in zip(("found", "truth", "false", "regions"), scores, strict=True):
        tally[k].append(v)
    for box, want in verdicts if not getattr(args, "no_recheck", False) else []:
        got = recheck_box(old, new, reg, tuple(box), detector=args.loaded_detector).verdict
        tally["verdicts"].append((want, got))


def synthetic(args) -> dict[str, float]:
    """Brighton frame → warped, relit copy, with and without a pasted patch."""
    import cv2

    from pipeline.change.compare import compare, index_h
    from pipeline.change.regions import change_regions
    from pipeline.change.register import apply_h, register_pair
    from tests.change.scenes import relight  # the same light change as the tests

    frame = cv2.imread(str(DATA / "brighton_beach" / "DJI_0020.JPG"))
    frame = cv2.resize(frame, (2000, 1125), interpolation=cv2.INTER_AREA)
    gsd = 3.4  # cm/px: Brighton's ~1.7 cm/px at 4000 px, here halved
    old_to_new = np.array([[0.98, 0.05, 30.0], [-0.04, 0.99, -20.0], [2e-6, 1e-6, 1.0]])
    size = (frame.shape[1], frame.shape[0])
    new = relight(cv2.warpPerspective(frame, index_h(old_to_new), size, flags=cv2.INTER_LINEAR))
    out = {}
    for paste in (False, True):
        img = new.copy()
        if paste:  # a 12 × 8 m patch of bright red sheeting, seen at 3.4 cm/px
            w, h = round(1200 / gsd), round(800 / gsd)
            img[500 : 500 + h, 900 : 900 + w] = (40, 40, 200)
        gray = lambda x: cv2.cvtColor(x, cv2.COLOR_BGR2GRAY)  # noqa: E731
        reg = register_pair(gray(img), gray(frame), features=args.features, gsd_cm_per_px=gsd)
        grid = np.array(
            [(u, v) for u in range(200, 1800, 200) for v in range(200, 1000, 200)], float
        )
        truth = apply_h(np.linalg.inv(old_to_new), grid)
        err = np.linalg.norm(apply_h(reg.new_to_old, grid) - truth, axis=1)
        cmp = compare(
            frame, img, reg.new_to_old, method=args.method, gsd_cm_per_px=gsd, sigma_m=args.sigma_m
        )
        regions = change_regions(cmp, gsd_cm_per_px=gsd, min_area_m2=args.min_area_synthetic)
        key = "pasted" if paste else "light only"
        out[f"{key}: true error px (max over a grid)"] = float(err.max())
        out[f"{key}: residual px"] = reg.residual_px
        out[f"{key}: regions"] = len(regions)
        if paste:
            out["pasted: largest region m² (true 96)"] = regions[0].area_m2 if regions else 0.0
    return out


def brighton_pairs(args) -> None:
    """Geotagged stills: odd frames paired with even ones, registered, prior checked."""
    import cv2

    from pipeline.change.pairing import pair_frames, place_frames, prior_homography
    from pipeline.change.register import apply_h, register_pair
    from pipeline.geo.yaw_check import check_yaw, load_gray_reduced
    from pipeline.ingest.scan import scan_flight

    frames = scan_flight(DATA / "brighton_beach").frames
    offsets = {v.sha256: v.yaw_offset_deg for v in check_yaw(frames, load_gray_reduced)}
    pairs, _ = pair_frames(frames[1::2], frames[0::2], top_k=1, yaw_offsets=offsets)
    by = {f.path: f for f in frames}
    origin = (frames[1].gps.lat_deg, frames[1].gps.lon_deg)
    for p in pairs:
        new, old = (by[x] for x in (p.new_path, p.old_path))
        placed, _ = place_frames([new, old], origin, offsets)
        prior = prior_homography(*placed)
        gray_new, gray_old = (cv2.imread(f.path, cv2.IMREAD_GRAYSCALE) for f in (new, old))
        reg = register_pair(gray_new, gray_old, nadir=True, features=args.features,
                            gsd_cm_per_px=placed[1].gsd_cm_per_px)  # fmt: skip
        gap = math.nan
        if reg.ok and prior is not None:
            c = np.array([[new.width_px / 2, new.height_px / 2]])
            gap = float(np.linalg.norm(apply_h(reg.new_to_old, c) - apply_h(prior, c)))
        yaw = f"{offsets[new.sha256]:.0f}/{offsets[old.sha256]:.0f}"
        print(f"brighton {Path(p.new_path).name} ~ {Path(p.old_path).name}: share {p.share:.2f}, "
              f"{'registered' if reg.ok else 'not registered'} {reg.residual_px:.2f} px "
              f"({reg.residual_m or math.nan:.3f} m), geotags' prior off by {gap:.0f} px "
              f"(yaw offsets {yaw}) {reg.reason}")  # fmt: skip


def report(tally) -> None:
    res = np.array(tally["residual_px"])
    if not len(res):
        print("no aerial-cars pair registered")
        return
    print(f"pairs registered {len(res)}, failed {len(tally['failed'])} {tally['failed']}")
    print(f"  residual px: median {np.median(res):.2f}, max {res.max():.2f}; "
          f"under 2 px: {int((res < 2).sum())}/{len(res)}; "
          f"metres median {np.median(tally['residual_m']):.3f}; "
          f"{np.mean(tally['reg_s']):.2f} s a pair")  # fmt: skip
    found, truth, false, regions = (sum(tally[k]) for k in ("found", "truth", "false", "regions"))
    print(
        f"changes: {truth} true, {found} found → recall {found / max(truth, 1):.3f}; "
        f"{regions} regions, {false} on no vehicle → precision {1 - false / max(regions, 1):.3f}"
    )
    pairs = Counter(tally["verdicts"])
    for want in ("still present", "gone"):
        row = {got: n for (w, got), n in pairs.items() if w == want}
        total = sum(row.values())
        print(
            f"recheck, truly {want}: {total} boxes → {dict(sorted(row.items()))}; "
            f"accuracy {row.get(want, 0) / max(total, 1):.3f}"
        )
    decided = sum(n for (w, g), n in pairs.items() if g != "cannot tell")
    right = sum(n for (w, g), n in pairs.items() if g == w)
    print(
        f"recheck overall: {right}/{len(tally['verdicts'])} right, "
        f"{right}/{decided} of those decided ({right / max(decided, 1):.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "aerial-cars")
    parser.add_argument("--max-gap", type=int, default=10)
    parser.add_argument("--min-area", type=float, default=3.0, help="m², car scale")
    parser.add_argument("--min-area-synthetic", type=float, default=20.0)
    parser.add_argument("--features", choices=("auto", "orb", "sift"), default="auto")
    parser.add_argument(
        "--method", choices=("norm", "norm-gray", "gray", "coco", "norm+coco"), default="norm"
    )
    parser.add_argument("--threshold", type=float, default=1.0, help="change score threshold")
    parser.add_argument("--sigma-m", type=float, default=8.0, help="normalisation window, m")
    parser.add_argument("--work-px", type=int, default=1000, help="long side compared, px")
    parser.add_argument("--detector", default=None, help="model for recheck, e.g. vehicles")
    parser.add_argument("--only", default="", help="pairs whose names start with this")
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--no-brighton-pairs", action="store_true")
    args = parser.parse_args()
    keys = [
        "residual_px",
        "residual_m",
        "reg_s",
        "failed",
        "found",
        "truth",
        "false",
        "regions",
        "verdicts",
    ]
    tally: dict[str, list] = {k: [] for k in keys}
    args.loaded_detector = None
    if args.detector:
        from pipeline.detect.engine import load_model

        args.loaded_detector = load_model(args.detector, models_dir=ROOT / "models").detector
    for pa, pb in video_pairs(args.data, args.max_gap):
        if pa.stem.startswith(args.only):
            run_pair(pa, pb, args, tally)
    print(
        f"aerial-cars, {args.features} tie points, {args.method} comparison, "
        f"min area {args.min_area} m², threshold {args.threshold}"
    )
    report(tally)
    if not args.no_synthetic:
        for k, v in synthetic(args).items():
            print(f"brighton synthetic {k}: {v:.2f}")
    if not args.no_brighton_pairs:
        brighton_pairs(args)


if __name__ == "__main__":
    main()
