"""Detection metrics: precision, recall, AP50 and AP50-95, per class and overall.

Matching follows COCO: per image and class, predictions in descending
confidence each take the unmatched ground-truth box of highest IoU, if that
IoU is at least the threshold (thresholds 0.50:0.05:0.95). AP is COCO's
101-point interpolation by default: the mean, over recall levels
0, 0.01, …, 1, of the highest precision reached at that recall or beyond
(0 where it is never reached). ``method="all"`` gives the all-point (VOC2010+)
area under the precision envelope instead.

Overall figures are the unweighted mean over classes that have ground truth
(as COCO and ultralytics report). Precision and recall are measured at IoU
0.5 at one operating confidence (the model card's), not at the best-F1
point: they describe what a reviewer will actually see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

IOU_THRESHOLDS = np.round(np.linspace(0.5, 0.95, 10), 2)
ApMethod = Literal["coco101", "all"]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of ``(N, 4)`` and ``(M, 4)`` xyxy boxes, ``(N, M)``."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match(
    pred_xyxy: np.ndarray,
    pred_conf: np.ndarray,
    gt_xyxy: np.ndarray,
    thresholds: np.ndarray = IOU_THRESHOLDS,
) -> np.ndarray:
    """``(N, T) bool``: prediction i is a true positive at threshold t (one class, one image).

    Rows follow ``pred_conf`` in the given order; matching goes by descending confidence.
    """
    n, t = len(pred_conf), len(thresholds)
    tp = np.zeros((n, t), bool)
    if n == 0 or len(gt_xyxy) == 0:
        return tp
    iou = box_iou(pred_xyxy, gt_xyxy)
    order = np.argsort(-np.asarray(pred_conf), kind="stable")
    order = order[iou[order].max(axis=1) >= min(thresholds) - 1e-12]  # others never match
    for k, thr in enumerate(thresholds):
        taken = np.zeros(len(gt_xyxy), bool)
        for i in order:
            cand = np.where(taken, -1.0, iou[i])
            j = int(np.argmax(cand))
            if cand[j] >= thr - 1e-12:
                taken[j] = True
                tp[i, k] = True
    return tp


def average_precision(
    recall: np.ndarray, precision: np.ndarray, method: ApMethod = "coco101"
) -> float:
    """AP from a precision/recall curve ordered by descending confidence."""
    if len(recall) == 0:
        return 0.0
    envelope = np.maximum.accumulate(np.asarray(precision, np.float64)[::-1])[::-1]
    recall = np.asarray(recall, np.float64)
    if method == "coco101":
        levels = np.linspace(0.0, 1.0, 101)
        idx = np.searchsorted(recall, levels, side="left")
        return float(
            np.where(idx < len(recall), envelope[np.minimum(idx, len(recall) - 1)], 0.0).mean()
        )
    if method == "all":
        steps = np.diff(np.concatenate([[0.0], recall]))
        return float(np.sum(steps * envelope))
    raise ValueError(f"method must be 'coco101' or 'all', got {method!r}")


@dataclass(frozen=True)
class ClassMetrics:
    name: str
    n_gt: int
    n_pred: int
    precision: float
    recall: float
    map50: float
    map50_95: float

    def to_dict(self) -> dict[str, float]:
        keys = ("map50", "map50_95", "precision", "recall")
        return {k: round(float(getattr(self, k)), 4) for k in keys}


@dataclass(frozen=True)
class EvalResult:
    """Overall means (over classes with ground truth) and per-class figures."""

    map50: float
    map50_95: float
    precision: float
    recall: float
    per_class: dict[str, ClassMetrics]
    n_images: int
    conf: float
    ap_method: str

    def to_dict(self) -> dict[str, Any]:
        """The ``hehu eval --json`` object."""
        return {
            "map50": round(self.map50, 4),
            "map50_95": round(self.map50_95, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "per_class": {k: v.to_dict() for k, v in self.per_class.items()},
            "n_images": self.n_images,
            "conf": self.conf,
            "ap": self.ap_method,
        }


@dataclass
class Evaluator:
    """Accumulates images, then :meth:`result`. ``class_names`` fixes the class ids."""

    class_names: Sequence[str]
    thresholds: np.ndarray = field(default_factory=lambda: IOU_THRESHOLDS.copy())
    _tp: list[np.ndarray] = field(default_factory=list)
    _conf: list[np.ndarray] = field(default_factory=list)
    _cls: list[np.ndarray] = field(default_factory=list)
    _n_gt: np.ndarray | None = None
    n_images: int = 0

    def add(
        self,
        pred_xyxy: np.ndarray,
        pred_conf: np.ndarray,
        pred_cls: np.ndarray,
        gt_xyxy: np.ndarray,
        gt_cls: np.ndarray,
    ) -> None:
        """One image: predictions and ground truth, boxes in the same pixels."""
        nc = len(self.class_names)
        if self._n_gt is None:
            self._n_gt = np.zeros(nc, np.int64)
        pred_xyxy, pred_conf = (
            np.asarray(pred_xyxy).reshape(-1, 4),
            np.asarray(pred_conf).reshape(-1),
        )
        pred_cls, gt_cls = np.asarray(pred_cls).reshape(-1), np.asarray(gt_cls).reshape(-1)
        gt_xyxy = np.asarray(gt_xyxy).reshape(-1, 4)
        self._n_gt += np.bincount(gt_cls.astype(np.int64), minlength=nc)[:nc]
        for c in np.unique(pred_cls):
            p = pred_cls == c
            self._tp.append(
                match(pred_xyxy[p], pred_conf[p], gt_xyxy[gt_cls == c], self.thresholds)
            )
            self._conf.append(pred_conf[p])
            self._cls.append(np.full(int(p.sum()), c, np.int64))
        self.n_images += 1

    def result(self, *, conf: float = 0.0, method: ApMethod = "coco101") -> EvalResult:
        """Metrics so far; precision and recall at confidence ``>= conf``."""
        nc = len(self.class_names)
        n_gt = self._n_gt if self._n_gt is not None else np.zeros(nc, np.int64)
        t = len(self.thresholds)
        tp = np.concatenate(self._tp) if self._tp else np.zeros((0, t), bool)
        scores = np.concatenate(self._conf) if self._conf else np.zeros(0)
        cls = np.concatenate(self._cls) if self._cls else np.zeros(0, np.int64)
        per_class = {}
        for c, name in enumerate(self.class_names):
            sel = cls == c
            per_class[name] = _class_metrics(name, int(n_gt[c]), tp[sel], scores[sel], conf, method)
        scored = [m for m in per_class.values() if m.n_gt > 0]

        def mean(key: str) -> float:
            return float(np.mean([getattr(m, key) for m in scored])) if scored else 0.0

        return EvalResult(
            mean("map50"), mean("map50_95"), mean("precision"), mean("recall"),
            per_class, self.n_images, conf, method,
        )  # fmt: skip


def _class_metrics(
    name: str, n_gt: int, tp: np.ndarray, scores: np.ndarray, conf: float, method: ApMethod
) -> ClassMetrics:
    order = np.argsort(-scores, kind="stable")
    tp, scores = tp[order], scores[order]
    ctp = np.cumsum(tp, axis=0)
    cfp = np.cumsum(~tp, axis=0)
    if n_gt == 0 or len(tp) == 0:
        aps = np.zeros(tp.shape[1])
    else:
        recall = ctp / n_gt
        precision = ctp / np.maximum(ctp + cfp, 1)
        aps = np.array(
            [average_precision(recall[:, k], precision[:, k], method) for k in range(tp.shape[1])]
        )
    kept = scores >= conf
    n_tp = int(tp[kept, 0].sum())
    n_pred = int(kept.sum())
    precision_at = n_tp / n_pred if n_pred else 0.0
    recall_at = n_tp / n_gt if n_gt else 0.0
    return ClassMetrics(
        name, n_gt, n_pred, precision_at, recall_at, float(aps[0]), float(aps.mean())
    )


def format_table(result: EvalResult, *, title: str = "") -> str:
    """A readable per-class table with an ``all`` row."""
    head = f"{'class':<16}{'gt':>7}{'pred':>7}{'P':>8}{'R':>8}{'mAP50':>8}{'mAP50-95':>10}"
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    n_gt = sum(m.n_gt for m in result.per_class.values())
    n_pred = sum(m.n_pred for m in result.per_class.values())
    row = "{:<16}{:>7}{:>7}{:>8.3f}{:>8.3f}{:>8.3f}{:>10.3f}"
    lines.append(
        row.format(
            "all", n_gt, n_pred, result.precision, result.recall, result.map50, result.map50_95
        )
    )
    for m in result.per_class.values():
        lines.append(
            row.format(m.name[:15], m.n_gt, m.n_pred, m.precision, m.recall, m.map50, m.map50_95)
        )
    lines.append(
        f"{result.n_images} images; P/R at IoU 0.5 and conf >= {result.conf:g}; "
        f"AP: {'COCO 101-point' if result.ap_method == 'coco101' else 'all-point'} interpolation"
    )
    return "\n".join(lines)
