"""``hehu detect IMAGE...``: 四乱 candidates in drone frames, tiled, with ground positions."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``detect`` and ``eval``: where models and the taxonomy live, backend."""
    parser.add_argument(
        "--models-dir", type=Path, default=None, help="model folders (default: ./models)"
    )
    parser.add_argument(
        "--taxonomy",
        type=Path,
        default=None,
        help="四乱 taxonomy YAML (default: configs/taxonomy.yaml)",
    )
    parser.add_argument(
        "--backend",
        choices=("onnx", "openvino", "torch"),
        default="onnx",
        help="runtime (default: onnx, faster on CPU)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="tiles per network run (default: the engine's, measured best on a CPU)",
    )


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "detect",
        help="detect 四乱 candidates in images",
        description="Run every enabled detector (or --model) on full-resolution frames, tiled. "
        "Geotagged frames are rescaled to each model's training ground resolution and "
        "their boxes placed on the ground (centre lat/lon, area m²).",
    )
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument(
        "--model", action="append", metavar="NAME", help="run only this model (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--gsd", type=float, default=None, metavar="CM_PER_PX", help="override the frames' GSD"
    )
    p.add_argument(
        "--no-geo", action="store_true", help="ignore geotags: native scale, no ground fields"
    )
    add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.detect.engine import load_models
    from pipeline.detect.image_file import detect_image_file
    from pipeline.detect.slicer import DEFAULT_BATCH
    from pipeline.detect.taxonomy import load_taxonomy
    from pipeline.errors import BadInputError

    taxonomy = load_taxonomy(args.taxonomy)
    models = load_models(
        taxonomy, models_dir=args.models_dir, names=args.model, backend=args.backend,
        batch_size=args.batch or DEFAULT_BATCH, skip_missing=not args.model,
    )  # fmt: skip
    reports, failed = [], []
    for path in args.images:
        try:
            report = detect_image_file(
                path, models, taxonomy=taxonomy, gsd_cm_per_px=args.gsd, use_geotag=not args.no_geo
            )
        except BadInputError as e:
            log.warning("set aside %s: %s", path, e)
            failed.append({"path": str(path), "reason": str(e)})
            continue
        reports.append(report)
        if not args.json:
            print(_text(report.to_dict()))
    if args.json:
        doc = {
            "models": [m.name for m in models],
            "images": [r.to_dict() for r in reports],
            "set_aside": failed,
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    return 1 if failed else 0


def _text(doc: dict[str, Any]) -> str:
    from pipeline.flight import DROPPED_WHY

    gsd = f"{doc['gsd_cm_per_px']:.2f} cm/px" if doc["gsd_cm_per_px"] else "native scale"
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in doc["seconds"].items())
    water = "" if doc["water_fraction"] is None else f"  water {doc['water_fraction']:.0%}"
    head = f"{doc['path']}  {doc['width_px']}×{doc['height_px']}  {doc['band']}  {gsd}{water}"
    lines = [f"{head}  ({timing})"]
    for name, status in doc["models"].items():
        if status["skipped"]:
            lines.append(f"  {name:<13} skipped: {status['skipped']}")
            continue
        for field, why in DROPPED_WHY.items():
            if status[field]:
                lines.append(f"  {name:<13} {status[field]} box(es) {why} not kept")
    for d in doc["detections"]:
        sub = f"{d['subtype']} {d['subtype_zh'] or ''}".strip() if d["subtype"] else "-"
        box = ",".join(f"{v:.0f}" for v in d["xyxy_px"])
        where = (
            f"  {d['lat_deg']:.6f},{d['lon_deg']:.6f}  {d['area_m2']:.1f} m²"
            if "lat_deg" in d
            else ""
        )
        lines.append(f"  {d['model']:<13} {d['class']:<10} {d['conf']:.2f}  [{box}]  {sub}{where}")
    if not doc["detections"]:
        lines.append("  no detections")
    return "\n".join(lines)
