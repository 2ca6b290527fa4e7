"""Merging across tile borders: NMS, containment of cut boxes, facing cuts."""

from __future__ import annotations

import numpy as np

from pipeline.detect.detections import Detections
from pipeline.detect.merge import cut_sides, merge_detections, nms
from pipeline.detect.tiling import plan_tiles

# Two tiles side by side: x 0-256 and 204-460 (overlap 52 px), one row.
PLAN = plan_tiles((256, 460), tile_px=256, overlap_frac=0.2)


def dets(rows: list[tuple[float, float, float, float, float, int, int]]) -> Detections:
    """Rows of (x1, y1, x2, y2, conf, class, tile)."""
    a = np.array(rows, np.float64).reshape(-1, 7)
    return Detections(a[:, :4], a[:, 4], a[:, 5].astype(int), a[:, 6].astype(int))


def test_plan_is_two_tiles() -> None:
    assert PLAN.origins_xy.tolist() == [[0, 0], [204, 0]]


def test_nms_is_class_wise() -> None:
    d = dets(
        [(10, 10, 50, 50, 0.9, 0, 0), (11, 11, 50, 50, 0.8, 0, 1), (10, 10, 50, 50, 0.7, 1, 1)]
    )
    kept = nms(d, 0.5)
    assert kept.conf.tolist() == [np.float32(0.9), np.float32(0.7)]
    assert kept.class_id.tolist() == [0, 1]


def test_cut_sides_only_at_interior_edges() -> None:
    d = dets(
        [(220, 10, 256, 40, 0.9, 0, 0), (0, 10, 30, 40, 0.9, 0, 0), (204, 10, 230, 40, 0.9, 0, 1)]
    )
    assert cut_sides(d, PLAN).tolist() == [
        [False, False, True, False],  # touches tile 0's right edge (interior)
        [False, False, False, False],  # touches the frame's left edge: not a cut
        [True, False, False, False],  # touches tile 1's left edge (interior)
    ]


def test_cut_box_inside_a_bigger_box_from_the_other_tile_is_merged() -> None:
    whole = (230, 10, 290, 50, 0.8, 0, 1)  # tile 1 (x 204-460) sees the object whole
    part = (230, 12, 256, 48, 0.6, 0, 0)  # tile 0 (x 0-256) sees its left part, cut at x=256
    out = merge_detections(dets([whole, part]), PLAN)
    assert len(out) == 1
    np.testing.assert_allclose(out.xyxy_px[0], [230, 10, 290, 50])
    assert out.conf[0] == np.float32(0.8) and out.tile_index[0] == 1


def test_uncut_box_inside_a_bigger_box_is_kept() -> None:
    big = (210, 10, 300, 90, 0.8, 0, 1)
    small = (215, 20, 240, 40, 0.6, 0, 0)  # not touching tile 0's edge: a separate object
    assert len(merge_detections(dets([big, small]), PLAN)) == 2


def test_facing_cuts_merge_into_the_union() -> None:
    left = (150, 10, 256, 60, 0.8, 0, 0)  # cut at tile 0's right edge
    right = (204, 12, 330, 61, 0.7, 0, 1)  # cut at tile 1's left edge
    out = merge_detections(dets([left, right]), PLAN)
    assert len(out) == 1
    np.testing.assert_allclose(out.xyxy_px[0], [150, 10, 330, 61])


def test_no_merge_across_classes_rows_or_within_one_tile() -> None:
    rows = [
        (150, 10, 256, 60, 0.8, 0, 0),
        (204, 12, 330, 61, 0.7, 1, 1),  # other class
        (150, 100, 256, 130, 0.8, 0, 0),
        (204, 160, 330, 200, 0.7, 0, 1),  # no overlap across the border
        (30, 10, 120, 60, 0.9, 0, 0),
        (40, 20, 60, 40, 0.5, 0, 0),  # nested in the same tile, not cut
    ]
    out = merge_detections(dets(rows), PLAN)
    assert len(out) == len(rows)


def test_merge_keeps_empty_and_single() -> None:
    assert len(merge_detections(Detections.empty(), PLAN)) == 0
    one = dets([(1, 2, 3, 4, 0.5, 0, 0)])
    assert merge_detections(one, PLAN).xyxy_px.tolist() == one.xyxy_px.tolist()


def test_many_boxes_merge_without_blowing_up() -> None:
    """Thousands of low-confidence boxes (as in evaluation at conf 0.001) on a 77-tile frame."""
    plan = plan_tiles((3648, 5472), tile_px=640, overlap_frac=0.2)
    rng = np.random.default_rng(0)
    n = 6000
    tiles = rng.integers(0, len(plan), n)
    rects = plan.tile_rects_px()[tiles]
    wh = rng.uniform(10, 200, (n, 2))
    x1y1 = rects[:, :2] + rng.uniform(0, 1, (n, 2)) * (rects[:, 2:] - rects[:, :2] - wh)
    xyxy = np.concatenate([x1y1, x1y1 + wh], axis=1)
    d = Detections(xyxy, rng.uniform(0.001, 1, n), rng.integers(0, 3, n), tiles)
    out = merge_detections(d, plan)
    assert 0 < len(out) <= n
    assert (np.diff(out.conf) <= 0).all()


def test_a_fragment_inside_a_whole_box_is_dropped_not_merged() -> None:
    # Tiles x 0-256, 122-378, 244-500. Tile 1 sees a whole object (236-330,
    # conf 0.4); tile 0 sees a piece of it cut at its right edge (240-256,
    # conf 0.9). The piece goes; the whole box keeps its own box and confidence
    # (merging into the union would have promoted a weak box to 0.9).
    plan = plan_tiles((256, 500), tile_px=256, overlap_frac=0.2)
    assert plan.tile_rects_px()[:2, 0].tolist() == [0, 122]
    dets = Detections.from_arrays(np.array([[240, 40, 256, 80], [236, 38, 330, 82]]),
                                  [0.9, 0.4], [0, 0], tile_index=[0, 1])  # fmt: skip
    got = merge_detections(dets, plan)
    np.testing.assert_allclose(got.xyxy_px, [[236, 38, 330, 82]])
    np.testing.assert_allclose(got.conf, [0.4])
