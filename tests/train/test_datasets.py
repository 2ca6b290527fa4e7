"""Reading YOLO folders and COCO files into LabelledImage records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import BadInputError
from pipeline.train.datasets import read_coco, read_dataset, read_yolo_dir
from tests.train.synth import make_yolo_dataset, write_frame


def test_yolo_boxes_in_pixels(yolo_two_sources: Path) -> None:
    records = read_yolo_dir(yolo_two_sources)
    assert len(records) == 6
    first = records[0]
    assert first.image_path.name == "DJI_0001-0000.jpg"
    assert (first.width_px, first.height_px) == (320, 240)
    assert first.class_names == ("car", "truck")
    np.testing.assert_allclose(first.xyxy_px[0], [20, 30, 65, 50], atol=0.01)
    assert first.class_ids.tolist() == [0, 0, 1]
    assert first.xyxy_px.dtype == np.float32
    assert {r.source for r in records} == {"DJI_0001", "DJI_0002"}


@pytest.mark.parametrize(
    ("name_file", "text"),
    [
        ("data.yaml", "names: [car, truck]\n"),
        ("data.yaml", "names: {0: car, 1: truck}\n"),
        ("aerial.names", "car\ntruck\n"),
        ("classes.txt", "car\ntruck\n\n"),
    ],
)
def test_yolo_class_name_files(tmp_path: Path, name_file: str, text: str) -> None:
    root = make_yolo_dataset(tmp_path / "d", {"x_01.jpg": (64, 48, [(1, [0, 0, 10, 10])])})
    (root / "classes.txt").unlink()
    (root / name_file).write_text(text)
    (record,) = read_yolo_dir(root)
    assert record.class_names == ("car", "truck")


def test_ultralytics_layout_and_background_frames(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    write_frame(root / "images" / "train" / "a_01.jpg", 64, 48, [[8, 8, 24, 24]])
    write_frame(root / "images" / "train" / "a_02.jpg", 64, 48, [])
    (root / "labels" / "train").mkdir(parents=True)
    (root / "labels" / "train" / "a_01.txt").write_text("0 0.25 0.333333 0.25 0.333333\n")
    (root / "data.yaml").write_text("names: [plastic]\n")
    write_frame(root / "images" / "train" / "._a_01.jpg", 8, 8, [])  # macOS AppleDouble
    records = read_yolo_dir(root)
    assert [r.image_path.name for r in records] == ["a_01.jpg", "a_02.jpg"]
    np.testing.assert_allclose(records[0].xyxy_px, [[8, 8, 24, 24]], atol=0.01)
    assert records[1].n_boxes == 0
    assert records[0].source == "a"  # layout folders are no flight


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0 0.5 0.5 0.2", "expected 5 fields"),
        ("0 0.5 0.5 0.2 0.2 0.3 0.3", "polygon"),
        ("car 0.5 0.5 0.2 0.2", "is not `int float"),
        ("5 0.5 0.5 0.2 0.2", "class id 5"),
        ("0 0.5 0.5 0 0.2", "must be positive"),
        ("0 120 80 20 10", "normalised"),
    ],
)
def test_malformed_yolo_label_names_file_line_and_fix(
    tmp_path: Path, line: str, expected: str
) -> None:
    root = make_yolo_dataset(tmp_path / "d", {"x_01.jpg": (64, 48, [(0, [0, 0, 10, 10])])})
    (root / "x_01.txt").write_text("0 0.5 0.5 0.1 0.1\n" + line + "\n")
    with pytest.raises(BadInputError, match=expected) as info:
        read_yolo_dir(root)
    assert f"{root / 'x_01.txt'}:2" in str(info.value)


def test_yolo_without_names_says_how_to_fix(tmp_path: Path) -> None:
    root = make_yolo_dataset(tmp_path / "d", {"x_01.jpg": (64, 48, [])})
    (root / "classes.txt").unlink()
    with pytest.raises(BadInputError, match=r"classes\.txt"):
        read_yolo_dir(root)


def test_coco_reads_absolute_xywh_and_orders_categories_by_id(coco_dataset: Path) -> None:
    records = read_coco(coco_dataset)
    assert [r.image_path.name for r in records] == ["a_0001.jpg", "a_0002.jpg", "b_0001.jpg"]
    assert records[0].class_names == ("bottle", "rubbish")  # category ids 3, 7
    np.testing.assert_allclose(records[0].xyxy_px, [[10, 20, 40, 60]])
    assert records[0].class_ids.tolist() == [1]
    assert records[1].n_boxes == 0
    np.testing.assert_allclose(records[2].xyxy_px, [[0, 0, 160, 120], [50, 60, 60, 65]])
    assert records[2].class_ids.tolist() == [0, 1]
    assert [r.source for r in records] == ["a", "a", "b"]
    assert read_dataset(coco_dataset.parent)[0].image_path == records[0].image_path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["annotations"][0].update(bbox=[10, 20, 300, 40]), "outside the 200x100"),
        (lambda d: d["annotations"][0].update(bbox=[10, 20, 0, 40]), "no area"),
        (lambda d: d["annotations"][0].update(bbox=[10, 20]), r"\[x, y, w, h\]"),
        (lambda d: d["annotations"][0].update(category_id=99), "category_id 99"),
        (lambda d: d["annotations"][0].update(image_id=42), "missing from 'images'"),
        (lambda d: d["images"][0].update(file_name="nope.jpg"), "nope.jpg"),
        (lambda d: d.pop("categories"), "'categories'"),
    ],
)
def test_malformed_coco_names_file_and_fix(coco_dataset: Path, change, expected: str) -> None:
    data = json.loads(coco_dataset.read_text())
    change(data)
    coco_dataset.write_text(json.dumps(data))
    with pytest.raises(BadInputError, match=expected) as info:
        read_coco(coco_dataset)
    assert str(coco_dataset) in str(info.value)


def test_coco_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(BadInputError, match="not valid JSON"):
        read_coco(path)


def test_no_dataset_there(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no dataset"):
        read_dataset(tmp_path / "missing")
