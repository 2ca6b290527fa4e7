"""The flat ground model and the GroundModel protocol."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.geo.ground import FlatGround, GroundModel


@pytest.mark.parametrize(
    ("offset", "origin_z", "direction", "t"),
    [
        (0.0, 100.0, (0, 0, -1), 100.0),
        (0.0, 100.0, (3, 4, -1), 100.0),  # t in units of the direction's length
        (10.0, 100.0, (0, 0, -2), 45.0),
        (-20.0, 100.0, (0, 0, -1), 120.0),
        (0.0, 100.0, (1, 0, 0), np.nan),  # horizontal
        (0.0, 100.0, (1, 0, 1e-3), np.nan),  # rising
        (0.0, 100.0, (1, 0, -1e-12), np.nan),  # within MIN_DESCENT of the horizon
        (150.0, 100.0, (0, 0, -1), np.nan),  # ground above the camera
    ],
)
def test_flat_ground_intersection(offset, origin_z, direction, t) -> None:
    got = FlatGround(offset_m=offset).intersect(
        [0.0, 0.0, origin_z], np.array([direction], dtype=float)
    )
    np.testing.assert_allclose(got, [t])


def test_flat_ground_is_a_ground_model_and_vectorised() -> None:
    ground = FlatGround(offset_m=2.5)
    assert isinstance(ground, GroundModel)
    np.testing.assert_array_equal(ground.elevation_m(np.zeros((2, 3)), 0.0), np.full((2, 3), 2.5))
    assert ground.elevation_m(0.0, 0.0).shape == ()
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        ground.intersect([0, 0, 1], np.zeros((4, 2)))
