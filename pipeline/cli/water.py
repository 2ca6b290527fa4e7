"""``hehu water``: train and measure the water estimate that gates water-only models."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "water",
        help="train or apply the water estimate (gates models with surface: water)",
        description="The per-cell water estimate that keeps water-only detectors (floating "
        "garbage) off land. `train` fits it from the weakly labelled sources in "
        "models/water/train.yaml and measures it on the held-out ones, including the "
        "hand-drawn masks in models/water/masks.yaml; `show` writes a frame with its water "
        "cells tinted blue.",
    )
    sub = p.add_subparsers(dest="water_command", metavar="ACTION", required=True)
    t = sub.add_parser("train", help="train on the recipe's sources, measure, write the card")
    t.add_argument(
        "--data", type=Path, required=True, metavar="DIR",
        help="folder holding the data sets the recipe names (e.g. ../shared/data)",
    )  # fmt: skip
    t.add_argument("--recipe", type=Path, default=None, help="default: MODELS/water/train.yaml")
    t.add_argument("--out", type=Path, default=None, help="default: the models folder")
    t.set_defaults(func=run_train)
    s = sub.add_parser("show", help="write IMAGE with its water cells tinted, print the share")
    s.add_argument("image", type=Path)
    s.add_argument("--out", type=Path, required=True, help="PNG or JPEG to write")
    s.add_argument("--models-dir", type=Path, default=None)
    s.set_defaults(func=run_show)


def run_train(args: argparse.Namespace) -> int:
    from pipeline.detect.engine import default_models_dir
    from pipeline.train.water import train_and_measure

    out = args.out or default_models_dir()
    recipe = args.recipe or out / "water" / "train.yaml"
    metrics = train_and_measure(recipe, args.data, out / "water")
    for name, m in metrics.items():
        m = {k: v for k, v in m.items() if k != "per_frame"}
        print(f"{name}: {json.dumps(m)}")
    print(f"wrote {out / 'water' / 'card.yaml'}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from pipeline.detect.engine import decode_frame, default_models_dir
    from pipeline.detect.water import estimate_water, load_water_model

    image = decode_frame(args.image)
    water = estimate_water(image, load_water_model(args.models_dir or default_models_dir()))
    mask = cv2.resize(water.water.astype(np.uint8), image.shape[1::-1],
                      interpolation=cv2.INTER_NEAREST).astype(bool)  # fmt: skip
    tinted = image.copy()
    tinted[mask] = (0.55 * tinted[mask] + 0.45 * np.array([255, 80, 0])).astype(np.uint8)
    if not cv2.imwrite(str(args.out), tinted):
        from pipeline.errors import HehuError

        raise HehuError(f"cannot write {args.out}: use a .png or .jpg name in a writable folder")
    print(f"{args.image}: {water.fraction:.1%} water -> {args.out}")
    return 0
