"""Train a detector from chips, export ONNX, measure it on the held-out part.

:func:`train_model` runs the whole of ``hehu train``: chips
(:mod:`pipeline.train.prepare`), :func:`fit`, :func:`export_onnx`,
:func:`evaluate` and the card (:mod:`pipeline.train.card`). Each step is also
callable alone: the GPU run calls :func:`fit` on chips made here, and
``hehu train --weights best.pt`` finishes from weights trained elsewhere.

ultralytics is imported only inside these functions, through
:func:`pipeline.ultra.import_ultralytics` (offline, no ``$HOME``).
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import BadInputError
from pipeline.ultra import import_ultralytics

log = logging.getLogger(__name__)

FIT_INFO = "fit.json"


@dataclass(frozen=True)
class FitOptions:
    """How to train. ``time_h`` bounds the wall time (ultralytics ``time=``, hours)."""

    arch: str = "yolo11n.yaml"
    epochs: int = 100
    imgsz: int = 640
    device: str = "cpu"
    batch: int = 16
    workers: int = 2
    patience: int = 50
    time_h: float | None = None
    seed: int = 0
    cache: bool = False
    #: start from a COCO checkpoint (a name in :data:`~pipeline.train.init_weights.KNOWN_INITS`
    #: or a path to a YOLOv5 ``.pt``) instead of random weights; ``arch`` is then its own
    init: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fit(data_yaml: Path, run_dir: Path, opts: FitOptions) -> Path:
    """Train from the ``opts.arch`` yaml, or from ``opts.init``'s weights; return ``best.pt``.

    Writes the ultralytics run into ``run_dir`` and a ``fit.json`` beside
    ``best.pt`` saying what ran where (device name, epochs run, wall time,
    the starting checkpoint and how much of it transferred).
    """
    import_ultralytics()
    from ultralytics import YOLO

    run_dir = Path(run_dir).resolve()
    init_block = None
    if opts.init:
        start, init_block = _init_checkpoint(opts.init, data_yaml, run_dir)
        opts = replace(opts, arch=init_block["architecture"])
        model = YOLO(str(start))
    else:
        model = YOLO(opts.arch)
    args = {
        "data": str(Path(data_yaml).resolve()),
        "epochs": opts.epochs,
        "imgsz": opts.imgsz,
        "device": opts.device,
        "batch": opts.batch,
        "workers": opts.workers,
        "patience": opts.patience,
        "seed": opts.seed,
        "deterministic": False,
        "cache": opts.cache,
        "plots": False,
        "amp": False,  # the AMP self-check downloads weights; there is no network
        "project": str(run_dir.parent),
        "name": run_dir.name,
        "exist_ok": True,
        "verbose": False,
        **({"time": opts.time_h} if opts.time_h else {}),
        **opts.extra,
    }
    info = {
        "arch": opts.arch,
        "epochs_requested": opts.epochs,
        "time_limit_h": opts.time_h,
        "imgsz": opts.imgsz,
        "batch": opts.batch,
        "device": device_name(opts.device),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "versions": _versions(),
        **({"init": init_block} if init_block else {}),
        "train_args": {k: v for k, v in args.items() if k not in {"data", "project", "name"}},
    }
    # Written first, so that weights of a run stopped early still say how they began.
    weights_dir = run_dir / "weights"
    weights_dir.mkdir(parents=True, exist_ok=True)
    (weights_dir / FIT_INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
    started = time.monotonic()
    model.train(**args)
    wall_s = time.monotonic() - started
    best = weights_dir / "best.pt"
    if not best.is_file():
        raise BadInputError(f"training wrote no {best}: see the log above")
    rows = read_results(run_dir / "results.csv")
    info |= {"epochs_run": len(rows), "best_epoch": _best_epoch(rows), "wall_s": round(wall_s, 1)}
    (weights_dir / FIT_INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
    return best


def _init_checkpoint(spec: str, data_yaml: Path, run_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Write the starting checkpoint for ``spec`` beside ``run_dir``; (path, card block)."""
    import yaml

    from pipeline.train.init_weights import init_card_block, resolve_init, write_init_checkpoint

    init = resolve_init(spec)
    names = yaml.safe_load(Path(data_yaml).read_text(encoding="utf-8"))["names"]
    start = run_dir.parent / f"{run_dir.name}-init-{init.name}.pt"
    report = write_init_checkpoint(init, start, nc=len(names))
    return start, init_card_block(init, report)


def read_results(path: Path) -> list[dict[str, float]]:
    """Rows of ultralytics' ``results.csv`` (one per epoch), numbers as floats."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return [{k.strip(): _num(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _best_epoch(rows: list[dict[str, float]]) -> int | None:
    """Epoch with ultralytics' fitness (0.1 mAP50 + 0.9 mAP50-95 before 8.3.x; mAP50-95 now)."""
    key = "metrics/mAP50-95(B)"
    scored = [(r.get(key, float("nan")), int(r.get("epoch", i + 1))) for i, r in enumerate(rows)]
    scored = [s for s in scored if s[0] == s[0]]
    return max(scored)[1] if scored else None


def device_name(device: str) -> str:
    """A readable name of the training device (GPU model or CPU)."""
    import torch

    if device != "cpu" and torch.cuda.is_available():
        index = int(str(device).split(",")[0]) if str(device).split(",")[0].isdigit() else 0
        return f"{torch.cuda.get_device_name(index)} (cuda:{index})"
    import platform

    return f"CPU ({platform.processor() or platform.machine()})"


def _versions() -> dict[str, str]:
    import torch

    ultralytics = import_ultralytics()
    return {"torch": torch.__version__, "ultralytics": ultralytics.__version__}


def export_onnx(pt_path: Path, imgsz: int = 640) -> Path:
    """Export ``best.pt`` to ``best.onnx`` beside it: dynamic batch (and size), no simplifier."""
    import_ultralytics()
    from ultralytics import YOLO

    out = YOLO(str(pt_path)).export(
        format="onnx", imgsz=imgsz, dynamic=True, simplify=False, device="cpu", verbose=False
    )
    return Path(out)


def evaluate(
    pt_path: Path,
    data_yaml: Path,
    *,
    split: str = "test",
    imgsz: int = 640,
    device: str = "cpu",
    batch: int = 8,
    run_dir: Path | None = None,
) -> dict[str, Any]:
    """ultralytics ``val`` on one part of a chip dataset; card-shaped metrics.

    mAP is over all confidences (ultralytics' default conf 0.001, NMS IoU
    0.7); precision and recall are at the confidence of best mean F1.
    """
    import_ultralytics()
    from ultralytics import YOLO

    run_dir = Path(run_dir or Path(pt_path).parent / "eval")
    results = YOLO(str(pt_path)).val(
        data=str(Path(data_yaml).resolve()),
        split=split,
        imgsz=imgsz,
        device=device,
        batch=batch,
        plots=False,
        save_json=False,
        verbose=False,
        project=str(run_dir.parent.resolve()),
        name=run_dir.name,
        exist_ok=True,
        workers=0,
    )
    box = results.box
    per_class = {}
    for i, cls in enumerate(box.ap_class_index):
        p, r, ap50, ap = box.class_result(i)
        per_class[results.names[int(cls)]] = _rounded(
            map50=ap50, map50_95=ap, precision=p, recall=r
        )
    return {
        **_rounded(map50=box.map50, map50_95=box.map, precision=box.mp, recall=box.mr),
        "per_class": per_class,
    }


def _rounded(**values: float) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in values.items()}


def load_fit_info(pt_path: Path) -> dict[str, Any]:
    """``fit.json`` beside the weights, or ``{}``.

    For a run stopped before it finished (no ``wall_s`` yet), epochs and wall
    time come from the run's ``results.csv`` (ultralytics' ``time`` column).
    """
    path = Path(pt_path).parent / FIT_INFO
    if not path.is_file():
        return {}
    info = json.loads(path.read_text(encoding="utf-8"))
    if "wall_s" not in info:
        rows = read_results(Path(pt_path).parent.parent / "results.csv")
        wall = rows[-1].get("time") if rows else None
        info |= {
            "epochs_run": len(rows),
            "best_epoch": _best_epoch(rows),
            "wall_s": None if wall is None or wall != wall else round(wall, 1),
            "stopped_early": "the run was stopped by hand; these are the weights it had saved",
        }
    return info


def install_weights(pt_path: Path, model_dir: Path, imgsz: int = 640) -> tuple[Path, Path]:
    """Copy weights to ``model_dir/best.pt`` (optimizer stripped) and export ``best.onnx``."""
    import_ultralytics()
    from ultralytics.utils.torch_utils import strip_optimizer

    model_dir.mkdir(parents=True, exist_ok=True)
    dest = model_dir / "best.pt"
    if Path(pt_path).resolve() != dest.resolve():
        shutil.copyfile(pt_path, dest)
    if _has_optimizer(dest):  # a run stopped early keeps optimizer state: 3x the size
        strip_optimizer(dest)  # (not on stripped files: it re-stamps the date, changing the hash)
    onnx_path = export_onnx(dest, imgsz)
    if onnx_path.resolve() != (model_dir / "best.onnx").resolve():
        shutil.move(str(onnx_path), model_dir / "best.onnx")
    return dest, model_dir / "best.onnx"


def _has_optimizer(pt_path: Path) -> bool:
    import torch

    ckpt = torch.load(pt_path, map_location="cpu", weights_only=False)
    return isinstance(ckpt, dict) and ckpt.get("optimizer") is not None
