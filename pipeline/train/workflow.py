"""``hehu train`` end to end: recipe, chips, training, ONNX, held-out metrics, card."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.train.prepare import Prepared, prepare
from pipeline.train.recipe import RECIPE_FILE, Recipe, find_recipe, require_licence
from pipeline.train.trainer import FitOptions, evaluate, fit, install_weights, load_fit_info

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    card_path: Path
    pt_path: Path
    onnx_path: Path
    metrics: dict[str, Any]


def train_model(
    data: Path,
    name: str,
    *,
    out_dir: Path,
    work_dir: Path,
    opts: FitOptions,
    recipe_path: Path | None = None,
    weights: Path | None = None,
    engine: bool = True,
) -> TrainResult:
    """Chips from ``data``, train (unless ``weights`` are given), export, measure, write the card.

    ``weights``: finish from weights trained elsewhere (e.g. on a GPU from the
    same chips); their ``fit.json`` supplies the training facts for the card.
    ``engine``: also run the held-out frames whole through the tiled engine
    (:mod:`pipeline.train.engine_check`) into ``metrics.held_out_engine``.
    """
    from pipeline.train.card import build_card, write_card

    recipe = find_recipe(name, out_dir=out_dir, explicit=recipe_path)
    require_licence(recipe.licence, f"recipe {recipe_path or out_dir / name / RECIPE_FILE}")
    prepared = prepare(Path(data), recipe, work_dir / "chips")
    if weights is None:
        opts = FitOptions(**{**opts.__dict__, "extra": {**recipe.train_args, **opts.extra}})
        weights = fit(prepared.train_yaml, work_dir / "runs" / name, opts)
    model_dir = out_dir / name
    fit_info = load_fit_info(weights) or facts_from_card(model_dir, weights)
    pt_path, onnx_path = install_weights(weights, model_dir, opts.imgsz)
    metrics = evaluate(
        pt_path,
        prepared.held_out_yaml,
        imgsz=opts.imgsz,
        device=opts.device,
        run_dir=work_dir / "eval" / name,
    )
    held_out = {"data": held_out_description(prepared, recipe), **metrics}
    by_source = evaluate_by_source(pt_path, prepared, opts, work_dir / "eval" / name)
    card = build_card(
        recipe,
        prepared.class_names,
        pt_path=pt_path,
        onnx_path=onnx_path,
        architecture=fit_info.get("arch", opts.arch),
        input_size_px=opts.imgsz,
        training=training_block(prepared, recipe, fit_info, opts),
        held_out=held_out,
        held_out_by_source=by_source,
    )
    card_path = write_card(model_dir, card)
    if engine:
        from pipeline.train.engine_check import engine_check

        engine_metrics = engine_check(model_dir, prepared, work_dir / "engine-check" / name)
        if engine_metrics:
            card["metrics"]["held_out_engine"] = engine_metrics
            card_path = write_card(model_dir, card)
    return TrainResult(card_path, pt_path, onnx_path, metrics)


def facts_from_card(model_dir: Path, weights: Path) -> dict[str, Any]:
    """The training facts of the card already in ``model_dir``, if it describes these weights.

    Lets ``--weights models/NAME/best.pt`` refresh a card (new recipe text,
    metrics) without forgetting where and how long those weights were trained.
    """
    import yaml

    from pipeline.train.card import CARD_FILE, sha256_file

    path = model_dir / CARD_FILE
    if not path.is_file():
        return {}
    try:
        card = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if card["weights"]["pt"]["sha256"] != sha256_file(weights):
            return {}
        training = card["training"]
    except (yaml.YAMLError, KeyError, TypeError):
        return {}
    keys = {
        "arch": "architecture",
        "epochs_run": "epochs",
        "best_epoch": "best_epoch",
        "time_limit_h": "time_limit_h",
        "imgsz": "imgsz",
        "batch": "batch",
        "device": "device",
        "wall_s": "wall_s",
        "date": "date",
        "versions": "versions",
        "init": "init",
    }
    return {k: training[v] for k, v in keys.items() if v in training}


def evaluate_by_source(
    pt_path: Path, prepared: Prepared, opts: FitOptions, run_root: Path
) -> dict[str, Any]:
    """Held-out metrics of each held-out source alone (when there are several)."""
    from pipeline.train.chips import per_source_yamls

    yamls = per_source_yamls(prepared.held_out_yaml, "test")
    if len(yamls) < 2:
        return {}
    return {
        source: evaluate(
            pt_path, path, imgsz=opts.imgsz, device=opts.device, run_dir=run_root / f"by-source-{i}"
        )
        for i, (source, path) in enumerate(yamls.items())
    }


def held_out_description(prepared: Prepared, recipe: Recipe) -> str:
    summary = prepared.summary()["test"]
    scale = (
        f"{recipe.train_gsd_cm_per_px:g} cm/px" if recipe.train_gsd_cm_per_px else "native scale"
    )
    counts = ", ".join(f"{n} {k}" for k, n in summary["instances"].items() if n)
    return (
        f"held-out sources {summary['sources']} ({summary['frames']} frames) cut into "
        f"{summary['chips']} tiles of {recipe.tile.size_px} px at {scale}, overlap "
        f"{recipe.tile.overlap_frac:g}, as the engine tiles a frame ({counts} box instances, "
        f"objects on tile overlaps counted in each tile); ultralytics val: mAP over all "
        f"confidences, precision/recall at the best-F1 confidence"
    )


def training_block(
    prepared: Prepared, recipe: Recipe, fit_info: dict[str, Any], opts: FitOptions
) -> dict[str, Any]:
    """The card's free-form ``training`` section: data, split, scale, run facts."""
    summary = prepared.summary()
    dedupe = prepared.dedupe
    return {
        "data": f"{prepared.data.name} ({len(prepared.split.train) + len(prepared.split.val)} "
        f"training frames, {len(prepared.split.held_out)} held-out frames)",
        "split": {
            "train_sources": prepared.split.sources("train"),
            "held_out_sources": prepared.split.sources("held_out"),
            "why": " ".join(recipe.held_out_why.split()) or "smallest sources held out (no recipe)",
            "val": f"last {recipe.val_frac:.0%} of each training source's frames in name order, "
            f"only for choosing the checkpoint",
        },
        "source_gsd_cm_per_px": {
            s.source: {
                "gsd_cm_per_px": None if s.gsd_cm_per_px is None else round(s.gsd_cm_per_px, 2),
                "method": s.method,
                "reference_objects": s.n_objects,
            }
            for s in prepared.scales.values()
        },
        "reference_len_m": dict(recipe.reference_len_m),
        "chips": summary,
        "dedupe": {
            "dropped_identical_files": [Path(a).name for a, _ in dedupe.dropped_exact],
            "merged_sources": [list(m) for m in dedupe.merged_sources],
            "split_by_frame_size": list(dedupe.split_by_size),
        },
        "architecture": fit_info.get("arch", opts.arch),
        "pretrained": bool(fit_info.get("init")),
        **({"init": fit_info["init"]} if fit_info.get("init") else {}),
        "epochs": fit_info.get("epochs_run", opts.epochs),
        "best_epoch": fit_info.get("best_epoch"),
        "time_limit_h": fit_info.get("time_limit_h", opts.time_h),
        "imgsz": fit_info.get("imgsz", opts.imgsz),
        "batch": fit_info.get("batch", opts.batch),
        "device": fit_info.get("device", opts.device),
        "wall_s": fit_info.get("wall_s"),
        **({"stopped_early": fit_info["stopped_early"]} if fit_info.get("stopped_early") else {}),
        "date": fit_info.get("date"),
        "versions": fit_info.get("versions", {}),
        "augment": dict(recipe.train_args),
        "notes": " ".join(recipe.notes.split()),
    }
