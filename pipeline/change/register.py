"""Register two frames of the same ground: a pixel mapping from the new frame to the earlier.

Tie points come from :mod:`pipeline.geo.matching` (ORB, ratio test, RANSAC on a
homography; the yaw check uses the same) or from SIFT (``features="sift"``:
slower, sub-pixel keypoints); ``features="auto"`` (the default) tries ORB and
falls back on SIFT when ORB fails or misses the 2 px rule (Brighton's beach: ORB
registers 6 of 9 pairs, SIFT 8). The model is then fitted again on those tie points
with RANSAC at :data:`RANSAC_PX` full-resolution pixels and refined on its inliers:

- ``homography`` (8 degrees of freedom): any view of flat ground;
- ``affine`` (6): near-nadir frames, where perspective between the two is negligible;
- ``auto``: affine when the caller says both frames look within
  :data:`NADIR_DEG` of straight down, else homography.

The residual is the root mean square of the inliers' reprojection errors, in the
earlier frame's full-resolution pixels, and in metres when its GSD is known. Offices'
interpretation rules ask under 2 px between dates (:data:`MAX_RESIDUAL_PX`); a
registration above it is kept but says so (``meets_rule`` False). A registration
that fails (too few tie points, degenerate model, or far from the geotags' prior)
has ``ok`` False and a ``reason``.

Measured on consecutive frames of two DJI videos (1920×1080, aerial-cars): ORB
residual 0.4–1.0 px in 0.1–0.25 s a pair, SIFT 0.27–0.39 px in 2.3–5 s (2 CPU cores).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Model = Literal["homography", "affine", "auto"]
FeatureKind = Literal["orb", "sift", "auto"]

#: The offices' rule for images of two dates compared for change, full-resolution pixels.
MAX_RESIDUAL_PX = 2.0
#: RANSAC inlier threshold of the final fit, full-resolution pixels.
RANSAC_PX = 2.0
#: Fewest inliers for a registration to count.
MIN_INLIERS = 12
#: Frames within this of straight down are "nadir" for ``model="auto"``.
NADIR_DEG = 10.0
#: Long side of the grayscale copies features are found on, pixels.
WORK_PX = 2000
#: Lowe's ratio for SIFT matches.
SIFT_RATIO = 0.75


@dataclass(frozen=True)
class Registration:
    """How the new frame's pixels map onto the earlier frame's.

    ``new_to_old`` is a 3×3 homography (an affine one has last row 0 0 1) taking
    full-resolution pixels ``(u, v, 1)`` of the new frame to the earlier frame's,
    in hehu's pixel convention (continuous, (0, 0) the top-left corner). ``None``
    when ``ok`` is False. ``residual_px``: RMS reprojection error of the inliers in
    the earlier frame's pixels; ``residual_m`` the same times its GSD (None when unknown).
    ``overlap``: share of the new frame that lands inside the earlier one.
    """

    ok: bool
    model: str
    new_to_old: FloatArray | None
    n_tie_points: int
    n_inliers: int
    residual_px: float
    residual_m: float | None
    overlap: float
    reason: str = ""
    features: str = ""

    @property
    def meets_rule(self) -> bool:
        """Registered to under :data:`MAX_RESIDUAL_PX` (offices' rule between dates)."""
        return self.ok and self.residual_px < MAX_RESIDUAL_PX

    @property
    def old_to_new(self) -> FloatArray | None:
        """The inverse mapping, earlier frame's pixels to the new frame's."""
        return None if self.new_to_old is None else np.linalg.inv(self.new_to_old)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (the matrix as nested lists)."""
        h = None if self.new_to_old is None else [[float(x) for x in r] for r in self.new_to_old]
        return {
            "ok": self.ok,
            "model": self.model,
            "new_to_old": h,
            "n_tie_points": self.n_tie_points,
            "n_inliers": self.n_inliers,
            "residual_px": round(self.residual_px, 3),
            "residual_m": None if self.residual_m is None else round(self.residual_m, 4),
            "overlap": round(self.overlap, 3),
            "meets_rule": self.meets_rule,
            "reason": self.reason,
            "features": self.features,
        }


def failed(reason: str, n_tie_points: int = 0, model: str = "none") -> Registration:
    """A registration that did not succeed, with why."""
    return Registration(False, model, None, n_tie_points, 0, math.nan, None, 0.0, reason)


def apply_h(h: FloatArray, uv: FloatArray) -> FloatArray:
    """Points ``uv (N, 2)`` through the homography ``h (3, 3)``."""
    uv = np.asarray(uv, np.float64).reshape(-1, 2)
    p = np.column_stack([uv, np.ones(len(uv))]) @ np.asarray(h, np.float64).T
    with np.errstate(divide="ignore", invalid="ignore"):
        return p[:, :2] / p[:, 2:3]


def _reduced(gray: np.ndarray, work_px: int) -> tuple[np.ndarray, float]:
    import cv2

    scale = max(1.0, max(gray.shape[:2]) / work_px)
    if scale == 1.0:
        return gray, 1.0
    size = (round(gray.shape[1] / scale), round(gray.shape[0] / scale))
    out = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return out, gray.shape[1] / out.shape[1]


def _sift_ties(
    gray_new: np.ndarray, gray_old: np.ndarray, work_px: int
) -> tuple[FloatArray, FloatArray]:
    import cv2

    (a, sa), (b, sb) = _reduced(gray_new, work_px), _reduced(gray_old, work_px)
    sift = cv2.SIFT_create(nfeatures=4000)
    ka, da = sift.detectAndCompute(a, None)
    kb, db = sift.detectAndCompute(b, None)
    if da is None or db is None or len(ka) < 2 or len(kb) < 2:
        return np.empty((0, 2)), np.empty((0, 2))
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(da, db, k=2)
    good = [p[0] for p in knn if len(p) == 2 and p[0].distance < SIFT_RATIO * p[1].distance]
    # OpenCV keypoints sit at pixel centres on integer coordinates: shift by half a pixel.
    ua = (np.float64([ka[m.queryIdx].pt for m in good]).reshape(-1, 2) + 0.5) * sa
    ub = (np.float64([kb[m.trainIdx].pt for m in good]).reshape(-1, 2) + 0.5) * sb
    return ua, ub


def tie_points_for(
    gray_new: np.ndarray, gray_old: np.ndarray, *, features: FeatureKind = "orb",
    work_px: int = WORK_PX,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """Candidate tie points ``(uv_new, uv_old)`` (N, 2), full-resolution pixels."""
    if features == "sift":
        return _sift_ties(gray_new, gray_old, work_px)
    if features != "orb":
        raise ValueError(f"features must be 'orb' or 'sift', got {features!r}")
    from pipeline.geo.matching import tie_points

    (a, sa), (b, sb) = _reduced(gray_new, work_px), _reduced(gray_old, work_px)
    return tie_points(a, b, scale_a=sa, scale_b=sb)


def fit_model(
    uv_new: FloatArray, uv_old: FloatArray, model: str
) -> tuple[FloatArray | None, NDArray[np.bool_]]:
    """RANSAC fit of ``model`` ('homography' or 'affine'), refined on its inliers."""
    import cv2

    none = None, np.zeros(len(uv_new), bool)
    if len(uv_new) < MIN_INLIERS:
        return none
    if model == "affine":
        m, mask = cv2.estimateAffine2D(uv_new, uv_old, method=cv2.RANSAC,
                                       ransacReprojThreshold=RANSAC_PX, refineIters=20)  # fmt: skip
        h = None if m is None else np.vstack([m, [0.0, 0.0, 1.0]])
    else:
        h, mask = cv2.findHomography(uv_new, uv_old, cv2.RANSAC, RANSAC_PX, maxIters=4000)
    if h is None or mask is None:
        return none
    keep = mask.ravel().astype(bool)
    if model != "affine" and keep.sum() >= MIN_INLIERS:
        refined, _ = cv2.findHomography(uv_new[keep], uv_old[keep], 0)
        h = h if refined is None else refined
    return np.asarray(h, np.float64), keep


def frame_overlap(h: FloatArray, new_hw: tuple[int, int], old_hw: tuple[int, int]) -> float:
    """Share of a grid over the new frame that maps inside the earlier frame."""
    gy, gx = np.mgrid[0:21, 0:21] / 20.0
    uv = np.column_stack([gx.ravel() * new_hw[1], gy.ravel() * new_hw[0]])
    p = apply_h(h, uv)
    inside = (p[:, 0] >= 0) & (p[:, 0] <= old_hw[1]) & (p[:, 1] >= 0) & (p[:, 1] <= old_hw[0])
    return float(inside.mean())


def _prior_check(h: FloatArray, prior: FloatArray | None, new_hw, max_px: float) -> str:
    """'' when ``h`` agrees with the geotags' prior at the new frame's centre, else why."""
    if prior is None:
        return ""
    centre = np.array([[new_hw[1] / 2, new_hw[0] / 2]])
    gap = float(np.linalg.norm(apply_h(h, centre) - apply_h(prior, centre)))
    if gap > max_px:
        return f"registration lands {gap:.0f} px from where the geotags put it (> {max_px:.0f})"
    return ""


def register_pair(
    gray_new: np.ndarray,
    gray_old: np.ndarray,
    *,
    model: Model = "auto",
    nadir: bool = False,
    features: FeatureKind = "auto",
    gsd_cm_per_px: float | None = None,
    prior_new_to_old: FloatArray | None = None,
    prior_max_px: float = 400.0,
    work_px: int = WORK_PX,
) -> Registration:
    """Register ``gray_new (H, W) uint8`` onto ``gray_old`` (full-resolution grayscale).

    ``nadir``: both frames look within :data:`NADIR_DEG` of straight down (the
    ``auto`` model is affine then). ``gsd_cm_per_px``: the earlier frame's GSD, for
    ``residual_m``. ``prior_new_to_old``: the mapping the geotags predict
    (:func:`pipeline.change.pairing.prior_homography`); a registration landing more
    than ``prior_max_px`` from it at the frame centre is refused as a false match.
    """
    chosen = ("affine" if nadir else "homography") if model == "auto" else model
    prior = (prior_new_to_old, prior_max_px)
    if features != "auto":
        return _register(gray_new, gray_old, chosen, features, gsd_cm_per_px, prior, work_px)
    first = _register(gray_new, gray_old, chosen, "orb", gsd_cm_per_px, prior, work_px)
    if first.meets_rule:
        return first
    second = _register(gray_new, gray_old, chosen, "sift", gsd_cm_per_px, prior, work_px)
    if not (first.ok or second.ok):
        return failed(f"{first.reason}; {second.reason}", second.n_tie_points, chosen)
    return second if second.ok and not second.residual_px > first.residual_px else first


def _register(gray_new, gray_old, chosen, features, gsd_cm_per_px, prior, work_px):
    uv_new, uv_old = tie_points_for(gray_new, gray_old, features=features, work_px=work_px)
    n = len(uv_new)
    h, keep = fit_model(uv_new, uv_old, chosen)
    if h is None or keep.sum() < MIN_INLIERS:
        why = f"too few tie points ({int(keep.sum())} of {n} consistent; {features})"
        return failed(why, n, chosen)
    if abs(np.linalg.det(h[:2, :2])) < 1e-6:
        return failed("degenerate mapping", n, chosen)
    why = _prior_check(h, prior[0], gray_new.shape[:2], prior[1])
    if why:
        return failed(why, n, chosen)
    err = np.linalg.norm(apply_h(h, uv_new[keep]) - uv_old[keep], axis=1)
    rms = float(np.sqrt(np.mean(err**2)))
    rms_m = None if not gsd_cm_per_px else rms * gsd_cm_per_px / 100.0
    overlap = frame_overlap(h, gray_new.shape[:2], gray_old.shape[:2])
    return Registration(True, chosen, h, n, int(keep.sum()), rms, rms_m, overlap, "", features)
