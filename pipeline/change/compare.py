"""Two registered images of the same ground compared pixel by pixel, robust to light.

The earlier frame is warped into the new frame's geometry and both are reduced to
a working size (long side ``work_px``). What differs between dates without any
change on the ground is mostly light: sun height and haze (a gain, gamma and offset
of the levels), shadows (a local gain), season (a slow change of colour). So each
colour channel is normalised by its local mean and spread over a Gaussian window of
``sigma_m`` metres on the ground (:func:`local_norm`), which cancels whatever gain
and offset is smooth over the window, and the two dates are compared there
(``method="norm"``, the default). The window must be a few times the size of the
changes sought, or an object normalises itself away (a 12 × 8 m patch vanished at
3.3 m and is found whole at 8 m). ``norm-gray`` does the same on gray levels
alone (blind to a change of colour at equal brightness); ``gray`` is the plain gray
difference, for comparison: it calls a whole frame changed under a change of light.

``coco`` compares the COCO backbone's features (:mod:`pipeline.change.deep`), and
``norm+coco`` takes the geometric mean of that and ``norm``: a change must show in
both. On aerial-cars (``bench/change/bench_change.py``) ``norm+coco`` finds 83 % of
the cars that came or went at 86 % precision where ``norm`` alone finds 81 % at
83 %; it needs torch and the checkpoint, and 0.35 s more a pair of 1000 px images.

Each difference is the smallest over shifts of up to ``shift_px`` working pixels,
so a residual misregistration or a wall leaning with parallax does not read as
change. Moving water and vehicles are not light: pass them as an ``ignore`` mask
(e.g. the engine's water map, a vehicle detector's boxes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Method = Literal["norm", "norm-gray", "gray", "coco", "norm+coco"]

#: Long side of the working images, pixels.
WORK_PX = 1000
#: Gaussian window of the local normalisation on the ground, metres: a few times the
#: size of the changes sought, so an object does not normalise itself away.
SIGMA_M = 8.0
#: The window in working pixels when the GSD is unknown.
SIGMA_PX = 48.0
#: Spread floor of the local normalisation, gray levels: flat ground is not
#: stretched into noise.
SPREAD_FLOOR = 8.0
#: Thresholds: a difference of normalised levels (root mean square over the channels,
#: in local standard deviations) or of gray levels that counts as change (score 1).
NORM_THRESHOLD = 0.5
GRAY_THRESHOLD = 20.0
#: Largest shift tolerated between the two images, working pixels.
SHIFT_PX = 1


@dataclass(frozen=True, eq=False)
class Comparison:
    """Per-pixel change score of the new frame at working scale.

    ``score (h, w) float32``: 1 at the threshold of change, larger is surer;
    ``valid (h, w) bool``: ground both frames see (and not ignored). ``scale``:
    full-resolution pixels of the new frame per working pixel.
    """

    score: NDArray[np.float32]
    valid: NDArray[np.bool_]
    scale: float


def index_h(h: FloatArray) -> FloatArray:
    """A homography in hehu's continuous pixels as OpenCV's pixel-centre indices."""
    t = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    return np.linalg.inv(t) @ np.asarray(h, np.float64) @ t


def scaled_h(h: FloatArray, s_new: float, s_old: float) -> FloatArray:
    """``h`` (full new → full old pixels) for images reduced by ``s_new`` and ``s_old``."""
    return np.diag([1 / s_old, 1 / s_old, 1.0]) @ h @ np.diag([s_new, s_new, 1.0])


def warp_old(
    old: np.ndarray, new_to_old: FloatArray, out_hw: tuple[int, int]
) -> tuple[np.ndarray, NDArray[np.bool_]]:
    """The earlier image resampled on the new frame's pixel grid, and where it exists."""
    import cv2

    m = index_h(new_to_old)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    size = (out_hw[1], out_hw[0])
    warped = cv2.warpPerspective(old, m, size, flags=flags, borderValue=0)
    ones = np.full(old.shape[:2], 255, np.uint8)
    cover = cv2.warpPerspective(ones, m, size, flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    return warped, cover > 0


def _reduce(image: np.ndarray, work_px: int) -> tuple[np.ndarray, float]:
    import cv2

    s = max(1.0, max(image.shape[:2]) / work_px)
    if s == 1.0:
        return image, 1.0
    size = (round(image.shape[1] / s), round(image.shape[0] / s))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), image.shape[1] / size[0]


def local_norm(image: np.ndarray, sigma_px: float | None = None) -> NDArray[np.float32]:
    """``(x - local mean) / max(local spread, SPREAD_FLOOR)`` per channel, over a
    Gaussian window of ``sigma_px`` (default :data:`SIGMA_PX`)."""

    sigma_px = SIGMA_PX if sigma_px is None else sigma_px
    x = image.astype(np.float32)
    mu = smooth(x, sigma_px)
    var = smooth(x * x, sigma_px) - mu * mu
    return (x - mu) / np.maximum(np.sqrt(np.maximum(var, 0.0)), SPREAD_FLOOR)


def smooth(x: NDArray[np.float32], sigma_px: float) -> NDArray[np.float32]:
    """Gaussian blur of ``sigma_px``; a wide one on a copy reduced to ``sigma / 4``
    pixels and brought back (the blurred field has no detail to lose; 20 to 50 times
    faster at the window sizes used)."""
    import cv2

    f = sigma_px / 4.0
    if f < 2.0:
        return cv2.GaussianBlur(x, (0, 0), sigma_px)
    h, w = x.shape[:2]
    small = cv2.resize(
        x, (max(1, round(w / f)), max(1, round(h / f))), interpolation=cv2.INTER_AREA
    )
    blurred = cv2.GaussianBlur(small, (0, 0), 4.0)
    return cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)


def shift_min_diff(a: np.ndarray, b: np.ndarray, shift_px: int = SHIFT_PX) -> NDArray[np.float32]:
    """Per pixel, the smallest ``|a(x) - b(x + d)|`` over shifts ``|d| <= shift_px``
    (root mean square over a last channel axis when there is one)."""
    best = None
    pad = [(shift_px, shift_px), (shift_px, shift_px)] + [(0, 0)] * (b.ndim - 2)
    bp = np.pad(b, pad, mode="edge")
    h, w = a.shape[:2]
    for dy in range(2 * shift_px + 1):
        for dx in range(2 * shift_px + 1):
            d = a - bp[dy : dy + h, dx : dx + w]
            d = np.sqrt(np.mean(d * d, axis=-1)) if a.ndim == 3 else np.abs(d)
            best = d if best is None else np.minimum(best, d)
    assert best is not None
    return best.astype(np.float32)


def _score(
    old: np.ndarray, new: np.ndarray, method: Method, shift_px: int, sigma_px: float
) -> np.ndarray:
    import cv2

    if method in ("coco", "norm+coco"):
        from pipeline.change.deep import feature_distance, load_backbone

        learned = feature_distance(old, new, load_backbone())
        if method == "coco":
            return learned
        return np.sqrt(np.maximum(learned, 0) * _score(old, new, "norm", shift_px, sigma_px))
    if method == "norm":
        a, b = local_norm(new, sigma_px), local_norm(old, sigma_px)
        return shift_min_diff(a, b, shift_px) / NORM_THRESHOLD
    gray_old = cv2.cvtColor(old, cv2.COLOR_BGR2GRAY)
    gray_new = cv2.cvtColor(new, cv2.COLOR_BGR2GRAY)
    if method == "norm-gray":
        a, b = local_norm(gray_new, sigma_px), local_norm(gray_old, sigma_px)
        return shift_min_diff(a, b, shift_px) / NORM_THRESHOLD
    if method == "gray":
        a, b = gray_new.astype(np.float32), gray_old.astype(np.float32)
        return shift_min_diff(a, b, shift_px) / GRAY_THRESHOLD
    raise ValueError(
        f"method must be 'norm', 'norm-gray', 'gray', 'coco' or 'norm+coco', got {method!r}"
    )


def compare(
    old_bgr: np.ndarray,
    new_bgr: np.ndarray,
    new_to_old: FloatArray,
    *,
    method: Method = "norm",
    work_px: int = WORK_PX,
    shift_px: int = SHIFT_PX,
    gsd_cm_per_px: float | None = None,
    sigma_m: float = SIGMA_M,
    ignore: NDArray[np.bool_] | None = None,
) -> Comparison:
    """Change score of ``new_bgr (H, W, 3) uint8`` against the registered ``old_bgr``.

    ``new_to_old``: :attr:`pipeline.change.register.Registration.new_to_old`.
    ``gsd_cm_per_px``: the new frame's GSD, which sizes the normalisation window
    (``sigma_m`` on the ground; :data:`SIGMA_PX` working pixels without a GSD).
    ``ignore (H', W') bool``: ground not to compare (any size; resized to working scale).
    """
    import cv2

    new_small, s_new = _reduce(new_bgr, work_px)
    old_small, s_old = _reduce(old_bgr, work_px)
    h = scaled_h(new_to_old, s_new, s_old)
    warped, cover = warp_old(old_small, h, new_small.shape[:2])
    sigma_px = SIGMA_PX if not gsd_cm_per_px else 100.0 * sigma_m / (gsd_cm_per_px * s_new)
    raw = _score(warped, new_small, method, shift_px, sigma_px)
    score = cv2.GaussianBlur(raw, (0, 0), 1.0)
    valid = cv2.erode(cover.astype(np.uint8), np.ones((2 * shift_px + 3,) * 2, np.uint8)) > 0
    if ignore is not None:
        size = (new_small.shape[1], new_small.shape[0])
        ign = cv2.resize(ignore.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        valid &= ~ign
    return Comparison(np.where(valid, score, 0).astype(np.float32), valid, s_new)
