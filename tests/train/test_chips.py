"""Chip geometry: windows hold their boxes, labels stay inside, rescaling is exact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.train.chips import (
    ChipOptions,
    background_windows,
    crop_boxes,
    object_windows,
    plan_frame,
    tile_windows,
    write_dataset,
)
from pipeline.train.datasets import read_yolo_dir
from pipeline.train.scale import SourceScale
from tests.train.synth import make_yolo_dataset


def random_boxes(rng: np.random.Generator, n: int, w: int, h: int, max_side: int) -> np.ndarray:
    x0 = rng.uniform(0, w - 5, n)
    y0 = rng.uniform(0, h - 5, n)
    bw = rng.uniform(4, max_side, n)
    bh = rng.uniform(4, max_side, n)
    return np.stack([x0, y0, np.minimum(x0 + bw, w), np.minimum(y0 + bh, h)], 1).astype(np.float32)


@pytest.mark.parametrize(
    ("w", "h", "seed"), [(2000, 1100, 0), (700, 700, 1), (500, 300, 2), (4000, 900, 3)]
)
def test_every_box_lies_wholly_in_some_window(w: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, 60, w, h, max_side=120)
    windows = object_windows(boxes, w, h, 640, rng)
    for x0, y0 in windows:
        assert 0 <= x0 <= max(w - 640, 0) and 0 <= y0 <= max(h - 640, 0)
    for box in boxes:
        assert any(
            box[0] >= x0 and box[1] >= y0 and box[2] <= x0 + 640 and box[3] <= y0 + 640
            for x0, y0 in windows
        ), box
    assert len(windows) < len(boxes)  # greedy windows share boxes


def test_box_longer_than_window_is_centred() -> None:
    boxes = np.array([[100, 10, 900, 50]], dtype=np.float32)
    (window,) = object_windows(boxes, 1200, 700, 640, np.random.default_rng(0))
    assert window[0] == 180 and 0 <= window[1] <= 10  # x centred; y holds the box


def test_background_windows_touch_no_box() -> None:
    rng = np.random.default_rng(0)
    boxes = random_boxes(rng, 5, 3000, 2000, 80)
    windows = background_windows(boxes, 3000, 2000, 640, n=4, rng=rng)
    assert len(windows) == 4
    for x0, y0 in windows:
        local, _ = crop_boxes(boxes, np.zeros(5, dtype=np.int64), (x0, y0), 640, min_visible=1e-6)
        assert len(local) == 0


@pytest.mark.parametrize(
    ("w", "h", "xs", "ys"),
    [
        (1280, 720, [0, 512, 640], [0, 80]),
        (640, 640, [0], [0]),
        (300, 200, [0], [0]),
        (1500, 640, [0, 512, 860], [0]),
    ],
)
def test_tile_grid_covers_and_sits_flush(w: int, h: int, xs: list[int], ys: list[int]) -> None:
    assert tile_windows(w, h, 640, 0.2) == [(x, y) for y in ys for x in xs]


def test_crop_clips_and_drops_mostly_outside_boxes() -> None:
    boxes = np.array(
        [[10, 10, 50, 50], [600, 100, 700, 140], [630, 200, 730, 240]], dtype=np.float32
    )
    local, ids = crop_boxes(boxes, np.array([0, 1, 2]), (0, 0), 640, min_visible=0.25)
    # box 1 is 40 % inside (kept, clipped at 640); box 2 is 10 % inside (dropped)
    np.testing.assert_allclose(local, [[10, 10, 50, 50], [600, 100, 640, 140]])
    assert ids.tolist() == [0, 1]


def test_plan_scales_boxes_with_the_frame(tmp_path: Path) -> None:
    root = make_yolo_dataset(
        tmp_path / "d", {"v_0001.jpg": (1000, 800, [(0, [100, 200, 190, 240])])}
    )
    (record,) = read_yolo_dir(root)
    chips = plan_frame(
        record, 0.5, "tiles", ChipOptions(size_px=256, overlap_frac=0.0), np.random.default_rng(0)
    )
    assert [(c.x0_px, c.y0_px) for c in chips][:2] == [(0, 0), (244, 0)]  # 500x400 frame
    np.testing.assert_allclose(chips[0].xyxy_px, [[50, 100, 95, 120]], atol=0.01)


@pytest.mark.parametrize("factor_src_gsd", [3.0, 6.0, 9.0])
def test_written_chips_show_the_labelled_object(tmp_path: Path, factor_src_gsd: float) -> None:
    """Rescale to 6 cm/px, cut, write, read back: the white box is where its label says."""
    import cv2

    obj = [300.0, 260.0, 390.0, 300.0]  # 90 x 40 px at the source resolution
    root = make_yolo_dataset(
        tmp_path / "d",
        {
            "v_0001.jpg": (900, 700, [(0, obj)]),
            "v_0002.jpg": (500, 400, []),
        },
    )
    records = read_yolo_dir(root)
    scales = {"v": SourceScale("v", factor_src_gsd, "given")}
    yaml_path = write_dataset(
        {"train": records},
        tmp_path / "chips",
        class_names=("car", "truck"),
        scales=scales,
        target_gsd_cm_per_px=6.0,
        modes={"train": "objects"},
        opts=ChipOptions(size_px=320, background_frac=1.0, seed=3),
    )
    factor = factor_src_gsd / 6.0
    manifest = json.loads((yaml_path.parent / "chips.json").read_text())["train"]
    with_box = [e for e in manifest if e["n_boxes"]]
    assert with_box and all(e["factor"] == pytest.approx(factor) for e in manifest)
    for entry in with_box:
        image = cv2.imread(str(yaml_path.parent / "images" / "train" / f"{entry['chip']}.jpg"))
        assert image.shape == (320, 320, 3)
        label = (yaml_path.parent / "labels" / "train" / f"{entry['chip']}.txt").read_text().split()
        cls, cx, cy, bw, bh = int(label[0]), *(float(v) * 320 for v in label[1:])
        assert cls == 0
        assert bw == pytest.approx(90 * factor, abs=1.5) and bh == pytest.approx(
            40 * factor, abs=1.5
        )
        assert cx - bw / 2 >= 0 and cx + bw / 2 <= 320 and cy - bh / 2 >= 0 and cy + bh / 2 <= 320
        inside = image[
            int(cy - bh / 2) + 2 : int(cy + bh / 2) - 2, int(cx - bw / 2) + 2 : int(cx + bw / 2) - 2
        ]
        assert inside.mean() > 230  # the white object sits under its label
    background = [e for e in manifest if not e["n_boxes"]]
    assert background  # the empty frame and background_frac give some
    data = (yaml_path.parent / "data.yaml").read_text()
    assert "path:" not in data and "train: images/train" in data
