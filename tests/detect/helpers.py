"""Helpers for the detection tests: valid cards, a fake detector and painted frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.detect.card import ModelCard, parse_card
from pipeline.detect.detections import Detections

REPO_ROOT = Path(__file__).resolve().parents[2]
UNTRAINED = "untrained"


def licence_dict(**changes: Any) -> dict[str, Any]:
    """A valid card ``licence`` block (the hash is the shared COCO checkpoint's)."""
    block: dict[str, Any] = {
        "weights": "AGPL-3.0-only",
        "initial_weights": {
            "name": "yolov5n-coco",
            "sha256": "4f180cf23ba0717ada0badd6c685026d73d48f184d00fc159c2641284b2ac0a3",
            "licence": "GPL-3.0",
        },
        "data": [{"name": "aerial-cars", "licence": "CC-BY-3.0"}],
    }
    block.update(changes)
    return block


def card_dict(**changes: Any) -> dict[str, Any]:
    """A valid card mapping (weights hashes are placeholders)."""
    card: dict[str, Any] = {
        "name": "fake",
        "version": 1,
        "description": "test card",
        "architecture": "yolo11n.yaml",
        "classes": ["car", "truck"],
        "class_map": {"car": None, "truck": "luancai.heavy_vehicle"},
        "input_size_px": 64,
        "train_gsd_cm_per_px": None,
        "tile": {"size_px": 64, "overlap_frac": 0.25},
        "thresholds": {"conf": 0.25, "iou": 0.5},
        "weights": {"onnx": {"file": "best.onnx", "sha256": "0" * 64}},
        "licence": licence_dict(),
    }
    card.update(changes)
    return card


def make_card(**changes: Any) -> ModelCard:
    return parse_card(card_dict(**changes))


def paint_detector(class_id: int = 0) -> Callable[[np.ndarray], list[Detections]]:
    """A fake detector: one box per bright blob (channel 0 > 127) in each tile, conf 0.9."""
    import cv2

    def detect(tiles: np.ndarray) -> list[Detections]:
        assert tiles.ndim == 4 and tiles.dtype == np.uint8 and tiles.shape[1] == tiles.shape[2]
        out = []
        for tile in tiles:
            mask = (tile[..., 0] > 127).astype(np.uint8)
            n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
            x, y, w, h = (stats[1:, i].astype(np.float32) for i in range(4))
            xyxy = np.stack([x, y, x + w, y + h], axis=1)
            out.append(Detections.from_arrays(xyxy, np.full(n - 1, 0.9), np.full(n - 1, class_id)))
        return out

    return detect


def paint(hw: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """A black BGR frame with white rectangles ``(x1, y1, x2, y2)`` (x2, y2 exclusive)."""
    frame = np.zeros((*hw, 3), np.uint8)
    for x1, y1, x2, y2 in boxes:
        frame[y1:y2, x1:x2] = 255
    return frame
