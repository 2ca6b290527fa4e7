"""ONNX Runtime backend: the fast CPU path. Imports no torch.

The model is the card's ``onnx`` weights, exported by ultralytics with a
dynamic batch axis (``model.export(format="onnx", dynamic=True)``). A model
exported with a fixed batch of 1 still works, one tile per run.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

import pipeline.detect.backends.yolo as yolo
from pipeline.detect.slicer import DEFAULT_BATCH
from pipeline.errors import MissingDependencyError

log = logging.getLogger(__name__)


def make_session(
    path: Path,
    *,
    threads: int | None = None,
    spin: bool | None = None,
    providers: list[str] | None = None,
) -> Any:
    """An ``onnxruntime.InferenceSession`` tuned for a small, shared CPU.

    ``threads`` intra-op threads (default: the CPUs this process may use), one
    inter-op thread, sequential execution, all graph optimisations. Idle pool
    threads sleep instead of spinning (``spin``, default ``$HEHU_ORT_SPIN`` or
    off) and parallel loops hand out work dynamically (``dynamic_block_base``):
    measured on 2 shared cores with another process busy, yolo11n took 41 ms a
    tile this way against 65 ms with ONNX Runtime's defaults, and 27 against
    26 ms when the machine was idle.
    """
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise MissingDependencyError(
            "the ONNX backend needs onnxruntime: pip install 'onnxruntime>=1.18'"
        ) from e
    if spin is None:
        spin = os.environ.get("HEHU_ORT_SPIN", "0") == "1"
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or yolo.default_threads()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    opts.add_session_config_entry("session.dynamic_block_base", "4")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=providers or ["CPUExecutionProvider"])


class OnnxDetector(yolo.YoloBackend):
    """``__call__(tiles (B, S, S, 3) uint8 BGR) -> list[Detections]`` in tile pixels.

    Runs the network ``batch_size`` tiles at a time (fewer when the model's
    batch axis is fixed). Boxes with confidence ``> conf`` survive class-wise
    NMS at ``iou``.
    """

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
    ) -> None:
        self.keep_settings(path, conf=conf, iou=iou, max_det=max_det)
        self.session = make_session(self.path, threads=threads)
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        fixed_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
        self.batch_size = self.batch_within(batch_size, fixed_batch)
        if fixed_batch == 1 and batch_size > 1:
            log.info(
                "%s has a fixed batch of 1 (export with dynamic=True to batch tiles)",
                self.path.name,
            )
        self.input_hw = tuple(d if isinstance(d, int) else None for d in inp.shape[2:4])

    def forward(self, tiles: np.ndarray) -> np.ndarray:
        """Raw network output ``(B, 4 + nc, A) float32`` for a batch of tiles."""
        if any(
            d is not None and d != s for d, s in zip(self.input_hw, tiles.shape[1:3], strict=True)
        ):
            raise ValueError(
                f"{self.path.name} takes {self.input_hw} px tiles, got {tiles.shape[1:3]}"
            )
        outs = [
            self.session.run(
                None, {self.input_name: yolo.preprocess(tiles[i : i + self.batch_size])}
            )[0]
            for i in range(0, len(tiles), self.batch_size)
        ]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)
