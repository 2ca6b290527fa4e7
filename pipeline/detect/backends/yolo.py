"""YOLO11 pre- and post-processing shared by every backend (numpy and OpenCV only).

Preprocessing matches ultralytics' predictor for a square input that needs no
letterbox: BGR -> RGB, ``/ 255``, HWC -> CHW, float32. The network's output
``(B, 4 + nc, A)`` holds per anchor a box ``(cx, cy, w, h)`` in input pixels
and ``nc`` class scores already passed through a sigmoid; decoding keeps each
anchor's best class above ``conf`` and runs class-wise NMS, like ultralytics'
``non_max_suppression`` (``agnostic=False``, ``multi_label=False``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from pipeline.detect.detections import Detections
from pipeline.detect.merge import nms_indices

if TYPE_CHECKING:
    from typing import Self

    from pipeline.detect.card import ModelCard

#: Boxes kept per tile after NMS (ultralytics' ``max_det``).
MAX_DET = 300
#: Candidates per tile entering NMS (ultralytics' ``max_nms``).
MAX_NMS = 30000


def default_threads() -> int:
    """Inference threads: ``$HEHU_THREADS``, else the CPUs this process may use."""
    env = os.environ.get("HEHU_THREADS")
    if env:
        return max(1, int(env))
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def preprocess(tiles_bgr: np.ndarray) -> np.ndarray:
    """``(B, S, S, 3) uint8 BGR`` -> ``(B, 3, S, S) float32 RGB`` in ``[0, 1]``."""
    if tiles_bgr.ndim != 4 or tiles_bgr.shape[3] != 3 or tiles_bgr.dtype != np.uint8:
        raise ValueError(
            f"tiles must be a (B, S, S, 3) uint8 array, got {tiles_bgr.shape} {tiles_bgr.dtype}"
        )
    b, h, w, _ = tiles_bgr.shape
    out = np.empty((b, 3, h, w), np.float32)
    for c in range(3):
        np.multiply(tiles_bgr[..., 2 - c], np.float32(1 / 255), out=out[:, c], dtype=np.float32)
    return out


def decode(
    output: np.ndarray,
    *,
    conf: float,
    iou: float,
    input_hw: tuple[int, int],
    max_det: int = MAX_DET,
) -> list[Detections]:
    """``(B, 4 + nc, A)`` raw YOLO11 output -> one :class:`Detections` per image.

    Boxes are in input pixels, clipped to ``input_hw`` after NMS (as ultralytics does).
    """
    if output.ndim != 3 or output.shape[1] < 5:
        raise ValueError(
            f"expected a YOLO output of shape (B, 4 + nc, anchors), got {output.shape}"
        )
    return [_decode_one(output[b], conf, iou, max_det, input_hw) for b in range(output.shape[0])]


def _decode_one(
    pred: np.ndarray, conf: float, iou: float, max_det: int, input_hw: tuple[int, int]
) -> Detections:
    scores = pred[4:]
    best = scores.max(axis=0)
    keep = np.flatnonzero(best > conf)
    if keep.size == 0:
        return Detections.empty()
    if keep.size > MAX_NMS:
        keep = keep[np.argsort(-best[keep], kind="stable")[:MAX_NMS]]
    cls = scores[:, keep].argmax(axis=0)
    score = best[keep]
    cxcy, wh = pred[:2, keep].T, pred[2:4, keep].T
    xywh = np.concatenate([cxcy - wh / 2, wh], axis=1).astype(np.float64)
    idx = nms_indices(xywh, score, cls, conf=conf, iou=iou)[:max_det]
    xyxy = np.concatenate([xywh[idx, :2], xywh[idx, :2] + xywh[idx, 2:]], axis=1)
    xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, input_hw[1])
    xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, input_hw[0])
    return Detections.from_arrays(xyxy, score[idx], cls[idx])


class YoloBackend:
    """What every backend shares: loading from a card, and ``__call__`` =
    ``forward`` then :func:`decode`. Subclasses set ``weights_format`` and take
    ``(path, *, conf, iou, batch_size, threads)`` in ``__init__``."""

    weights_format: ClassVar[Literal["pt", "onnx"]]
    path: Path
    conf: float
    iou: float
    max_det: int
    batch_size: int

    def keep_settings(self, path: Path | str, *, conf: float, iou: float, max_det: int) -> None:
        """What every backend keeps: the weights' path, thresholds and detections cap."""
        self.path = Path(path)
        self.conf, self.iou, self.max_det = float(conf), float(iou), int(max_det)

    def batch_within(self, requested: int, fixed: int | None) -> int:
        """The tiles a network run takes: ``requested``, at most the model's ``fixed``
        batch axis when it has one, at least 1."""
        return max(1, min(requested, fixed or requested))

    @classmethod
    def from_card(cls, card: ModelCard, *, batch_size: int, threads: int | None = None,
                  conf: float | None = None) -> Self:  # fmt: skip
        """The card's weights of this backend's format with its thresholds
        (``conf`` overrides the card's)."""
        return cls(  # type: ignore[call-arg]
            card.weights_path(cls.weights_format),
            conf=card.thresholds.conf if conf is None else conf,
            iou=card.thresholds.iou,
            batch_size=batch_size,
            threads=threads,
        )

    def forward(self, tiles: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, tiles: np.ndarray) -> list[Detections]:
        if len(tiles) == 0:
            return []
        hw = (tiles.shape[1], tiles.shape[2])
        return decode(self.forward(tiles), conf=self.conf, iou=self.iou, input_hw=hw,
                      max_det=self.max_det)  # fmt: skip
