"""Registration of a frame warped by a known mapping."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.change.register import MAX_RESIDUAL_PX, apply_h, register_pair
from tests.change.scenes import OLD_TO_NEW, gray, ground, relight, warp

GRID = np.array([(u, v) for u in range(100, 800, 100) for v in range(100, 600, 100)], float)


@pytest.mark.parametrize("features", ["orb", "sift"])
def test_known_homography_is_recovered_under_a_pixel(features) -> None:
    old = ground()
    new = relight(warp(old, OLD_TO_NEW))
    reg = register_pair(gray(new), gray(old), features=features, gsd_cm_per_px=2.0)
    assert reg.ok and reg.model == "homography"
    assert reg.residual_px < 1.0 and reg.meets_rule
    assert reg.residual_m == pytest.approx(reg.residual_px * 0.02)
    inside = GRID[(GRID[:, 0] > 150) & (GRID[:, 1] > 150)]  # where both frames see the ground
    err = np.linalg.norm(apply_h(reg.new_to_old, apply_h(OLD_TO_NEW, inside)) - inside, axis=1)
    assert err.max() < 1.0
    assert 0.8 < reg.overlap <= 1.0


def test_nadir_pairs_use_an_affine_model() -> None:
    old = ground(seed=1)
    shift = np.array([[1.0, 0.0, 15.0], [0.0, 1.0, -10.0], [0.0, 0.0, 1.0]])
    reg = register_pair(gray(warp(old, shift)), gray(old), nadir=True)
    assert reg.ok and reg.model == "affine" and reg.features == "orb"  # ORB met the rule
    np.testing.assert_allclose(reg.new_to_old[:2, 2], [-15.0, 10.0], atol=0.3)
    assert reg.residual_px < MAX_RESIDUAL_PX


def test_unrelated_frames_fail_with_a_reason() -> None:
    reg = register_pair(gray(ground(seed=2)), gray(ground(seed=3)))
    assert not reg.ok and reg.new_to_old is None and not reg.meets_rule
    assert "tie points" in reg.reason


def test_a_match_far_from_the_geotags_is_refused() -> None:
    old = ground()
    new = warp(old, OLD_TO_NEW)
    far = np.array([[1.0, 0.0, 900.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    reg = register_pair(gray(new), gray(old), prior_new_to_old=far)
    assert not reg.ok and "geotags" in reg.reason
    near = np.linalg.inv(OLD_TO_NEW)
    assert register_pair(gray(new), gray(old), prior_new_to_old=near).ok


def test_residual_over_the_rule_is_said() -> None:
    reg = register_pair(gray(warp(ground(), OLD_TO_NEW)), gray(ground()))
    shifted = type(reg)(**{**vars(reg), "residual_px": 2.5})
    assert reg.meets_rule and not shifted.meets_rule
    assert shifted.to_dict()["meets_rule"] is False
