"""Generated ground pictures for the change tests: seeded, textured, with known geometry."""

from __future__ import annotations

import numpy as np


def ground(h: int = 600, w: int = 800, seed: int = 0) -> np.ndarray:
    """``(h, w, 3) uint8`` BGR: blurred noise at three scales and 60 coloured blocks."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    for sigma, weight in ((1.0, 40.0), (4.0, 60.0), (16.0, 80.0)):
        noise = rng.normal(0, 1, (h, w, 3)).astype(np.float32)
        blurred = cv2.GaussianBlur(noise, (0, 0), sigma)
        img += weight * blurred / blurred.std()
    img += 120
    for _ in range(60):
        x, y = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        bw, bh = (int(v) for v in rng.integers(6, 40, 2))
        img[y : y + bh, x : x + bw] = rng.integers(30, 230, 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def warp(image: np.ndarray, old_to_new: np.ndarray, hw: tuple[int, int] | None = None):
    """``image`` seen through the known mapping (hehu continuous pixels, old → new)."""
    import cv2

    from pipeline.change.compare import index_h

    h, w = hw or image.shape[:2]
    return cv2.warpPerspective(image, index_h(old_to_new), (w, h), flags=cv2.INTER_LINEAR)


def relight(image: np.ndarray, gain: float = 0.6, offset: float = 25.0, gamma: float = 1.3):
    """The same ground under other light (gamma, gain and offset on every channel)."""
    x = (image.astype(np.float32) / 255.0) ** gamma * 255.0 * gain + offset
    return np.clip(x, 0, 255).astype(np.uint8)


def gray(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


#: A mild perspective mapping, earlier frame's pixels → new frame's.
OLD_TO_NEW = np.array([[0.98, 0.04, 12.0], [-0.03, 0.99, -9.0], [2e-5, 1e-5, 1.0]])
