"""An untrained YOLO11n model folder with a valid card, for tests and benchmarks.

Real detectors come from ``hehu train``. This builds ``yolo11n.yaml`` with
random (seeded) weights, so the whole inference path — card, sha256 checks,
both backends, tiling — can run before any trained weights exist. Its boxes
mean nothing. Needs torch and ultralytics (imported inside).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.detect.card import CARD_FILE, load_card, sha256_file

VEHICLE_CLASSES = ("car", "truck", "bus", "minibus", "cyclist")


def write_untrained_model(
    models_dir: Path | str,
    name: str = "untrained",
    *,
    classes: tuple[str, ...] = VEHICLE_CLASSES,
    class_map: dict[str, str | None] | None = None,
    seed: int = 0,
    tile_px: int = 640,
    overlap_frac: float = 0.2,
    train_gsd_cm_per_px: float | None = None,
    conf: float = 0.25,
    iou: float = 0.5,
) -> Path:
    """Write ``models_dir/name/{best.pt, best.onnx, card.yaml}``; return the folder.

    The ONNX file is exported with a dynamic batch axis and without onnxslim
    (``dynamic=True, simplify=False``), offline.
    """
    from pipeline.ultra import import_ultralytics

    import_ultralytics()
    import torch
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    folder = Path(models_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    yolo = YOLO("yolo11n.yaml")
    net = DetectionModel("yolo11n.yaml", nc=len(classes), verbose=False)
    net.names = dict(enumerate(classes))
    yolo.model = net  # type: ignore[assignment]
    yolo.save(str(folder / "best.pt"))
    onnx_path = Path(
        YOLO(str(folder / "best.pt")).export(
            format="onnx", dynamic=True, simplify=False, imgsz=tile_px, verbose=False
        )
    )
    if onnx_path != folder / "best.onnx":
        onnx_path.replace(folder / "best.onnx")
    card = _card_dict(
        name, classes, class_map, tile_px, overlap_frac, train_gsd_cm_per_px, conf, iou, seed
    )
    card["weights"] = {
        fmt: {"file": f"best.{fmt}", "sha256": sha256_file(folder / f"best.{fmt}")}
        for fmt in ("pt", "onnx")
    }
    _write_yaml(folder / CARD_FILE, card)
    load_card(folder.parent, name)  # the card must load
    return folder


def _card_dict(
    name: str,
    classes: tuple[str, ...],
    class_map: dict[str, str | None] | None,
    tile_px: int,
    overlap_frac: float,
    gsd: float | None,
    conf: float,
    iou: float,
    seed: int,
) -> dict[str, Any]:
    return {
        "name": name,
        "version": 1,
        "description": (
            f"UNTRAINED yolo11n (random weights, seed {seed}) for tests and benchmarks; "
            f"detects nothing real."
        ),
        "architecture": "yolo11n.yaml",
        "classes": list(classes),
        "class_map": dict(class_map or {c: None for c in classes}),
        "input_size_px": tile_px,
        "train_gsd_cm_per_px": gsd,
        "tile": {"size_px": tile_px, "overlap_frac": overlap_frac},
        "thresholds": {"conf": conf, "iou": iou},
        "licence": {
            "weights": "AGPL-3.0-only",
            "note": "random weights of an ultralytics architecture (AGPL-3.0), learnt nothing",
            "initial_weights": None,
            "data": [],
        },
        "training": {"data": None, "epochs": 0, "imgsz": tile_px, "device": "none", "seed": seed},
        "metrics": {},
    }


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    import yaml

    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
