"""Decoding at the size used: libjpeg's DCT-reduced decode vs full decode + resize.

Run:  .venv/bin/python bench/detect/bench_decode.py [FLIGHT_DIR] [--model vehicles]

For each frame of the flight, the frame the model's tiles are cut from (its GSD
scale, ``plan_for``) is made two ways, in turns, best of ``--repeat``:

- full: ``decode_image`` at full size, then ``cv2.resize`` (INTER_AREA) to the scaled size;
- reduced: ``decode_image(reduce=f)`` with the largest ``f`` the model allows
  (``model_reduction``), then the same resize.

Printed: seconds a frame each way and their ratio, the mean absolute pixel
difference of the two scaled frames (grey levels), and the model's boxes on both
(count, and how many of the full-decode boxes the reduced decode finds at IoU ≥ 0.9).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FLIGHT = REPO.parent / "shared" / "data" / "brighton_beach"


def timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def scaled_by(decode, path: str, plan, reduce: int):
    """A call making the scaled frame from a decode at ``1 / reduce``."""
    from pipeline.detect.tiling import scale_frame

    return lambda: scale_frame(decode(path, reduce=reduce), plan)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("flight", type=Path, nargs="?", default=DEFAULT_FLIGHT)
    parser.add_argument("--model", default="vehicles")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from pipeline.config import load_config
    from pipeline.detect.engine import detect_frame, load_model, model_reduction, plan_for
    from pipeline.detect.metrics import box_iou
    from pipeline.ingest import scan_flight
    from pipeline.ingest.checks import decode_image
    from pipeline.run import _gsd

    config = load_config(None)
    model = load_model(args.model, backend="onnx")
    print(f"{'frame':<14}{'reduce':>7}{'full s':>8}{'reduced s':>10}{'ratio':>7}"
          f"{'px diff':>9}{'boxes':>7}{'kept':>6}")  # fmt: skip
    totals = np.zeros(2)
    for meta in scan_flight(args.flight).frames:
        gsd = _gsd(meta, config.geo.ground_settings())
        plan = plan_for(model.card, (meta.height_px, meta.width_px), gsd)
        f = model_reduction(model, plan)
        full_s, full = timed(scaled_by(decode_image, meta.path, plan, 1), args.repeat)
        red_s, red = timed(scaled_by(decode_image, meta.path, plan, f), args.repeat)
        totals += (full_s, red_s)
        diff = float(np.abs(full.astype(np.int16) - red.astype(np.int16)).mean())
        hw = (meta.height_px, meta.width_px)
        a = detect_frame(decode_image(meta.path), [model], gsd_cm_per_px=gsd)[model.name]
        b = detect_frame(decode_image(meta.path, reduce=f), [model], gsd_cm_per_px=gsd,
                         frame_hw=hw)[model.name]  # fmt: skip
        kept = 0
        if len(a.detections) and len(b.detections):
            kept = int((box_iou(a.detections.xyxy_px, b.detections.xyxy_px).max(1) >= 0.9).sum())
        print(f"{Path(meta.path).name:<14}{f:>7}{full_s:>8.3f}{red_s:>10.3f}{full_s / red_s:>7.2f}"
              f"{diff:>9.2f}{len(a.detections):>4}/{len(b.detections):<3}{kept:>5}")  # fmt: skip
    print(f"total: full {totals[0]:.2f} s, reduced {totals[1]:.2f} s "
          f"({totals[0] / totals[1]:.2f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
