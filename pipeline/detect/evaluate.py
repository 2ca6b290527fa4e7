"""``hehu eval``: a model's full tiled engine against a YOLO-format folder.

Frames run at native scale (evaluation folders carry no geotag). The detector
keeps boxes down to :data:`EVAL_CONF` so the precision/recall curve behind AP
is complete; precision and recall are then read at the card's confidence.
Classes are matched by name between the folder's names file and the card;
classes only one side has are left out, with a warning.
"""

from __future__ import annotations

import logging

import numpy as np

from pipeline.detect.engine import LoadedModel, detect_frame
from pipeline.detect.metrics import ApMethod, EvalResult, Evaluator
from pipeline.detect.yolo_data import YoloFolder, read_labels
from pipeline.errors import BadInputError, ConfigError

log = logging.getLogger(__name__)

#: Confidence floor while evaluating (ultralytics' val default).
EVAL_CONF = 0.001


def shared_classes(model_classes: list[str], data_names: tuple[str, ...]) -> list[str]:
    """Classes both sides know, in the model's order; warns about the rest."""
    shared = [c for c in model_classes if c in data_names]
    if not shared:
        raise ConfigError(
            f"the model's classes {model_classes} and the data's {list(data_names)} share none"
        )
    only_model = [c for c in model_classes if c not in data_names]
    only_data = [c for c in data_names if c not in model_classes]
    if only_model or only_data:
        log.warning("left out of evaluation: model-only %s, data-only %s", only_model, only_data)
    return shared


def evaluate_folder(
    model: LoadedModel,
    folder: YoloFolder,
    *,
    limit: int | None = None,
    method: ApMethod = "coco101",
    gsd_cm_per_px: float | None = None,
    conf: float | None = None,
) -> EvalResult:
    """Run ``model`` (load it with ``conf=EVAL_CONF``) over ``folder``'s images and score it.

    Native scale unless ``gsd_cm_per_px`` gives the folder's (single) ground resolution.
    Precision and recall are at ``conf`` (default: the card's threshold).
    """
    from pipeline.ingest.checks import decode_image

    classes = shared_classes(list(model.card.classes), folder.names)
    model_to_eval = np.array([classes.index(c) if c in classes else -1 for c in model.card.classes])
    data_to_eval = np.array([classes.index(c) if c in classes else -1 for c in folder.names])
    evaluator = Evaluator(classes)
    for image_path in folder.images[:limit]:
        try:
            image = decode_image(image_path)
        except BadInputError as e:
            log.warning("skipped %s: %s", image_path, e)
            continue
        h, w = image.shape[:2]
        dets = detect_frame(image, [model], gsd_cm_per_px=gsd_cm_per_px)[model.name].detections
        gt_cls, gt_xyxy = read_labels(folder.label_path(image_path), w, h, folder.names)
        pred_cls = model_to_eval[dets.class_id] if len(dets) else np.zeros(0, np.int64)
        gt_eval = data_to_eval[gt_cls] if len(gt_cls) else np.zeros(0, np.int64)
        keep_p, keep_g = pred_cls >= 0, gt_eval >= 0
        evaluator.add(
            dets.xyxy_px[keep_p],
            dets.conf[keep_p],
            pred_cls[keep_p],
            gt_xyxy[keep_g],
            gt_eval[keep_g],
        )
        log.debug(
            "%s: %d boxes, %d labelled", image_path.name, int(keep_p.sum()), int(keep_g.sum())
        )
    threshold = model.card.thresholds.conf if conf is None else conf
    return evaluator.result(conf=threshold, method=method)
