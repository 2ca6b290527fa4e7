"""Tiny generated datasets: seeded frames with white boxes on grey noise, and their labels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

NAMES = ("car", "truck")


def write_frame(
    path: Path, width: int, height: int, boxes_xyxy: Sequence[Sequence[float]], seed: int = 0
) -> None:
    """A frame of grey noise with each box filled white (so tests can find it in chips)."""
    import cv2

    rng = np.random.default_rng(seed)
    image = rng.integers(40, 90, size=(height, width, 3), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes_xyxy:
        image[int(y0) : int(y1), int(x0) : int(x1)] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)


def yolo_line(cls: int, box: Sequence[float], width: int, height: int) -> str:
    x0, y0, x1, y1 = box
    return (
        f"{cls} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} "
        f"{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"
    )


def make_yolo_dataset(
    root: Path,
    frames: dict[str, tuple[int, int, list[tuple[int, list[float]]]]],
    names: Sequence[str] = NAMES,
) -> Path:
    """``frames``: file name -> (width, height, [(class, xyxy), ...]); writes classes.txt."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("\n".join(names) + "\n")
    for i, (name, (w, h, objects)) in enumerate(sorted(frames.items())):
        write_frame(root / name, w, h, [box for _, box in objects], seed=i)
        lines = [yolo_line(c, box, w, h) for c, box in objects]
        (root / name).with_suffix(".txt").write_text("\n".join(lines) + "\n")
    return root


def two_source_frames(n_per_source: int = 3, size: tuple[int, int] = (320, 240)) -> dict:
    """Frames of two DJI videos, each with its own layout: two 'cars' (long side 45 px) and a
    'truck'; within a video the cars move 10 px a frame (near-copies, as in a video)."""
    w, h = size
    frames = {}
    layouts = {
        "DJI_0001": [(0, [20, 30, 65, 50]), (0, [200, 150, 220, 195]), (1, [120, 60, 200, 100])],
        "DJI_0002": [(0, [250, 20, 295, 45]), (0, [30, 170, 50, 215]), (1, [100, 180, 180, 220])],
    }
    for video, objects in layouts.items():
        for k in range(n_per_source):
            moved = [(c, [box[0] + 4 * k, box[1], box[2] + 4 * k, box[3]]) for c, box in objects]
            frames[f"{video}-{k:04d}.jpg"] = (w, h, [(c, [float(v) for v in b]) for c, b in moved])
    return frames
