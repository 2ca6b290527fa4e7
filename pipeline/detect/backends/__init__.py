"""Detector backends: callables ``(tiles (B, S, S, 3) uint8 BGR) -> list[Detections]``.

- :mod:`pipeline.detect.backends.onnx`: ONNX Runtime, the default and the fast CPU path;
- :mod:`pipeline.detect.backends.ultralytics`: PyTorch through ultralytics (lazy import).

Both run the same weights of a model card and share :mod:`.yolo`'s pre- and
post-processing. :func:`load_detector` picks one by name.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from pipeline.detect.tiling import DEFAULT_BATCH
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.detect.card import ModelCard
    from pipeline.detect.tiling import Detector

Backend = Literal["onnx", "torch"]
BACKENDS: tuple[str, ...] = ("onnx", "torch")


def default_threads() -> int:
    """Inference threads: ``$HEHU_THREADS``, else the CPUs this process may use."""
    env = os.environ.get("HEHU_THREADS")
    if env:
        return max(1, int(env))
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def load_detector(
    card: ModelCard,
    backend: str = "onnx",
    *,
    batch_size: int = DEFAULT_BATCH,
    threads: int | None = None,
    conf: float | None = None,
) -> Detector:
    """A detector for ``card``'s weights on ``backend`` ("onnx" or "torch")."""
    if backend == "onnx":
        from pipeline.detect.backends.onnx import OnnxDetector

        return OnnxDetector.from_card(card, batch_size=batch_size, threads=threads, conf=conf)
    if backend == "torch":
        from pipeline.detect.backends.ultralytics import UltralyticsDetector

        return UltralyticsDetector.from_card(
            card, batch_size=batch_size, threads=threads, conf=conf
        )
    raise ConfigError(f"unknown detector backend {backend!r}: use one of {', '.join(BACKENDS)}")
