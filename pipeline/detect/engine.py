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
from dataclasses import dataclass, field
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
#: Why a gated model's tile did not run: it holds no water (a skip cause, see
#: :mod:`pipeline.detect.skip`).
LAND = "land (water-only model)"


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
    (card ``min_edge_ratio``: under water, or blurred); ``tiles_skipped`` the
    plan's tiles not detected, by cause (:data:`pipeline.detect.skip.CAUSES`).
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
    tiles_skipped: dict[str, int] = field(default_factory=dict)

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


#: Decode reductions libjpeg does in the DCT (``cv2.IMREAD_REDUCED_COLOR_*``), largest first.
REDUCTIONS = (8, 4, 2, 1)


def model_reduction(model: LoadedModel, plan: TilePlan) -> int:
    """The largest decode reduction that still gives ``model`` every pixel it uses.

    The reduced frame must be no smaller than the one its tiles are cut from; a
    model that judges box outlines (card ``min_edge_ratio``) needs the full frame,
    and the water estimate its working size (:data:`pipeline.detect.water.WORK_LONG_PX`).
    """
    from pipeline.detect.water import WORK_LONG_PX

    if model.card.min_edge_ratio is not None:
        return 1
    shrink = 1.0 / max(plan.scale_xy)
    for f in REDUCTIONS:
        if f <= shrink + 1e-9 and (model.water is None or max(plan.frame_hw) / f >= WORK_LONG_PX):
            return f
    return 1


def frame_reduction(
    models: Sequence[LoadedModel],
    frame_hw: tuple[int, int],
    *,
    gsd_cm_per_px: float | None = None,
    band: str = "visible",
    skip: Mapping[str, Mapping[int, str]] | None = None,
) -> int | None:
    """The decode reduction one frame needs for every model that will run on it
    (:func:`model_reduction`); None when none will (other band, every tile skipped)."""
    needed = []
    for m in models:
        plan = plan_for(m.card, frame_hw, gsd_cm_per_px)
        if m.card.band == band and len((skip or {}).get(m.name, {})) < len(plan):
            needed.append(model_reduction(m, plan))
    return min(needed) if needed else None


@dataclass
class _Frame:
    """A decoded frame (``image`` reduced by ``reduction`` from ``frame_hw``) and what
    its models share: scaled copies by size, and the water estimate once made."""

    image: Any
    frame_hw: tuple[int, int]
    reduction: int
    scaled: dict[tuple[int, int], np.ndarray]
    water: WaterMap | None = None

    def to_image(self, xyxy_px: np.ndarray) -> np.ndarray:
        """Full-frame pixel boxes ``(N, 4)`` in the decoded image's pixels."""
        return np.asarray(xyxy_px, np.float64) / self.reduction

    def scaled_for(self, plan: TilePlan) -> np.ndarray:
        if plan.scaled_hw not in self.scaled:
            self.scaled[plan.scaled_hw] = scale_frame(self.image, plan)
        return self.scaled[plan.scaled_hw]


def detect_frame(
    image_bgr: np.ndarray | None,
    models: Sequence[LoadedModel],
    *,
    gsd_cm_per_px: float | None = None,
    band: str = "visible",
    band_why: str = "",
    frame_hw: tuple[int, int] | None = None,
    skip: Mapping[str, Mapping[int, str]] | None = None,
    skip_land: bool = True,
) -> dict[str, ModelResult]:
    """Run every model on one decoded frame; ``{model name: ModelResult}``.

    ``image_bgr (H, W, 3) uint8`` as OpenCV decodes it, possibly reduced (by 2, 4
    or 8, see :func:`frame_reduction`) from a frame of ``frame_hw`` (default: its
    own size), or None when ``skip`` leaves no model a tile to run; boxes come back
    in full-frame pixels. ``gsd_cm_per_px`` is the
    frame's ground resolution (None: native scale for every model).
    ``band`` is the frame's (:func:`pipeline.ingest.band.frame_band`): a model
    of another band skips the frame. ``skip[model][tile] = cause`` names tiles
    not to detect (:mod:`pipeline.detect.skip`). A water-only model (card ``surface:
    water``) runs only on tiles that reach water (on every tile without
    ``skip_land``) and keeps only boxes on water;
    a ``shore`` model (docks, lifts) keeps boxes that touch water
    (:data:`WATER_GATES`); the water estimate is made once per frame, when such a
    model needs it. A card's ``min_edge_ratio`` then drops boxes with faint outlines.
    """
    image = None if image_bgr is None else as_bgr(image_bgr)
    if frame_hw is None and image is None:
        raise ValueError(
            "detect_frame needs the decoded frame or, when every tile is skipped, its size"
        )
    full_hw = tuple(frame_hw) if frame_hw is not None else image.shape[:2]
    reduction = 1 if image is None else max(1, round(full_hw[1] / image.shape[1]))
    frame = _Frame(image, (int(full_hw[0]), int(full_hw[1])), reduction, {})
    results = {}
    for model in models:
        plan = plan_for(model.card, frame.frame_hw, gsd_cm_per_px)
        if model.card.band != band:
            why = f"{band} frame ({band_why})" if band_why else f"{band} frame"
            reason = f"{why}; the model is trained on {model.card.band} frames"
            results[model.name] = ModelResult(model.name, tuple(model.card.classes),
                                              Detections.empty(), plan, 0.0, model.class_map,
                                              skipped=reason)  # fmt: skip
            continue
        skips = (skip or {}).get(model.name, {})
        results[model.name] = _run_model(model, frame, plan, skips, skip_land=skip_land)
    return results


def _run_model(
    model: LoadedModel, frame: _Frame, plan: TilePlan, skip: Mapping[int, str], *,
    skip_land: bool = True,
) -> ModelResult:  # fmt: skip
    """One model on one frame: planned skips, the water gate, detection and box gates."""
    start = time.perf_counter()
    causes = dict(skip)
    common = (model.name, tuple(model.card.classes))
    tiles = np.array([t for t in range(len(plan)) if t not in causes], np.int64)
    if model.water is not None and len(tiles):
        if frame.water is None:
            from pipeline.detect.water import estimate_water

            frame.water = estimate_water(frame.image, model.water)
        margin, _ = WATER_GATES[model.card.surface]
        rects = frame.to_image(plan.tile_rects_px()[tiles])
        wet = frame.water.region_fraction(rects, margin_cells=margin) > 0
        if not skip_land:
            wet[:] = True
        causes.update(dict.fromkeys(tiles[~wet].tolist(), LAND))
        tiles = tiles[wet]
        if not wet.any():
            return ModelResult(*common, Detections.empty(), plan, time.perf_counter() - start,
                               model.class_map, skipped="no water in the frame",
                               water_fraction=frame.water.fraction,
                               tiles_skipped=_count(causes))  # fmt: skip
    dets = Detections.empty()
    if len(tiles):
        dets = detect_scaled(frame.scaled_for(plan), model.detector, plan,
                             batch_size=model.batch_size, iou=model.card.thresholds.iou,
                             tiles=tiles)  # fmt: skip
    dets, dropped, faint = _box_gates(model, frame, dets)
    seconds = time.perf_counter() - start
    log.debug("%s: %d/%d tiles, %d boxes (%d off water, %d faint), %.2f s",
              model.name, len(tiles), len(plan), len(dets), dropped, faint, seconds)  # fmt: skip
    return ModelResult(
        *common, dets, plan, seconds, model.class_map, tiles_run=len(tiles),
        water_fraction=frame.water.fraction if model.water is not None and frame.water else None,
        dropped_on_land=dropped, dropped_faint=faint, tiles_skipped=_count(causes),
    )  # fmt: skip


def _count(causes: Mapping[int, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for cause in causes.values():
        out[cause] = out.get(cause, 0) + 1
    return out


def _box_gates(model: LoadedModel, frame: _Frame, dets: Detections) -> tuple[Detections, int, int]:
    """Boxes kept by the water gate (gated models) and the outline gate; the counts dropped."""
    dropped = faint = 0
    if model.water is not None and frame.water is not None and len(dets):
        margin, min_share = WATER_GATES[model.card.surface]
        keep = frame.water.region_fraction(frame.to_image(dets.xyxy_px), margin_cells=margin)
        keep = keep >= min_share
        dropped = int((~keep).sum())
        dets = dets.filter(keep)
    if model.card.min_edge_ratio is not None and len(dets):
        from pipeline.detect.edges import edge_ratio

        keep = edge_ratio(frame.image, frame.to_image(dets.xyxy_px)) >= model.card.min_edge_ratio
        faint = int((~keep).sum())
        dets = dets.filter(keep)
    return dets, dropped, faint


def decode_frame(path: Path | str, *, reduce: int = 1) -> np.ndarray:
    """Decode an image file to BGR with ingest's checked decoder (truncated files raise),
    at ``1 / reduce`` of its size (1, 2, 4 or 8; stored orientation, as the camera model)."""
    from pipeline.ingest.checks import decode_image

    return decode_image(path, reduce=reduce)


def detect_file(
    path: Path | str, models: Sequence[LoadedModel], *, gsd_cm_per_px: float | None = None
) -> dict[str, ModelResult]:
    """:func:`detect_frame` on an image file, decoded once."""
    return detect_frame(decode_frame(path), models, gsd_cm_per_px=gsd_cm_per_px)
