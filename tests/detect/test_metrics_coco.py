"""``pipeline.detect.metrics`` against pycocotools' COCOeval on a small seeded set.

The set: 12 images of 640x480 px, two classes with ground truth and a third with
false positives only; each object found with probability 0.8 by a box jittered
so its IoU spans roughly 0.3-1 (every IoU threshold decides something), a few
false positives per image, distinct confidences (COCO breaks ties by image order).
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest

from pipeline.detect.metrics import Evaluator

CLASSES = ("car", "boat", "dock")  # "dock" has no ground truth


def seeded_set(seed: int = 7) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(12):
        n = int(rng.integers(0, 6))
        xy = rng.uniform([0, 0], [560, 400], size=(n, 2))
        gt_xyxy = np.concatenate([xy, xy + rng.uniform(20, 80, size=(n, 2))], axis=1)
        gt_cls = rng.integers(0, 2, size=n)
        found = rng.random(n) < 0.8
        jitter = rng.normal(0, 6, size=(n, 4))
        hits = (gt_xyxy + jitter)[found]
        n_fp = int(rng.integers(0, 3))
        fp_xy = rng.uniform([0, 0], [560, 400], size=(n_fp, 2))
        fps = np.concatenate([fp_xy, fp_xy + rng.uniform(20, 80, size=(n_fp, 2))], axis=1)
        images.append(
            {
                "gt_xyxy": gt_xyxy,
                "gt_cls": gt_cls,
                "pred_xyxy": np.concatenate([hits, fps]),
                "pred_cls": np.concatenate([gt_cls[found], rng.integers(0, 3, size=n_fp)]),
            }
        )
    confs = rng.permutation(sum(len(im["pred_cls"]) for im in images)) + 1.0
    start = 0
    for im in images:
        im["pred_conf"] = confs[start : start + len(im["pred_cls"])] / (len(confs) + 1)
        start += len(im["pred_cls"])
    return images


def xywh(xyxy: np.ndarray) -> list[float]:
    return [float(xyxy[0]), float(xyxy[1]), float(xyxy[2] - xyxy[0]), float(xyxy[3] - xyxy[1])]


def coco_eval(images: list[dict[str, np.ndarray]]) -> Any:
    """COCOeval (bbox, all areas, 100 detections an image) run on the same set."""
    pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt: dict[str, Any] = {
        "images": [{"id": i + 1, "width": 640, "height": 480} for i in range(len(images))],
        "categories": [{"id": c + 1, "name": n} for c, n in enumerate(CLASSES)],
        "annotations": [],
    }
    dets = []
    for i, im in enumerate(images):
        for box, c in zip(im["gt_xyxy"], im["gt_cls"], strict=True):
            w, h = box[2:] - box[:2]
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": i + 1,
                                      "category_id": int(c) + 1, "bbox": xywh(box),
                                      "area": float(w * h), "iscrowd": 0})  # fmt: skip
        for box, c, s in zip(im["pred_xyxy"], im["pred_cls"], im["pred_conf"], strict=True):
            dets.append({"image_id": i + 1, "category_id": int(c) + 1, "bbox": xywh(box),
                         "score": float(s)})  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        result = COCOeval(coco, coco.loadRes(dets), "bbox")
        result.evaluate()
        result.accumulate()
        result.summarize()
    return result


def test_map_agrees_with_pycocotools() -> None:
    images = seeded_set()
    theirs = coco_eval(images)
    evaluator = Evaluator(CLASSES)
    for im in images:
        evaluator.add(im["pred_xyxy"], im["pred_conf"], im["pred_cls"], im["gt_xyxy"], im["gt_cls"])
    ours = evaluator.result(method="coco101")
    assert 0.2 < ours.map50_95 < ours.map50 < 1.0  # a set where thresholds matter
    assert ours.map50_95 == pytest.approx(theirs.stats[0], abs=1e-9)
    assert ours.map50 == pytest.approx(theirs.stats[1], abs=1e-9)
    precision = theirs.eval["precision"]  # [IoU threshold, recall level, class, area, max dets]
    for c, name in enumerate(CLASSES[:2]):
        per_class = precision[:, :, c, 0, -1]
        assert ours.per_class[name].map50_95 == pytest.approx(per_class.mean(), abs=1e-9)
        assert ours.per_class[name].map50 == pytest.approx(per_class[0].mean(), abs=1e-9)
    assert (precision[:, :, 2, 0, -1] == -1).all()  # no ground truth: left out by both
    assert ours.per_class["dock"].n_gt == 0
