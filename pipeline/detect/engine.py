"""Every enabled model on one decoded frame, each at the scale it was trained at.

The caller decodes a frame once (:func:`detect_file` does it with ingest's
checked decoder) and :func:`detect_frame` runs each model on it: the frame is
rescaled so objects appear at the model's training ground resolution
(``scale = frame GSD / card.train_gsd_cm_per_px``; native scale when either
is unknown), tiled, batched through the detector, shifted back to full-frame
pixels and merged across tile borders.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.detect.card import ModelCard, ModelCardError, load_card
from pipeline.detect.detections import Detections
from pipeline.detect.slicer import DEFAULT_BATCH, Detector, detect_scaled
from pipeline.detect.tiling import TilePlan, plan_tiles, scale_frame

if TYPE_CHECKING:
    from pipeline.detect.taxonomy import Taxonomy
    from pipeline.detect.water import WaterMap, WaterMLP

log = logging.getLogger(__name__)

#: Largest upscale applied to a frame coarser than a model's training GSD:
#: beyond it interpolation adds pixels but no detail, only tiles.
MAX_UPSCALE = 2.0
#: Per card ``surface``: how far (in water-estimate cells, 1/32 of the frame's long
#: side) a tile or box may reach for water, and the share of water the cells under a
#: box, grown by that margin, must hold for the box to be kept. ``water``: floating
#: items, mostly on water (items along the shore and the estimate's edge errors stay
#: in); ``shore``: structures built into the water, which need only touch it.
WATER_GATES: dict[str, tuple[int, float]] = {"water": (1, 0.5), "shore": (2, 0.1)}


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model card with a ready detector, and the taxonomy mapping of its classes."""

    card: ModelCard
    detector: Detector
    batch_size: int = DEFAULT_BATCH
    class_map: Mapping[str, str | None] | None = None
    water: WaterMLP | None = None

    @property
    def name(self) -> str:
        return self.card.name


@dataclass(frozen=True, eq=False)
class ModelResult:
    """One model's detections on one frame, boxes in full-frame pixels.

    ``skipped`` says why the model did not run on the frame at all (another
    band, no water for a water-only model); ``tiles_run`` of the plan's tiles
    ran; ``water_fraction`` is the frame's water share where the model is
    water-only, ``dropped_on_land`` the boxes it found off water, and
    ``dropped_faint`` those whose outline was too faint for a floating thing
    (card ``min_edge_ratio``: under water, or blurred).
    """

    model: str
    classes: tuple[str, ...]
    detections: Detections
    plan: TilePlan
    seconds: float
    class_map: Mapping[str, str | None] | None = None
    skipped: str | None = None
    tiles_run: int = 0
    water_fraction: float | None = None
    dropped_on_land: int = 0
    dropped_faint: int = 0

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows: class, subtype id, confidence, box, source tile."""
        d = self.detections
        rows = []
        for i in range(len(d)):
            cls = self.classes[int(d.class_id[i])]
            rows.append(
                {
                    "model": self.model,
                    "class": cls,
                    "subtype": (self.class_map or {}).get(cls),
                    "conf": round(float(d.conf[i]), 4),
                    "xyxy_px": [round(float(v), 1) for v in d.xyxy_px[i]],
                    "tile_index": int(d.tile_index[i]),
                }
            )
        return rows


def default_models_dir() -> Path:
    """``models/`` in the working directory, else beside the package."""
    local = Path("models")
    return local if local.is_dir() else Path(__file__).resolve().parents[2] / "models"


def load_model(
    name: str,
    *,
    models_dir: Path | str | None = None,
    backend: str = "onnx",
    batch_size: int = DEFAULT_BATCH,
    threads: int | None = None,
    conf: float | None = None,
    taxonomy: Taxonomy | None = None,
) -> LoadedModel:
    """Load ``models_dir/name`` (card checked) with a detector on ``backend``.

    ``conf`` overrides the confidence threshold; without it, the taxonomy's
    ``conf`` for the model, else the card's.
    """
    from pipeline.detect.backends import load_detector

    card = load_card(models_dir if models_dir is not None else default_models_dir(), name)
    class_map = taxonomy.class_map(card) if taxonomy is not None else dict(card.class_map)
    if conf is None and taxonomy is not None:
        conf = taxonomy.conf(name)
    detector = load_detector(card, backend, batch_size=batch_size, threads=threads, conf=conf)
    water = None
    if card.surface in WATER_GATES:
        from pipeline.detect.water import load_water_model

        water = load_water_model(card.dir.parent)
    return LoadedModel(card, detector, batch_size, class_map, water)


def load_models(
    taxonomy: Taxonomy,
    *,
    models_dir: Path | str | None = None,
    names: Sequence[str] | None = None,
    backend: str = "onnx",
    batch_size: int = DEFAULT_BATCH,
    threads: int | None = None,
    skip_missing: bool = False,
) -> list[LoadedModel]:
    """The taxonomy's enabled models (or ``names``).

    With ``skip_missing`` a model whose folder does not exist yet is skipped
    with a warning; a folder with a bad card or weights always raises.
    """
    models_dir = Path(models_dir) if models_dir is not None else default_models_dir()
    loaded = []
    for name in names or taxonomy.enabled_models():
        if skip_missing and not (models_dir / name).exists():
            log.warning(
                "model %s is enabled in the taxonomy but %s does not exist: skipped",
                name,
                models_dir / name,
            )
            continue
        loaded.append(
            load_model(
                name,
                models_dir=models_dir,
                backend=backend,
                batch_size=batch_size,
                threads=threads,
                taxonomy=taxonomy,
            )
        )
    if not loaded:
        raise ModelCardError(
            f"no detector could be loaded from {models_dir}: train one with `hehu train`"
        )
    return loaded


def model_scale(
    card: ModelCard, gsd_cm_per_px: float | None, *, max_upscale: float = MAX_UPSCALE
) -> float:
    """Rescale factor that makes the frame's GSD the card's training GSD (1.0 when unknown)."""
    if gsd_cm_per_px is None or card.train_gsd_cm_per_px is None:
        return 1.0
    if not gsd_cm_per_px > 0:
        raise ValueError(f"gsd_cm_per_px must be positive, got {gsd_cm_per_px}")
    scale = gsd_cm_per_px / card.train_gsd_cm_per_px
    if scale > max_upscale:
        log.info(
            "%s: frame GSD %.2f cm/px is %.1fx coarser than training; upscaling only %.1fx",
            card.name,
            gsd_cm_per_px,
            scale,
            max_upscale,
        )
    return min(scale, max_upscale)


def plan_for(
    card: ModelCard, frame_hw: tuple[int, int], gsd_cm_per_px: float | None = None
) -> TilePlan:
    """The tile plan of ``card`` on a frame: tiles of ``tile.size_px`` at the GSD scale,
    each resized to the network's ``input_size_px`` (folded into one rescale)."""
    scale = model_scale(card, gsd_cm_per_px) * card.input_size_px / card.tile.size_px
    return plan_tiles(
        frame_hw, tile_px=card.input_size_px, overlap_frac=card.tile.overlap_frac, scale=scale
    )


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A ``(H, W, 3) uint8`` BGR view of a decoded image (grey expanded, alpha dropped)."""
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8, got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[:, :, :3]
    raise ValueError(f"image must be (H, W), (H, W, 3) or (H, W, 4), got shape {image.shape}")


def detect_frame(
    image_bgr: np.ndarray,
    models: Sequence[LoadedModel],
    *,
    gsd_cm_per_px: float | None = None,
    band: str = "visible",
    band_why: str = "",
) -> dict[str, ModelResult]:
    """Run every model on one decoded frame; ``{model name: ModelResult}``.

    ``image_bgr (H, W, 3) uint8`` as OpenCV decodes it. ``gsd_cm_per_px`` is
    the frame's ground resolution (None: native scale for every model).
    ``band`` is the frame's (:func:`pipeline.ingest.band.frame_band`): a model
    of another band skips the frame. A water-only model (card ``surface:
    water``) runs only on tiles that reach water and keeps only boxes on water;
    a ``shore`` model (docks, lifts) keeps boxes that touch water
    (:data:`WATER_GATES`); the water estimate is made once per frame, when such a
    model needs it. A card's ``min_edge_ratio`` then drops boxes with faint outlines.
    """
    frame = as_bgr(image_bgr)
    scaled_cache: dict[tuple[int, int], np.ndarray] = {}
    water_map: WaterMap | None = None
    results = {}
    for model in models:
        start = time.perf_counter()
        plan = plan_for(model.card, frame.shape[:2], gsd_cm_per_px)
        common = (model.name, tuple(model.card.classes))
        if model.card.band != band:
            why = f"{band} frame ({band_why})" if band_why else f"{band} frame"
            reason = f"{why}; the model is trained on {model.card.band} frames"
            results[model.name] = ModelResult(*common, Detections.empty(), plan, 0.0,
                                              model.class_map, skipped=reason)  # fmt: skip
            continue
        tiles = None
        if model.water is not None:
            if water_map is None:
                from pipeline.detect.water import estimate_water

                water_map = estimate_water(frame, model.water)
            margin, min_share = WATER_GATES[model.card.surface]
            rects = plan.tile_rects_px()
            tiles = np.flatnonzero(water_map.region_fraction(rects, margin_cells=margin) > 0)
            if not len(tiles):
                results[model.name] = ModelResult(
                    *common, Detections.empty(), plan, time.perf_counter() - start,
                    model.class_map, skipped="no water in the frame",
                    water_fraction=water_map.fraction,
                )  # fmt: skip
                continue
        if plan.scaled_hw not in scaled_cache:
            scaled_cache[plan.scaled_hw] = scale_frame(frame, plan)
        dets = detect_scaled(
            scaled_cache[plan.scaled_hw],
            model.detector,
            plan,
            batch_size=model.batch_size,
            iou=model.card.thresholds.iou,
            tiles=tiles,
        )
        dropped = 0
        if water_map is not None and tiles is not None and len(dets):  # a gated model
            share = water_map.region_fraction(dets.xyxy_px, margin_cells=margin)
            keep = share >= min_share
            dropped = int((~keep).sum())
            dets = dets.filter(keep)
        faint = 0
        if model.card.min_edge_ratio is not None and len(dets):
            from pipeline.detect.edges import edge_ratio

            keep = edge_ratio(frame, dets.xyxy_px) >= model.card.min_edge_ratio
            faint = int((~keep).sum())
            dets = dets.filter(keep)
        seconds = time.perf_counter() - start
        n_tiles = len(plan) if tiles is None else len(tiles)
        log.debug("%s: %d/%d tiles, %d boxes (%d off water, %d faint), %.2f s",
                  model.name, n_tiles, len(plan), len(dets), dropped, faint, seconds)  # fmt: skip
        results[model.name] = ModelResult(
            *common, dets, plan, seconds, model.class_map, tiles_run=n_tiles,
            water_fraction=None if tiles is None or water_map is None else water_map.fraction,
            dropped_on_land=dropped, dropped_faint=faint,
        )  # fmt: skip
    return results


def decode_frame(path: Path | str) -> np.ndarray:
    """Decode an image file to BGR with ingest's checked decoder (truncated files raise)."""
    from pipeline.ingest.checks import decode_image

    return decode_image(path)


def detect_file(
    path: Path | str, models: Sequence[LoadedModel], *, gsd_cm_per_px: float | None = None
) -> dict[str, ModelResult]:
    """:func:`detect_frame` on an image file, decoded once."""
    return detect_frame(decode_frame(path), models, gsd_cm_per_px=gsd_cm_per_px)
