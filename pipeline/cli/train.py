"""``hehu train --data DATA --model NAME``: train a detector and write its card.

DATA is a folder of images with YOLO labels (``class cx cy w h``, names in
``data.yaml``, else ``classes.txt``, else ``*.names``: the reader
:mod:`pipeline.detect.yolo_data` that ``hehu eval`` uses) or a COCO ``.json``. The
recipe ``OUT/NAME/train.yaml`` (or ``--recipe``) says the class map, the
ground resolution and which sources to hold out; without one the model trains
at native scale and the smallest sources are held out.

Writes ``OUT/NAME/best.pt``, ``best.onnx`` and ``card.yaml`` with the
held-out metrics. ``--weights`` skips training and finishes from weights
trained elsewhere on the same chips (``--chips-only`` writes those chips).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from pipeline.errors import BadInputError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a detector from labelled frames, write its model card")
    p.add_argument("--data", type=Path, required=True, help="YOLO folder or COCO .json")
    p.add_argument("--model", required=True, metavar="NAME", help="model name = folder under --out")
    p.add_argument(
        "--out", type=Path, default=Path("models"), help="models folder (default: models)"
    )
    p.add_argument(
        "--recipe", type=Path, help="recipe yaml (default: OUT/NAME/train.yaml if present)"
    )
    p.add_argument(
        "--arch", help="ultralytics architecture yaml (default: yolo11n.yaml; with --init its own)"
    )
    p.add_argument(
        "--init",
        metavar="NAME|PATH",
        help="start from COCO features: yolov5n-coco (../shared/weights/yolov5n-coco/yolov5n.pt "
        "or $HEHU_INIT_WEIGHTS_DIR, sha256 checked) or a YOLOv5 .pt; trains yolov5nu.yaml",
    )
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--time", type=float, metavar="HOURS", help="stop after this many hours")
    p.add_argument(
        "--patience", type=int, default=50, help="epochs without improvement before stopping"
    )
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu", help="cpu, or a CUDA index such as 0")
    p.add_argument("--workers", type=int, default=2, help="data loader processes")
    p.add_argument(
        "--work",
        type=Path,
        help="scratch folder for chips and runs (default: train/ in the state folder)",
    )
    p.add_argument("--weights", type=Path, help="finish from these weights instead of training")
    p.add_argument("--chips-only", action="store_true", help="write the chip datasets and stop")
    p.add_argument(
        "--no-engine-check",
        action="store_true",
        help="skip running the held-out frames whole through the tiled engine",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.state import state_dir
    from pipeline.train.trainer import FitOptions

    if not args.data.exists():
        raise BadInputError(f"--data {args.data}: no such folder or file")
    if args.weights is not None and not args.weights.is_file():
        raise BadInputError(f"--weights {args.weights}: no such file")
    arch = _arch(args)
    work = (args.work or state_dir() / "train").resolve()
    if args.chips_only:
        return _chips_only(args, work)
    from pipeline.train.workflow import train_model

    opts = FitOptions(
        arch=arch, init=args.init, epochs=args.epochs, imgsz=args.imgsz, device=str(args.device),
        batch=args.batch, workers=args.workers, patience=args.patience, time_h=args.time,
    )  # fmt: skip
    result = train_model(
        args.data, args.model, out_dir=args.out, work_dir=work, opts=opts,
        recipe_path=args.recipe, weights=args.weights, engine=not args.no_engine_check,
    )  # fmt: skip
    print(f"wrote {result.card_path} ({result.pt_path.name}, {result.onnx_path.name})")
    print(json.dumps(result.metrics, indent=1))
    return 0


def _arch(args: argparse.Namespace) -> str:
    """The architecture to train: ``--arch``, else the init checkpoint's, else yolo11n."""
    if args.init is None:
        return args.arch or "yolo11n.yaml"
    if args.weights is not None:
        raise BadInputError("--init starts a training and --weights skips it: give one of them")
    from pipeline.train.init_weights import resolve_init

    init_arch = resolve_init(args.init).arch
    if args.arch and args.arch != init_arch:
        raise BadInputError(
            f"--init {args.init} holds {init_arch} weights, not --arch {args.arch}: drop --arch"
        )
    return init_arch


def _chips_only(args: argparse.Namespace, work: Path) -> int:
    from pipeline.train.prepare import prepare
    from pipeline.train.recipe import find_recipe

    recipe = find_recipe(args.model, out_dir=args.out, explicit=args.recipe)
    prepared = prepare(args.data, recipe, work / "chips")
    print(f"training chips: {prepared.train_yaml}")
    print(f"held-out tiles: {prepared.held_out_yaml}")
    print(json.dumps(prepared.summary(), indent=1))
    return 0
