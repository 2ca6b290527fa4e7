"""A frame's correction against the anchors already placed (pure numpy, no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.ledger.register import MIN_SUPPORT, align_frame, design

CAMERA = (0.0, 0.0, 120.0)  # nadir east, north (m), height above the ground (m)


def _rotated(points: np.ndarray, omega_rad: np.ndarray, shift_m=(0.0, 0.0)) -> np.ndarray:
    """Where ``points`` (N, 2) on level ground are placed when the camera at ``CAMERA`` is
    turned by ``omega_rad`` (east, north, up; Rodrigues, not the first-order model) and its
    GPS is off by ``shift_m``."""
    angle = float(np.linalg.norm(omega_rad))
    k = np.asarray(omega_rad) / angle
    rays = np.c_[points - CAMERA[:2], np.full(len(points), -CAMERA[2])]
    turned = (rays * math.cos(angle) + np.cross(k, rays) * math.sin(angle)
              + np.outer(rays @ k, k) * (1 - math.cos(angle)))  # fmt: skip
    ground = turned[:, :2] * (CAMERA[2] / -turned[:, 2:3])
    return ground + CAMERA[:2] + np.asarray(shift_m)


def _cameras(n: int) -> np.ndarray:
    return np.tile(CAMERA, (n, 1))


def _rows(seed: int = 0) -> np.ndarray:
    """Three rows of 12 cars 2.5 m apart, 120, 250 and 330 m ahead, a little irregular."""
    rng = np.random.default_rng(seed)
    east = (np.arange(12) - 5.5) * 2.5
    cars = np.array([(e, n) for n in (120.0, 250.0, 330.0) for e in east])
    return cars + rng.normal(0, 0.3, cars.shape)


def test_the_first_order_model_matches_a_turned_camera() -> None:
    cars = _rows()
    omega = np.radians([0.5, -0.3, 0.4])
    exact = _rotated(cars, omega) - cars
    linear = np.einsum("uki,i->uk", design(cars, _cameras(len(cars)))[:, :, 2:5], omega)
    assert np.abs(exact).max() > 5.0  # 0.5° of pitch moves the far row by ~9 m
    assert np.abs(exact - linear).max() < 0.03 * np.abs(exact).max()  # second order only


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_turned_frame_is_brought_back_car_on_car(seed: int) -> None:
    cars = _rows(seed)
    rng = np.random.default_rng(seed)
    seen = _rotated(cars, np.radians(rng.normal(0, 0.5, 3)), rng.normal(0, 1.0, 2))
    gates = np.full((len(cars), len(cars)), 20.0)
    got = align_frame(seen, _cameras(len(cars)), cars, gates, np.full(len(cars), 7.0))
    moved = seen + got.offsets_m
    assert got.applied and got.inliers == len(cars)
    assert np.abs(moved - cars).max() < 0.3  # each car onto itself, not onto its neighbour


def test_without_a_camera_only_a_shift_is_fitted() -> None:
    cars = _rows()[:12]
    seen = cars + np.array([1.6, -0.4])  # over half the spacing: the nearest car is wrong
    got = align_frame(seen, np.full((12, 3), np.nan), cars, np.full((12, 12), 5.0), np.ones(12))
    assert np.all(got.params[2:] == 0)
    assert got.params[:2] == pytest.approx((-1.6, 0.4), abs=0.05)


def test_too_few_sightings_or_no_agreement_give_no_correction() -> None:
    cars = _rows()
    n = MIN_SUPPORT - 1
    few = align_frame(cars[:n] + 1.0, _cameras(n), cars, np.full((n, len(cars)), 20.0),
                      np.full(n, 7.0))  # fmt: skip
    assert not few.applied and np.all(few.offsets_m == 0)
    # piles scattered at random near other piles: no common correction explains them
    rng = np.random.default_rng(5)
    anchors = rng.uniform(-60, 60, (8, 2)) + np.array([0.0, 200.0])
    scattered = anchors + rng.uniform(-8, 8, (8, 2))
    got = align_frame(scattered, _cameras(8), anchors, np.full((8, 8), 10.0), np.full(8, 5.0))
    assert not got.applied


def test_pairs_outside_their_gates_are_not_candidates() -> None:
    cars = _rows()[:12]
    seen = cars + np.array([1.6, 0.0])
    gates = np.full((12, 12), np.nan)  # no pair may correspond
    assert not align_frame(seen, _cameras(12), cars, gates, np.ones(12)).applied
