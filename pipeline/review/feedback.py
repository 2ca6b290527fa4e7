"""Reviewed detections as a YOLO dataset for ``hehu train`` (the path from review to a model).

What each reviewed detection becomes:

- an issue a reviewer **confirmed** (已确认 and every later status): its
  detections are positives, labelled with the issue's subtype as corrected
  in review (a reviewer who changed 乱堆 to 乱建 changed the class);
- an issue **rejected** as 误报: its detections become hard-negative tiles
  (background: the image the model was wrong about, no label);
- detections nobody has reviewed (待审核, or never filed) are unknown: where
  one falls inside a tile it is painted over in neutral grey (114), so an
  unlabelled real object never teaches the model "background"; a positive cut
  by a tile's edge (less than ``min_visible`` of it inside) is painted over too.

Tiles are ``tile_px`` squares of the original frame's stored pixels centred
on each reviewed detection (bigger boxes get a window 1.2 × their size), cut from the
untouched original after checking its sha256. Layout (ultralytics)::

    OUT/images/<flight>/<frame>_<x0>_<y0>.jpg
    OUT/labels/<flight>/<frame>_<x0>_<y0>.txt   (class cx cy w h, normalised; empty: background)
    OUT/data.yaml, OUT/classes.txt              (class names, index order)
    OUT/feedback.json                           (per tile: frame sha256, window, issues)

One folder per flight keeps a flight's tiles on one side of ``hehu train``'s
split (``pipeline.train.sources``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.models import Detection, Evidence, Flight, Frame, Issue

log = logging.getLogger(__name__)

POSITIVE = frozenset(
    {"confirmed", "assigned", "rectifying", "rectified", "closed", "historical", "carried_over"}
)
NEGATIVE = frozenset({"false_positive"})
MASK_GREY = (114, 114, 114)


@dataclass(frozen=True)
class Box:
    detection_id: int
    xyxy_px: tuple[float, float, float, float]
    label: str  # positive / negative / unknown
    subtype: str | None
    issue: str | None
    status: str | None


@dataclass
class FeedbackSummary:
    out: Path
    classes: tuple[str, ...] = ()
    tiles: int = 0
    positive_tiles: int = 0
    background_tiles: int = 0
    positives: int = 0
    negatives: int = 0
    masked: int = 0
    skipped_frames: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "classes": list(self.classes),
            "tiles": self.tiles,
            "positive_tiles": self.positive_tiles,
            "background_tiles": self.background_tiles,
            "positive_boxes": self.positives,
            "hard_negative_detections": self.negatives,
            "masked_boxes": self.masked,
            "skipped_frames": [{"path": p, "reason": r} for p, r in self.skipped_frames],
        }


def _label(status: str | None, det_type: str | None) -> str | None:
    if status in POSITIVE:
        return "positive"
    if status in NEGATIVE:
        return "negative"
    return "unknown" if det_type is not None else None  # context-only classes: ignored


def reviewed_boxes(*, session: Session) -> dict[int, tuple[Frame, str, list[Box]]]:
    """Per frame id: the frame, its flight key and every 四乱 box with its review label."""
    query = (
        select(Detection, Frame, Flight.key, Issue.code, Issue.status, Issue.subtype)
        .join(Frame, Frame.id == Detection.frame_id)
        .join(Flight, Flight.id == Frame.flight_id)
        .outerjoin(Evidence, Evidence.detection_id == Detection.id)
        .outerjoin(Issue, Issue.id == Evidence.issue_id)
        .order_by(Frame.id, Detection.id)
    )
    frames: dict[int, tuple[Frame, str, list[Box]]] = {}
    for det, frame, flight_key, code, status, subtype in session.execute(query):
        label = _label(status, det.type)
        if label is None:
            continue
        box = Box(
            det.id, (det.x0_px, det.y0_px, det.x1_px, det.y1_px), label, subtype, code, status
        )
        frames.setdefault(frame.id, (frame, flight_key, []))[2].append(box)
    return {k: v for k, v in frames.items() if any(b.label != "unknown" for b in v[2])}


def tile_window(
    xyxy_px: Sequence[float], width_px: int, height_px: int, tile_px: int
) -> tuple[int, int, int, int]:
    """A window centred on a box: ``tile_px`` square, or 1.2 × the box where it is bigger.

    Clamped to the frame (shifted, not shrunk, where it fits).
    """
    x0, y0, x1, y1 = xyxy_px
    side_w = min(max(float(tile_px), 1.2 * (x1 - x0)), float(width_px))
    side_h = min(max(float(tile_px), 1.2 * (y1 - y0)), float(height_px))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = round(min(max(cx - side_w / 2, 0), width_px - side_w))
    top = round(min(max(cy - side_h / 2, 0), height_px - side_h))
    return left, top, left + round(side_w), top + round(side_h)


def _clip(box: Sequence[float], win: Sequence[int]) -> tuple[tuple[float, ...], float]:
    """The part of ``box`` inside ``win`` (window coordinates) and the fraction visible."""
    x0, y0, x1, y1 = box
    cx0, cy0 = max(x0, win[0]), max(y0, win[1])
    cx1, cy1 = min(x1, win[2]), min(y1, win[3])
    if cx1 <= cx0 or cy1 <= cy0:
        return (), 0.0
    area = max((x1 - x0) * (y1 - y0), 1e-9)
    visible = (cx1 - cx0) * (cy1 - cy0) / area
    return (cx0 - win[0], cy0 - win[1], cx1 - win[0], cy1 - win[1]), visible


def _tile_labels(
    boxes: Sequence[Box], win: Sequence[int], classes: dict[str, int], min_visible: float
) -> tuple[list[str], list[tuple[int, int, int, int]], list[Box]]:
    """YOLO label lines, regions to paint grey, and the positives labelled in one window."""
    side_w, side_h = win[2] - win[0], win[3] - win[1]
    lines, masks, used = [], [], []
    for b in boxes:
        clipped, visible = _clip(b.xyxy_px, win)
        if not clipped or b.label == "negative":
            continue
        if b.label == "positive" and visible >= min_visible and b.subtype in classes:
            x0, y0, x1, y1 = clipped
            lines.append(
                f"{classes[b.subtype]} {(x0 + x1) / 2 / side_w:.6f} {(y0 + y1) / 2 / side_h:.6f} "
                f"{(x1 - x0) / side_w:.6f} {(y1 - y0) / side_h:.6f}"
            )
            used.append(b)
        else:
            masks.append(tuple(round(v) for v in clipped))  # type: ignore[misc]
    return lines, masks, used


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "flight"


def _write_tile(out: Path, rel: str, image: Any, lines: list[str]) -> None:
    import cv2

    img_path = out / "images" / f"{rel}.jpg"
    img_path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(img_path), image, [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise OSError(f"cannot write {img_path}")
    label_path = out / "labels" / f"{rel}.txt"
    label_path.parent.mkdir(parents=True, exist_ok=True)
    label_path.write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")


def export_feedback(
    *, session: Session, out: Path, tile_px: int = 640, min_visible: float = 0.5
) -> FeedbackSummary:
    """Write the reviewed detections under ``out`` (see the module docstring)."""
    from pipeline.review.crops import FrameUnavailableError, read_original

    out = Path(out)
    frames = reviewed_boxes(session=session)
    names = sorted({b.subtype for _, _, bs in frames.values() for b in bs
                    if b.label != "unknown" and b.subtype})  # fmt: skip
    classes = {n: i for i, n in enumerate(names)}
    summary = FeedbackSummary(out=out, classes=tuple(names))
    manifest: list[dict[str, Any]] = []
    for frame, flight_key, boxes in frames.values():
        try:
            image = read_original(frame.open_path, frame.sha256)
        except FrameUnavailableError as e:
            summary.skipped_frames.append((frame.path, str(e)))
            log.warning("feedback: skipped %s: %s", frame.path, e)
            continue
        _frame_tiles(image, frame, _safe(flight_key), boxes, classes, tile_px, min_visible,
                     out, summary, manifest)  # fmt: skip
    _write_names(out, names)
    (out / "feedback.json").write_text(
        json.dumps({"summary": summary.to_json(), "tiles": manifest}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return summary


def _frame_tiles(
    image: Any, frame: Frame, flight: str, boxes: list[Box], classes: dict[str, int],
    tile_px: int, min_visible: float, out: Path, summary: FeedbackSummary,
    manifest: list[dict[str, Any]],
) -> None:  # fmt: skip
    h, w = image.shape[:2]
    covered: set[int] = set()
    stem = _safe(Path(frame.file_name).stem)
    for anchor in boxes:
        if anchor.label == "unknown" or anchor.detection_id in covered:
            continue
        win = tile_window(anchor.xyxy_px, w, h, tile_px)
        lines, masks, used = _tile_labels(boxes, win, classes, min_visible)
        covered |= {b.detection_id for b in used}
        negatives = [b for b in boxes if b.label == "negative" and _clip(b.xyxy_px, win)[0]]
        covered |= {b.detection_id for b in negatives if _clip(b.xyxy_px, win)[1] >= 0.99}
        tile = image[win[1] : win[3], win[0] : win[2]].copy()
        for x0, y0, x1, y1 in masks:
            tile[y0:y1, x0:x1] = MASK_GREY
        rel = f"{flight}/{stem}_{win[0]}_{win[1]}"
        _write_tile(out, rel, tile, lines)
        summary.tiles += 1
        summary.positive_tiles += bool(lines)
        summary.background_tiles += not lines
        summary.positives += len(lines)
        summary.negatives += len(negatives)
        summary.masked += len(masks)
        manifest.append({
            "image": f"images/{rel}.jpg", "frame_sha256": frame.sha256, "frame_path": frame.path,
            "window_xyxy_px": list(win),
            "positives": [{"detection": b.detection_id, "issue": b.issue, "class": b.subtype}
                          for b in used],
            "negatives": [{"detection": b.detection_id, "issue": b.issue} for b in negatives],
            "masked": len(masks),
        })  # fmt: skip


def _write_names(out: Path, names: Sequence[str]) -> None:
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    (out / "classes.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    data = {
        "path": ".",
        "train": "images",
        "val": "images",
        "names": dict(enumerate(names)),
    }
    (out / "data.yaml").write_text(
        "# Written by hehu feedback export: reviewed detections (see feedback.json)\n"
        + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
