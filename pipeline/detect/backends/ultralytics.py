"""PyTorch backend through ultralytics: the reference the ONNX path is checked against.

torch and ultralytics are imported inside :meth:`UltralyticsDetector.__init__`
(through :func:`pipeline.ultra.import_ultralytics`), never at module import.
Pre- and post-processing are the shared numpy ones, so the two backends differ
only in the network's runtime.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

import pipeline.detect.backends.yolo as yolo
from pipeline.detect.slicer import DEFAULT_BATCH


class UltralyticsDetector(yolo.YoloBackend):
    """``__call__(tiles (B, S, S, 3) uint8 BGR) -> list[Detections]`` in tile pixels,
    running the card's ``.pt`` weights with PyTorch (fused, eval mode, float32,
    channels-last memory layout)."""

    weights_format = "pt"

    def __init__(
        self,
        path: Path | str,
        *,
        conf: float,
        iou: float,
        batch_size: int = DEFAULT_BATCH,
        device: str = "cpu",
        threads: int | None = None,
        max_det: int = yolo.MAX_DET,
    ) -> None:
        from pipeline.ultra import import_ultralytics

        if "torch" not in sys.modules:
            # Idle OpenMP threads sleep instead of spinning: on 2 shared cores with
            # another process busy, yolo11n took 55 ms a tile this way, 160-320 ms
            # spinning. Read once, when torch loads; a caller's setting wins.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import_ultralytics()
        import torch
        from ultralytics import YOLO

        self.threads = threads or yolo.default_threads()
        self.keep_settings(path, conf=conf, iou=iou, max_det=max_det)
        self.batch_size = self.batch_within(int(batch_size), None)
        self._torch = torch
        self.device = torch.device(device)
        model: Any = YOLO(str(self.path)).model
        model = model.fuse(verbose=False).float().eval().to(self.device)
        # channels_last lets oneDNN skip layout reorders: ≈ 2x faster on CPU, same numbers.
        self.model = model.to(memory_format=torch.channels_last)
        self.names: dict[int, str] = dict(model.names)

    def forward(self, tiles: np.ndarray) -> np.ndarray:
        """Raw network output ``(B, 4 + nc, A) float32`` for a batch of tiles."""
        torch = self._torch
        # ultralytics leaves torch on one thread: OMP_NUM_THREADS=1 on import, and
        # set_num_threads(cpu_count - 1) on every predict (1 on a 2-core machine).
        # Inference wants every core; the setting is process-wide, so check each call.
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        outs = []
        with torch.inference_mode():
            for i in range(0, len(tiles), self.batch_size):
                x = torch.from_numpy(yolo.preprocess(tiles[i : i + self.batch_size]))
                x = x.to(self.device).contiguous(memory_format=torch.channels_last)
                y = self.model(x)
                y = y[0] if isinstance(y, (list, tuple)) else y
                outs.append(y.float().cpu().numpy())
        return outs[0] if len(outs) == 1 else np.concatenate(outs)
