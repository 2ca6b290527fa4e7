"""Train one model from chips already cut (the GPU half of ``hehu train``).

Run on a machine that has the chips (``hehu train --chips-only`` writes them)
but maybe not the raw frames, pydantic or the ``hehu`` command: it reads the
recipe's ``train_args`` with plain YAML and calls :func:`pipeline.train.trainer.fit`.
``hehu train --weights RUN/weights/best.pt`` then finishes (ONNX, held-out
metrics, card) where the frames are.

    python3 bench/train/fit.py --model vehicles --data .cache/chips/vehicles/data.yaml \
        --run-dir /tmp/runs/vehicles --device 0 --batch 32 --time 0.09
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    import yaml

    from pipeline.train.trainer import FitOptions, fit

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--data", type=Path, required=True, help="chips data.yaml")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--recipe", type=Path, help="default: models/MODEL/train.yaml")
    p.add_argument("--arch", default="yolo11n.yaml")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--time", type=float, help="hours")
    p.add_argument("--patience", type=int, default=100)
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--device", default="0")
    p.add_argument("--workers", type=int, default=6)
    p.add_argument("--cache", action="store_true", help="hold decoded chips in RAM")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    recipe_path = (
        args.recipe or Path(__file__).resolve().parents[2] / "models" / args.model / "train.yaml"
    )
    recipe = (
        yaml.safe_load(recipe_path.read_text(encoding="utf-8")) if recipe_path.is_file() else {}
    )
    opts = FitOptions(
        arch=args.arch,
        epochs=args.epochs,
        imgsz=args.imgsz,
        device=args.device,
        batch=args.batch,
        workers=args.workers,
        patience=args.patience,
        time_h=args.time,
        cache=args.cache,
        extra=dict(recipe.get("train_args") or {}),
    )
    best = fit(args.data, args.run_dir, opts)
    print(json.dumps(json.loads((best.parent / "fit.json").read_text()), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
