"""The one YOLO reader: training and evaluation see the same classes from the same folder."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.detect.yolo_data import label_path, open_folder, read_names
from pipeline.train.datasets import read_dataset

SOURCES = {
    "data.yaml": "names: {0: boat, 1: car, 2: dock}\n",
    "classes.txt": "car\nboat\ndock\n",
    "aerial.names": "dock\ncar\nboat\n",
}


def three_sources(root: Path, present: tuple[str, ...] = tuple(SOURCES)) -> Path:
    """A 64x48 frame with one box of class 1, and the class-name files in ``present``."""
    root.mkdir(parents=True)
    cv2.imwrite(str(root / "a_01.png"), np.full((48, 64, 3), 80, np.uint8))
    (root / "a_01.txt").write_text("1 0.5 0.5 0.25 0.25\n", encoding="utf-8")
    for name in present:
        (root / name).write_text(SOURCES[name], encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (("data.yaml", "classes.txt", "aerial.names"), ("boat", "car", "dock")),
        (("classes.txt", "aerial.names"), ("car", "boat", "dock")),
        (("aerial.names",), ("dock", "car", "boat")),
    ],
)
def test_train_and_eval_read_the_same_classes_in_the_documented_order(
    tmp_path: Path, present: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    root = three_sources(tmp_path / "d", present)
    (record,) = read_dataset(root)  # what `hehu train` reads
    folder = open_folder(root)  # what `hehu eval` reads
    assert record.class_names == folder.names == expected
    assert [expected[i] for i in record.class_ids] == [expected[1]]


def test_disagreeing_name_files_are_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = three_sources(tmp_path / "d")
    with caplog.at_level(logging.WARNING, logger="pipeline.detect.yolo_data"):
        assert read_names(root) == ("boat", "car", "dock")
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2
    assert "classes.txt lists classes ['car', 'boat', 'dock']" in warned[0]
    assert "aerial.names lists classes ['dock', 'car', 'boat']" in warned[1]
    assert all("using data.yaml" in w for w in warned)


def test_agreeing_name_files_warn_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = three_sources(tmp_path / "d", ("data.yaml",))
    (root / "classes.txt").write_text("boat\ncar\ndock\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="pipeline.detect.yolo_data"):
        assert read_names(root) == ("boat", "car", "dock")
    assert caplog.records == []


def test_a_label_beside_the_image_wins_over_the_mirrored_one(tmp_path: Path) -> None:
    image = tmp_path / "images" / "train" / "x.jpg"
    mirrored = tmp_path / "labels" / "train" / "x.txt"
    mirrored.parent.mkdir(parents=True)
    image.parent.mkdir(parents=True)
    mirrored.write_text("", encoding="utf-8")
    assert label_path(image) == mirrored
    image.with_suffix(".txt").write_text("", encoding="utf-8")
    assert label_path(image) == image.with_suffix(".txt")
    assert label_path(tmp_path / "y.jpg") is None
