"""``hehu eval --data DIR``: precision, recall and mAP of a detector on a YOLO-format folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pipeline.cli.detect import add_model_options


def confidence(text: str) -> float:
    """A confidence threshold strictly between 0 and 1 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "eval",
        help="measure a detector on a labelled YOLO folder",
        description="Run the full tiled engine (native scale) over a YOLO-format folder "
        "(images, .txt labels, class names from data.yaml, else classes.txt, else *.names) "
        "and print precision, recall, mAP50 and mAP50-95 overall and per class. "
        "AP uses COCO 101-point interpolation; P/R are at IoU 0.5 and the confidence "
        "threshold in use (the taxonomy's conf for the model, else its card's; "
        "--conf to try another).",
    )
    p.add_argument(
        "--model", metavar="NAME", help="model to measure (default: the taxonomy's default_model)"
    )
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="YOLO-format folder")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N images")
    p.add_argument("--ap", choices=("coco101", "all"), default="coco101", help="AP interpolation")
    p.add_argument(
        "--gsd", type=float, default=None, metavar="CM_PER_PX",
        help="the folder's ground resolution, when known (default: native scale)",
    )  # fmt: skip
    p.add_argument(
        "--conf", type=confidence, default=None, metavar="C",
        help="report precision and recall at this confidence (default: the one in use)",
    )  # fmt: skip
    add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.detect.engine import load_model
    from pipeline.detect.evaluate import EVAL_CONF, evaluate_folder
    from pipeline.detect.metrics import format_table
    from pipeline.detect.slicer import DEFAULT_BATCH
    from pipeline.detect.taxonomy import load_taxonomy
    from pipeline.detect.yolo_data import open_folder

    taxonomy = load_taxonomy(args.taxonomy)
    name = args.model or taxonomy.default_model
    folder = open_folder(args.data)
    model = load_model(
        name, models_dir=args.models_dir, backend=args.backend,
        batch_size=args.batch or DEFAULT_BATCH, conf=EVAL_CONF, taxonomy=taxonomy,
    )  # fmt: skip
    conf = args.conf if args.conf is not None else taxonomy.conf(name)
    result = evaluate_folder(
        model, folder, limit=args.limit, method=args.ap, gsd_cm_per_px=args.gsd, conf=conf
    )
    if args.json:
        print(
            json.dumps(
                {"model": name, "data": str(args.data), **result.to_dict()}, ensure_ascii=False
            )
        )
    else:
        print(format_table(result, title=f"{name} on {args.data} ({args.backend})"))
    return 0
