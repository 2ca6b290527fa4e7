"""Tile plans cover every pixel; tiles hold the frame's pixels; boxes come back right."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.detect.detections import Detections
from pipeline.detect.slicer import detect_tiled
from pipeline.detect.tiling import (
    PAD_VALUE,
    axis_starts,
    cut_tiles,
    plan_tiles,
    scale_frame,
    to_frame,
)
from tests.detect.helpers import paint, paint_detector


@pytest.mark.parametrize(
    ("length", "tile", "overlap", "expected"),
    [
        (640, 640, 0.2, [0]),
        (100, 640, 0.2, [0]),
        (641, 640, 0.2, [0, 1]),
        (1152, 640, 0.2, [0, 512]),
        (1153, 640, 0.2, [0, 256, 513]),
        (1000, 100, 0.0, list(range(0, 1000, 100))),
        (5472, 640, 0.2, None),  # 11 tiles (the DOMAIN figure: 11 x 7 = 77)
    ],
)
def test_axis_starts_table(
    length: int, tile: int, overlap: float, expected: list[int] | None
) -> None:
    starts = axis_starts(length, tile, overlap)
    if expected is not None:
        assert starts.tolist() == expected
    else:
        assert len(starts) == 11 and starts[0] == 0 and starts[-1] == length - tile


def test_77_tiles_on_a_20_mp_frame() -> None:
    assert len(plan_tiles((3648, 5472), tile_px=640, overlap_frac=0.2)) == 77


SIZES = [
    (1, 1),
    (37, 2000),
    (480, 640),
    (640, 640),
    (641, 639),
    (2250, 4000),
    (3648, 5472),
    (3000, 4000),
]
SCALES = [0.1, 0.27, 0.5, 1.0, 1.6, 2.0]


@pytest.mark.parametrize("hw", SIZES)
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("tile", "overlap"), [(640, 0.2), (320, 0.0), (512, 0.5)])
def test_plan_covers_every_pixel(
    hw: tuple[int, int], scale: float, tile: int, overlap: float
) -> None:
    plan = plan_tiles(hw, tile_px=tile, overlap_frac=overlap, scale=scale)
    sh, sw = plan.scaled_hw
    assert (sh, sw) == (max(1, round(hw[0] * scale)), max(1, round(hw[1] * scale)))
    covered = np.zeros((sh, sw), bool)
    for x1, y1, x2, y2 in plan.tile_rects_scaled():
        covered[y1:y2, x1:x2] = True
    assert covered.all()
    for axis, length in ((0, sw), (1, sh)):
        starts = np.unique(plan.origins_xy[:, axis])
        assert starts[0] == 0
        assert starts[-1] == max(0, length - tile)  # last tile flush with the edge
        assert (np.diff(starts) <= tile * (1 - overlap) + 1).all()  # overlap at least as asked
    # In full-frame pixels too.
    rects = plan.tile_rects_px()
    assert rects[:, :2].min(axis=0).tolist() == [0, 0]
    np.testing.assert_allclose(rects[:, 2:].max(axis=0), [hw[1], hw[0]])


def test_cut_tiles_hold_the_frame_pixels_and_pad() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (300, 500, 3), dtype=np.uint8)
    plan = plan_tiles((300, 500), tile_px=256, overlap_frac=0.2)
    tiles = cut_tiles(frame, plan, np.arange(len(plan)))
    assert tiles.shape == (len(plan), 256, 256, 3) and tiles.dtype == np.uint8
    for t, (x, y) in enumerate(plan.origins_xy):
        np.testing.assert_array_equal(tiles[t], frame[y : y + 256, x : x + 256])
    small = cut_tiles(frame[:100, :200], plan_tiles((100, 200), tile_px=256), [0])
    np.testing.assert_array_equal(small[0, :100, :200], frame[:100, :200])
    assert (small[0, 100:] == PAD_VALUE).all() and (small[0, :, 200:] == PAD_VALUE).all()


def test_to_frame_shifts_and_unscales() -> None:
    plan = plan_tiles((1000, 2000), tile_px=400, overlap_frac=0.2, scale=0.5)
    t = 3
    ox, oy = plan.origins_xy[t]
    per_tile = [
        Detections.from_arrays(np.array([[10, 20, 30, 60]]), np.array([0.8]), np.array([1]))
    ]
    got = to_frame(per_tile, plan, [t])
    np.testing.assert_allclose(
        got.xyxy_px[0], [(ox + 10) * 2, (oy + 20) * 2, (ox + 30) * 2, (oy + 60) * 2]
    )
    assert got.tile_index.tolist() == [t] and got.class_id.tolist() == [1]


def test_boxes_in_the_padding_vanish() -> None:
    plan = plan_tiles((100, 200), tile_px=256)
    per_tile = [
        Detections.from_arrays(
            np.array([[210, 10, 250, 50], [150, 10, 240, 50]]), [0.9, 0.8], [0, 0]
        )
    ]
    got = to_frame(per_tile, plan, [0])
    np.testing.assert_allclose(got.xyxy_px, [[150, 10, 200, 50]])


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.37, 1.5])
@pytest.mark.parametrize(
    "box",
    [
        (10, 10, 40, 30),  # inside the first tile only
        (205, 40, 245, 70),  # inside the overlap of two tiles: found twice, NMS keeps one
        (120, 100, 380, 180),  # wider than the overlap: cut by borders, merged into the union
        (180, 180, 300, 300),  # across four tiles
        (0, 0, 700, 20),  # a long strip across the whole row
    ],
)
def test_detect_tiled_returns_each_object_once(
    scale: float, box: tuple[int, int, int, int]
) -> None:
    frame = paint((400, 700), [box])
    plan = plan_tiles((400, 700), tile_px=int(256 * scale) or 1, overlap_frac=0.2, scale=scale)
    got = detect_tiled(frame, paint_detector(), plan, batch_size=3)
    assert len(got) == 1, got.xyxy_px
    np.testing.assert_allclose(got.xyxy_px[0], box, atol=2.0 / scale)


def test_neighbouring_objects_stay_apart() -> None:
    boxes = [
        (200, 40, 236, 80),
        (240, 40, 280, 80),
        (200, 90, 280, 130),
    ]  # across the border x≈205-256
    frame = paint((300, 500), boxes)
    got = detect_tiled(
        frame, paint_detector(), plan_tiles((300, 500), tile_px=256, overlap_frac=0.2)
    )
    order = np.lexsort((got.xyxy_px[:, 0], got.xyxy_px[:, 1]))
    np.testing.assert_allclose(got.xyxy_px[order], boxes, atol=0.5)


def test_scale_frame_size_and_identity() -> None:
    frame = np.zeros((100, 300, 3), np.uint8)
    assert scale_frame(frame, plan_tiles((100, 300), tile_px=64)) is frame
    assert scale_frame(frame, plan_tiles((100, 300), tile_px=64, scale=0.5)).shape == (50, 150, 3)
    with pytest.raises(ValueError, match="plan was made for"):
        scale_frame(frame, plan_tiles((101, 300), tile_px=64))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frame_hw": (0, 10), "tile_px": 64}, "frame_hw must be positive"),
        ({"frame_hw": (10, 10), "tile_px": 64, "scale": 0.0}, "scale must be a positive"),
        ({"frame_hw": (10, 10), "tile_px": 64, "overlap_frac": 1.0}, "overlap_frac"),
    ],
)
def test_plan_refuses_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_tiles(**kwargs)
