"""Tie points between two overlapping frames (ORB features, RANSAC-filtered).

Used to check recorded attitude against what the images themselves show.
Frames are matched on reduced grayscale copies; the returned pixels are in
each frame's full stored resolution, in hehu's pixel convention (continuous
column/row, (0, 0) the top-left corner of the top-left pixel).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Lowe's ratio test threshold for ORB descriptor matches.
RATIO = 0.75
#: RANSAC reprojection threshold in reduced-image pixels.
RANSAC_PX = 3.0


def tie_points(
    gray_a: NDArray[np.uint8],
    gray_b: NDArray[np.uint8],
    *,
    scale_a: float = 1.0,
    scale_b: float = 1.0,
    n_features: int = 4000,
) -> tuple[FloatArray, FloatArray]:
    """Matched pixels ``(uv_a, uv_b)``, each (N, 2), of two grayscale images.

    ``scale_a``/``scale_b`` multiply the matched coordinates back to each
    frame's full resolution (full width / reduced width). Matches pass a ratio
    test and a RANSAC homography (nadir frames over roughly flat ground; for
    oblique views the homography still holds for ground points). Returns empty
    arrays when fewer than 8 matches survive.
    """
    import cv2

    orb = cv2.ORB_create(nfeatures=n_features)
    kp_a, des_a = orb.detectAndCompute(gray_a, None)
    kp_b, des_b = orb.detectAndCompute(gray_b, None)
    empty = np.empty((0, 2)), np.empty((0, 2))
    if des_a is None or des_b is None or len(kp_a) < 8 or len(kp_b) < 8:
        return empty
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(des_a, des_b, k=2)
    good = [p[0] for p in knn if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < 8:
        return empty
    pts_a = np.float64([kp_a[m.queryIdx].pt for m in good])
    pts_b = np.float64([kp_b[m.trainIdx].pt for m in good])
    _, inliers = cv2.findHomography(pts_a, pts_b, cv2.RANSAC, RANSAC_PX)
    if inliers is None:
        return empty
    keep = inliers.ravel().astype(bool)
    # OpenCV keypoints sit at pixel centres on integer coordinates: shift by half a pixel.
    return (pts_a[keep] + 0.5) * scale_a, (pts_b[keep] + 0.5) * scale_b
