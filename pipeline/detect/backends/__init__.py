"""Detector backends: callables ``(tiles (B, S, S, 3) uint8 BGR) -> list[Detections]``.

- :mod:`pipeline.detect.backends.onnx`: ONNX Runtime, the default and the fast CPU path;
- :mod:`pipeline.detect.backends.openvino`: OpenVINO, the same ONNX weights compiled
  for this CPU, ``hehu run``'s default (on the 2 shared Xeon cores with AMX it ran a
  Brighton flight 1.8x faster than ONNX Runtime, same boxes); without openvino
  installed it falls back to ONNX Runtime;
- :mod:`pipeline.detect.backends.ultralytics`: PyTorch through ultralytics (lazy import).

All run the same weights of a model card and share :mod:`.yolo`'s pre- and
post-processing. :func:`load_detector` picks one by name.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pipeline.detect.slicer import DEFAULT_BATCH
from pipeline.errors import ConfigError, MissingDependencyError

if TYPE_CHECKING:
    from pipeline.detect.card import ModelCard
    from pipeline.detect.slicer import Detector

Backend = Literal["onnx", "openvino", "torch"]
BACKENDS: tuple[str, ...] = ("onnx", "openvino", "torch")

log = logging.getLogger(__name__)


def load_detector(
    card: ModelCard,
    backend: str = "onnx",
    *,
    batch_size: int = DEFAULT_BATCH,
    threads: int | None = None,
    conf: float | None = None,
) -> Detector:
    """A detector for ``card``'s weights on ``backend`` ("onnx", "openvino" or "torch")."""
    if backend == "openvino":
        from pipeline.detect.backends.openvino import OpenVinoDetector

        try:
            return OpenVinoDetector.from_card(
                card, batch_size=batch_size, threads=threads, conf=conf
            )
        except MissingDependencyError as e:  # ONNX Runtime runs the same weights
            log.warning("%s; %s runs on ONNX Runtime instead", e, card.name)
            backend = "onnx"
    if backend == "onnx":
        from pipeline.detect.backends.onnx import OnnxDetector

        return OnnxDetector.from_card(card, batch_size=batch_size, threads=threads, conf=conf)
    if backend == "torch":
        from pipeline.detect.backends.ultralytics import UltralyticsDetector

        return UltralyticsDetector.from_card(
            card, batch_size=batch_size, threads=threads, conf=conf
        )
    raise ConfigError(f"unknown detector backend {backend!r}: use one of {', '.join(BACKENDS)}")
