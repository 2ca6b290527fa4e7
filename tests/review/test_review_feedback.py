"""``hehu feedback export``: reviewed detections as a YOLO dataset."""

from __future__ import annotations

import json

import cv2
import pytest

from pipeline.review.feedback import export_feedback, tile_window
from tests.review.review_helpers import candidate_codes


def _review(db_url, decisions):
    """Apply ``{code: (status, subtype)}`` through the ledger workflow."""
    from pipeline.ledger.workflow import transition
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.write() as session:
        for code, (status, subtype) in decisions.items():
            changes = {"subtype": subtype} if subtype else None
            note = "误报原因：测试" if status == "false_positive" else None
            transition(session=session, code=code, to=status, expected_version=1, actor="rev",
                       changes=changes, note=note)  # fmt: skip
    return db


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((100, 100, 160, 150), (0, 0, 640, 640)),
        ((780, 400, 820, 440), (480, 100, 1120, 740)),
        ((0, 0, 1600, 900), (0, 0, 1600, 900)),  # larger than a tile: the whole box, clamped
        ((100, 0, 900, 100), (20, 0, 980, 640)),  # wide: 1.2 × its width
    ],
)
def test_tile_window(box, expected) -> None:
    assert tile_window(box, 1600, 900, 640) == expected


def test_export_labels_confirmed_with_corrected_class_and_keeps_rejections_as_background(
    db_url, tmp_path
) -> None:
    a, b, *_ = candidate_codes(db_url)
    db = _review(db_url, {a: ("confirmed", "luanjian.building"), b: ("false_positive", None)})
    out = tmp_path / "feedback"
    with db.read() as session:
        summary = export_feedback(session=session, out=out, tile_px=320)
    db.dispose()
    assert summary.classes == ("luanjian.building", "luandui.floating_garbage") or (
        "luanjian.building" in summary.classes
    )
    index = summary.classes.index("luanjian.building")
    manifest = json.loads((out / "feedback.json").read_text(encoding="utf-8"))
    tiles = manifest["tiles"]
    assert summary.tiles == len(tiles) >= 2
    positives = [t for t in tiles if t["positives"]]
    assert positives and all(p["class"] == "luanjian.building" for t in positives
                             for p in t["positives"])  # fmt: skip
    for t in positives:
        label = out / t["image"].replace("images/", "labels/").replace(".jpg", ".txt")
        lines = label.read_text().splitlines()
        assert lines and all(line.split()[0] == str(index) for line in lines)
        for value in (float(v) for line in lines for v in line.split()[1:]):
            assert 0.0 <= value <= 1.0
    backgrounds = [t for t in tiles if not t["positives"]]
    assert backgrounds and all(t["negatives"] for t in backgrounds)
    for t in backgrounds:
        label = out / t["image"].replace("images/", "labels/").replace(".jpg", ".txt")
        assert label.read_text() == ""
        image = cv2.imread(str(out / t["image"]))
        x0, y0, x1, y1 = t["window_xyxy_px"]
        assert image.shape[:2] == (y1 - y0, x1 - x0)
    names = (out / "classes.txt").read_text(encoding="utf-8").split()
    assert tuple(names) == summary.classes
    assert all(str(t["image"]).startswith("images/") and t["image"].count("/") == 2 for t in tiles)


def test_export_is_readable_by_the_trainer(db_url, tmp_path) -> None:
    datasets = pytest.importorskip("pipeline.train.datasets")
    a, b, *_ = candidate_codes(db_url)
    db = _review(db_url, {a: ("confirmed", None), b: ("false_positive", None)})
    with db.read() as session:
        summary = export_feedback(session=session, out=tmp_path / "fb")
    db.dispose()
    records = datasets.read_yolo_dir(tmp_path / "fb")
    assert len(records) == summary.tiles
    assert sum(r.n_boxes for r in records) == summary.positives
    assert {r.class_names for r in records} == {summary.classes}


def test_unreviewed_detections_inside_a_tile_are_masked(tmp_path) -> None:
    from pipeline.review.feedback import MASK_GREY, Box, _tile_labels

    boxes = [
        Box(1, (100, 100, 200, 200), "positive", "luandui.garbage", "A", "confirmed"),
        Box(2, (300, 300, 340, 340), "unknown", None, "B", "candidate"),
        Box(3, (400, 100, 450, 150), "negative", "luandui.garbage", "C", "false_positive"),
        Box(4, (630, 100, 700, 200), "positive", "luandui.garbage", "D", "confirmed"),  # cut
    ]
    lines, masks, used = _tile_labels(boxes, (0, 0, 640, 640), {"luandui.garbage": 0}, 0.5)
    assert lines == ["0 0.234375 0.234375 0.156250 0.156250"]
    assert masks == [(300, 300, 340, 340), (630, 100, 640, 200)]
    assert [b.detection_id for b in used] == [1]
    assert MASK_GREY == (114, 114, 114)


def test_cli_export(db_url, tmp_path, capsys) -> None:
    import argparse

    from pipeline.cli import feedback as cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    a, *_ = candidate_codes(db_url)
    _review(db_url, {a: ("confirmed", None)}).dispose()
    out = tmp_path / "fb"
    args = parser.parse_args(["feedback", "export", str(out), "--db", db_url])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert '"tiles": ' in printed and "hehu train --data" in printed
    from pipeline.errors import BadInputError

    with pytest.raises(BadInputError, match="not empty"):
        args.func(parser.parse_args(["feedback", "export", str(out), "--db", db_url]))
