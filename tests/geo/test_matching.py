"""Tie points between two views of one texture: right, and the same every time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from pipeline.geo.matching import RANSAC_PX, match_features, orb_features


def _views(shift_uv=(37, -21)) -> tuple[np.ndarray, np.ndarray]:
    """Two 900×600 windows of one random texture, the second moved by ``shift_uv``."""
    rng = np.random.default_rng(7)
    ground = cv2.GaussianBlur(rng.integers(0, 255, (800, 1100), dtype=np.uint8), (0, 0), 1.5)
    du, dv = shift_uv
    a = ground[100 : 100 + 600, 100 : 100 + 900]
    b = ground[100 + dv : 100 + dv + 600, 100 + du : 100 + du + 900]
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def test_matches_follow_the_shift_at_full_resolution() -> None:
    a, b = _views()
    fa, fb = orb_features(a, scale=4.0), orb_features(b, scale=4.0)
    uv_a, uv_b = match_features(fa, fb)
    assert len(uv_a) > 200
    # b shows the ground moved by (37, -21) reduced pixels: a point at uv_a sits at uv_a - shift
    error = np.abs(uv_a - uv_b - [37 * 4.0, -21 * 4.0])
    assert error.max() <= RANSAC_PX * 4.0  # every inlier within RANSAC's threshold…
    assert np.median(error) < 0.5 * 4.0  # …and nearly all on the true shift


def test_the_same_features_give_the_same_tie_points_on_any_thread() -> None:
    """The LSH index is random; its seed makes the yaw check's verdicts repeatable."""
    a, b = _views()
    fa, fb = orb_features(a), orb_features(b)
    first = match_features(fa, fb)
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(lambda _: match_features(fa, fb), range(6)))
    for uv_a, uv_b in again:
        np.testing.assert_array_equal(uv_a, first[0])
        np.testing.assert_array_equal(uv_b, first[1])


def test_too_few_features_match_nothing() -> None:
    blank = np.full((600, 900), 128, np.uint8)
    a, _ = _views()
    uv_a, uv_b = match_features(orb_features(blank), orb_features(a))
    assert uv_a.shape == uv_b.shape == (0, 2)


@pytest.mark.parametrize("shape", [(1, 1), (1, 100), (100, 1), (31, 200), (0, 0)])
def test_an_image_too_small_for_orb_has_no_features(shape) -> None:
    """OpenCV asserts (inv_scale_x > 0) on a 1 px side; the answer must be "none"."""
    gray = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    features = orb_features(gray, scale=2.0)
    assert len(features) == 0 and features.descriptors is None
    uv_a, uv_b = match_features(features, orb_features(_views()[0]))
    assert uv_a.shape == uv_b.shape == (0, 2)
