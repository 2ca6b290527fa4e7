"""Detections: validation messages, immutability, concat/filter/scale."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.detect.detections import Detections


def make(n: int = 3) -> Detections:
    xyxy = np.array([[0, 0, 10, 10], [5, 5, 20, 30], [100, 50, 110, 60]], np.float32)[:n]
    return Detections(
        xyxy, np.array([0.9, 0.5, 0.7])[:n], np.array([0, 1, 0])[:n], np.array([0, 0, 2])[:n]
    )


@pytest.mark.parametrize(
    ("xyxy", "conf", "cls", "tile", "message"),
    [
        (
            np.zeros(4),
            np.zeros(1),
            np.zeros(1),
            np.zeros(1),
            r"xyxy_px must be a 2D array of shape \(N, 4\), got shape \(4,\)",
        ),
        (np.zeros((2, 5)), np.zeros(2), np.zeros(2), np.zeros(2), r"got shape \(2, 5\)"),
        (
            np.zeros((2, 4)),
            np.zeros(3),
            np.zeros(2),
            np.zeros(2),
            r"conf must be a 1D array of shape \(N,\) = \(2,\)",
        ),
        (
            np.zeros((2, 4)),
            np.zeros(2),
            np.zeros((2, 1)),
            np.zeros(2),
            r"class_id must be .* got shape \(2, 1\)",
        ),
        (
            np.zeros((1, 4)),
            np.zeros(1),
            np.array([0.5]),
            np.zeros(1),
            "class_id must hold integers",
        ),
        (
            np.array([[0, 0, np.nan, 1]]),
            np.zeros(1),
            np.zeros(1),
            np.zeros(1),
            r"non-finite values in rows \[0\]",
        ),
        (
            np.array([[5, 0, 1, 1]]),
            np.zeros(1),
            np.zeros(1),
            np.zeros(1),
            r"x2 >= x1 and y2 >= y1; rows \[0\]",
        ),
    ],
)
def test_validation_messages(xyxy, conf, cls, tile, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Detections(xyxy, conf, cls, tile)


def test_dtypes_and_read_only() -> None:
    d = make()
    assert d.xyxy_px.dtype == np.float32 and d.conf.dtype == np.float32
    assert d.class_id.dtype == np.int64 and d.tile_index.dtype == np.int64
    with pytest.raises(ValueError):
        d.xyxy_px[0, 0] = 1
    with pytest.raises(AttributeError):
        d.conf = np.zeros(3)  # type: ignore[misc]


def test_caller_arrays_are_copied() -> None:
    xyxy = np.array([[0, 0, 1, 1]], np.float32)
    d = Detections.from_arrays(xyxy, [0.5], [0])
    xyxy[0, 0] = 0.5
    assert d.xyxy_px[0, 0] == 0 and xyxy.flags.writeable
    assert d.tile_index.tolist() == [-1]


def test_concat_filter_index_sort() -> None:
    d = make()
    both = Detections.concat([d, d[[0]]])
    assert len(both) == 4 and both.conf.tolist()[-1] == pytest.approx(0.9)
    assert len(Detections.concat([])) == 0
    assert d.filter(d.class_id == 0).conf.tolist() == pytest.approx([0.9, 0.7])
    assert d.above(0.6).class_id.tolist() == [0, 0]
    assert d.sorted_by_conf().conf.tolist() == pytest.approx([0.9, 0.7, 0.5])
    with pytest.raises(ValueError, match=r"mask must have shape \(3,\)"):
        d.filter(np.array([True]))


def test_scale_shift_clip_area() -> None:
    d = make()
    np.testing.assert_allclose(d.scaled(2).xyxy_px[1], [10, 10, 40, 60])
    t = d.transformed(scale_xy=(2, 0.5), shift_xy=(1, -1))
    np.testing.assert_allclose(t.xyxy_px[1], [11, 1.5, 41, 14])
    c = d.clipped(15, 25)
    np.testing.assert_allclose(c.xyxy_px, [[0, 0, 10, 10], [5, 5, 15, 25]])
    np.testing.assert_allclose(d.area_px(), [100, 375, 100])
    with pytest.raises(ValueError, match="positive"):
        d.transformed(scale_xy=(0, 1))
