"""Learned features for change: where the COCO backbone describes the ground differently.

The backbone is the first layers of YOLOv5n trained on COCO
(``../shared/weights/yolov5n-coco``, read by :mod:`pipeline.train.init_weights` into
ultralytics' ``yolov5nu.yaml`` without the yolov5 code): through layer
:data:`LAYER` (a C3 block, 64 channels at stride 8) its features describe shapes
and textures of objects (cars, boats, people), little of their brightness. Each
cell's feature vector is normalised to unit length and the two dates compared by
cosine distance, so a gain of the light barely moves it.

torch and ultralytics are imported inside :func:`load_backbone`; the loaded
backbone is kept per process (it is small: 0.1 M parameters through layer 4).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

#: Last backbone layer used (yolov5nu: 0 Conv, 1 Conv, 2 C3, 3 Conv, 4 C3 at stride 8).
LAYER = 4
#: Cosine distance between the dates' features that counts as change (score 1).
COCO_THRESHOLD = 0.45

Features = Callable[[np.ndarray], NDArray[np.float32]]


@lru_cache(maxsize=2)
def load_backbone(spec: str = "yolov5n-coco", layer: int = LAYER) -> Features:
    """A callable: BGR image ``(H, W, 3) uint8`` → unit feature vectors ``(C, h, w)``."""
    import torch

    from pipeline.train.init_weights import read_checkpoint_tensors, resolve_init, transfer
    from pipeline.ultra import import_ultralytics

    import_ultralytics()
    from ultralytics.nn.tasks import DetectionModel

    init = resolve_init(spec)
    model = DetectionModel(init.arch, nc=80, verbose=False)
    transfer(read_checkpoint_tensors(init.path), model)
    layers = torch.nn.Sequential(*list(model.model[: layer + 1])).eval()

    def features(bgr: np.ndarray) -> NDArray[np.float32]:
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0
        with torch.no_grad():
            f = layers(x)[0].numpy()
        return f / (np.linalg.norm(f, axis=0, keepdims=True) + 1e-6)

    return features


def feature_distance(
    old_bgr: np.ndarray, new_bgr: np.ndarray, features: Features
) -> NDArray[np.float32]:
    """Cosine distance of the two images' features, ``(H, W)`` at the images' size,
    divided by :data:`COCO_THRESHOLD` (1 = change)."""
    import cv2

    fa, fb = features(old_bgr), features(new_bgr)
    d = (1.0 - np.sum(fa * fb, axis=0)).astype(np.float32)
    h, w = new_bgr.shape[:2]
    return cv2.resize(d, (w, h), interpolation=cv2.INTER_LINEAR) / COCO_THRESHOLD
