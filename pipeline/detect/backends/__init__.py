"""Detector backends: callables ``(tiles (B, S, S, 3) uint8 BGR) -> list[Detections]``.

- :mod:`pipeline.detect.backends.onnx`: ONNX Runtime, the default and the fast CPU path;
- :mod:`pipeline.detect.backends.ultralytics`: PyTorch through ultralytics (lazy import).

Both run the same weights of a model card and share :mod:`.yolo`'s pre- and
post-processing. :func:`load_detector` picks one by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pipeline.detect.slicer import DEFAULT_BATCH
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.detect.card import ModelCard
    from pipeline.detect.slicer import Detector

Backend = Literal["onnx", "torch"]
BACKENDS: tuple[str, ...] = ("onnx", "torch")


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
