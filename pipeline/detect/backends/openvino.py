"""OpenVINO backend: the card's ``onnx`` weights compiled for this CPU. Imports no torch.

OpenVINO reads the ONNX file itself (the same weights and hash as the ONNX
Runtime backend) and compiles it at load for the CPU it runs on, with its
inference precision: on a CPU with AMX or AVX-512 bf16 that is bf16, which
changes scores by a few thousandths (a test holds both backends to the same
boxes). ``precision="f32"`` keeps full precision.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

import pipeline.detect.backends.yolo as yolo
from pipeline.detect.slicer import DEFAULT_BATCH
from pipeline.errors import MissingDependencyError

log = logging.getLogger(__name__)


def compile_model(path: Path, *, threads: int | None = None, precision: str | None = None) -> Any:
    """The ONNX file at ``path`` compiled for the CPU: ``threads`` inference threads
    (default: the CPUs this process may use), latency first, ``precision`` ("bf16",
    "f32"; default: OpenVINO's choice for the CPU)."""
    try:
        import openvino as ov
    except ImportError as e:
        raise MissingDependencyError(
            "the OpenVINO backend needs openvino: pip install openvino, or use backend: onnx"
        ) from e
    core = ov.Core()
    config: dict[str, Any] = {
        "INFERENCE_NUM_THREADS": threads or yolo.default_threads(),
        "PERFORMANCE_HINT": "LATENCY",
        "NUM_STREAMS": 1,
    }
    if precision is not None:
        config["INFERENCE_PRECISION_HINT"] = precision
    return core.compile_model(str(path), "CPU", config)


class OpenVinoDetector(yolo.YoloBackend):
    """``__call__(tiles (B, S, S, 3) uint8 BGR) -> list[Detections]`` in tile pixels,
    ``batch_size`` tiles a network run (as :class:`~.onnx.OnnxDetector`)."""

    weights_format = "onnx"

    def __init__(
        self,
        path: Path | str,
        *,
        conf: float,
        iou: float,
        batch_size: int = DEFAULT_BATCH,
        threads: int | None = None,
        max_det: int = yolo.MAX_DET,
        precision: str | None = None,
    ) -> None:
        self.keep_settings(path, conf=conf, iou=iou, max_det=max_det)
        self.compiled = compile_model(self.path, threads=threads, precision=precision)
        self.request = self.compiled.create_infer_request()
        batch = self.compiled.input(0).get_partial_shape()[0]
        fixed = batch.get_length() if batch.is_static else None
        self.batch_size = self.batch_within(batch_size, fixed)

    def forward(self, tiles: np.ndarray) -> np.ndarray:
        """Raw network output ``(B, 4 + nc, A) float32`` for a batch of tiles."""
        outs = []
        for i in range(0, len(tiles), self.batch_size):
            blob = yolo.preprocess(tiles[i : i + self.batch_size])
            outs.append(np.array(self.request.infer({0: blob})[0], np.float32, copy=True))
        return outs[0] if len(outs) == 1 else np.concatenate(outs)
