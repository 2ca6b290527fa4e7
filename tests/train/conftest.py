"""Fixtures: tiny YOLO and COCO datasets written by :mod:`tests.train.synth`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.train.synth import make_yolo_dataset, two_source_frames, write_frame


@pytest.fixture
def yolo_two_sources(tmp_path: Path) -> Path:
    return make_yolo_dataset(tmp_path / "yolo", two_source_frames())


@pytest.fixture
def coco_dataset(tmp_path: Path) -> Path:
    """UAVVaste-like layout: annotations/annotations.json beside images/."""
    root = tmp_path / "coco"
    images = [("a_0001.jpg", 200, 100), ("a_0002.jpg", 200, 100), ("b_0001.jpg", 160, 120)]
    boxes = {1: [(10, 20, 30, 40, 7)], 2: [], 3: [(0, 0, 160, 120, 3), (50, 60, 10, 5, 7)]}
    for i, (name, w, h) in enumerate(images, start=1):
        write_frame(root / "images" / name, w, h, [], seed=i)
    anns, k = [], 1
    for image_id, items in boxes.items():
        for x, y, bw, bh, cat in items:
            anns.append(
                {
                    "id": k,
                    "image_id": image_id,
                    "bbox": [x, y, bw, bh],
                    "category_id": cat,
                    "area": bw * bh,
                    "iscrowd": 0,
                }
            )
            k += 1
    data = {
        "images": [
            {"id": i, "file_name": n, "width": w, "height": h}
            for i, (n, w, h) in enumerate(images, start=1)
        ],
        "annotations": anns,
        "categories": [{"id": 7, "name": "rubbish"}, {"id": 3, "name": "bottle"}],
    }
    (root / "annotations").mkdir(parents=True)
    path = root / "annotations" / "annotations.json"
    path.write_text(json.dumps(data))
    return path
