"""Metrics on hand-made cases with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.detect.metrics import Evaluator, average_precision, box_iou, format_table, match

GT = np.array([[0, 0, 100, 100]], float)


def test_box_iou_table() -> None:
    boxes = np.array(
        [[0, 0, 100, 100], [0, 0, 100, 50], [50, 0, 150, 100], [200, 200, 210, 210], [0, 0, 0, 0]]
    )
    np.testing.assert_allclose(box_iou(boxes, GT)[:, 0], [1.0, 0.5, 1 / 3, 0.0, 0.0])


@pytest.mark.parametrize(
    ("recall", "precision", "coco101", "all_point"),
    [
        ([1.0], [1.0], 1.0, 1.0),  # one perfect detection
        ([0.0, 1.0], [0.0, 0.5], 0.5, 0.5),  # FP first, then the TP
        ([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3], (51 + 50 * 2 / 3) / 101, 0.5 + 0.5 * 2 / 3),
        ([0.5], [1.0], 51 / 101, 0.5),  # half the objects never found
        ([], [], 0.0, 0.0),
    ],
)
def test_average_precision_known_curves(
    recall, precision, coco101: float, all_point: float
) -> None:
    assert average_precision(np.array(recall), np.array(precision)) == pytest.approx(coco101)
    assert average_precision(np.array(recall), np.array(precision), "all") == pytest.approx(
        all_point
    )


def test_match_greedy_by_confidence() -> None:
    gt = np.array([[0, 0, 100, 100], [200, 0, 300, 100]], float)
    preds = np.array([[0, 0, 100, 100], [5, 0, 100, 100], [200, 0, 300, 62]], float)
    tp = match(preds, np.array([0.5, 0.9, 0.8]), gt)
    # The 0.9 box (IoU 0.95) takes GT 0 first at every threshold; the 0.5 duplicate is a FP.
    assert tp[1].all() and not tp[0].any()
    # IoU 0.62: a TP at 0.50, 0.55, 0.60 only.
    assert tp[2].tolist() == [True] * 3 + [False] * 7


def test_evaluator_perfect_and_partial() -> None:
    ev = Evaluator(["car", "truck"])
    ev.add(GT, [0.9], [0], GT, [0])
    ev.add(np.zeros((0, 4)), [], [], GT, [1])  # a truck nobody found
    r = ev.result(conf=0.25)
    assert r.per_class["car"].map50 == 1.0 and r.per_class["car"].map50_95 == 1.0
    assert r.per_class["truck"].map50 == 0.0 and r.per_class["truck"].recall == 0.0
    assert r.map50 == pytest.approx(0.5) and r.recall == pytest.approx(0.5)
    assert r.n_images == 2


def test_map50_95_of_a_loose_box_is_three_tenths() -> None:
    ev = Evaluator(["car"])
    ev.add(np.array([[0, 0, 100, 62]]), [0.9], [0], GT, [0])
    r = ev.result()
    assert r.map50 == 1.0 and r.map50_95 == pytest.approx(0.3)


def test_precision_recall_at_the_operating_confidence() -> None:
    ev = Evaluator(["car"])
    gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [60, 0, 70, 10]], float)
    preds = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [100, 0, 110, 10], [40, 0, 50, 10]], float)
    ev.add(preds, [0.9, 0.8, 0.7, 0.1], [0, 0, 0, 0], gt, [0, 0, 0, 0])
    r = ev.result(conf=0.5)
    # Above 0.5: 2 TP, 1 FP; 4 objects.
    assert r.precision == pytest.approx(2 / 3) and r.recall == pytest.approx(0.5)
    # AP sees all four: recall [.25 .5 .5 .75], precision [1 1 2/3 3/4].
    expected = (51 * 1 + 25 * 0.75) / 101
    assert r.map50 == pytest.approx(expected)
    assert r.per_class["car"].n_pred == 3


def test_classes_without_ground_truth_do_not_count_in_the_mean() -> None:
    ev = Evaluator(["car", "bus"])
    ev.add(GT, [0.9], [0], GT, [0])
    r = ev.result()
    assert r.map50 == 1.0 and r.per_class["bus"].n_gt == 0
    table = format_table(r, title="t")
    assert "all" in table and "COCO 101-point" in table and "bus" in table
    assert set(r.to_dict()) >= {"map50", "map50_95", "precision", "recall", "per_class"}
    assert set(r.to_dict()["per_class"]["car"]) == {"map50", "map50_95", "precision", "recall"}
