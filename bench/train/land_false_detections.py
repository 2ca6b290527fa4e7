"""False detections per frame of a water-only model on land frames it never saw.

Runs the tiled engine (ONNX Runtime, native scale unless --gsd) of one or more model
folders over frames that hold none of the model's objects, at the card's confidence
threshold and without any water gating, and prints detections per frame:

    .venv/bin/python bench/train/land_false_detections.py \
        --models models .hehu/out-coco --model river-debris \
        --frames '../shared/data/aerial-cars/DJI-00760-*.jpg' \
                 '../shared/data/aerial-cars/DJI_001[02].JPG'

Each entry of --models is a models folder holding NAME/card.yaml: the shipped weights
against a candidate trained elsewhere.
"""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", type=Path, required=True, help="models folders")
    p.add_argument("--model", required=True, help="model name (folder under each --models)")
    p.add_argument("--frames", nargs="+", required=True, help="image paths or globs")
    p.add_argument("--gsd", type=float, default=None, help="the frames' cm/px (default native)")
    args = p.parse_args()

    from pipeline.detect.engine import detect_file, load_model

    frames = sorted({Path(f) for pattern in args.frames for f in glob.glob(pattern)})
    if not frames:
        raise SystemExit(f"no frames match {args.frames}")
    out = {}
    for models_dir in args.models:
        model = load_model(args.model, models_dir=models_dir)  # card's conf, no taxonomy
        counts = [
            len(detect_file(f, [model], gsd_cm_per_px=args.gsd)[model.name].detections)
            for f in frames
        ]
        out[str(models_dir)] = {
            "version": model.card.version,
            "conf": model.card.thresholds.conf,
            "frames": len(frames),
            "detections": sum(counts),
            "per_frame": round(sum(counts) / len(frames), 2),
            "by_frame": {f.name: n for f, n in zip(frames, counts, strict=True)},
        }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
