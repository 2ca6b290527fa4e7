"""Recheck (复查): is what an earlier frame showed in a box still there in the new frame?

:func:`recheck_box` takes the earlier frame, its evidence box, the new frame and
their :class:`pipeline.change.register.Registration`, and decides:

- ``cannot tell`` with a reason: the registration failed, the box's ground is not
  (enough) in the new frame, or the new view there is washed out or black (occluded);
- with a detector (any :data:`pipeline.detect.slicer.Detector`, e.g. the issue's
  model at its card's scale): the same ground is cut from both frames around the
  box; a box of the wanted classes overlapping the box's place in the new crop
  means ``still present``. Its absence means ``gone`` only when the detector finds
  the object in the earlier crop (it can see it there); otherwise the appearance
  decides;
- by appearance: the zero-mean normalised cross-correlation (ZNCC, blind to gain
  and offset of the gray levels) of the box's ground in both frames, the best over
  shifts of up to :data:`SHIFT_PX`: at least :data:`STILL_ZNCC` is ``still present``,
  at most :data:`GONE_ZNCC` is ``gone``, between is ``cannot tell``.

:func:`before_after` draws the evidence: the earlier crop and the same ground
resampled from the new frame, side by side, the box on both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.change.detector_check import detector_scores, square_window
from pipeline.change.register import Registration, apply_h
from pipeline.detect.slicer import Detector

STILL = "still present"
GONE = "gone"
CANNOT_TELL = "cannot tell"
#: Appearance thresholds (ZNCC of the box's ground in both frames).
STILL_ZNCC = 0.5
GONE_ZNCC = 0.3
#: Shifts tried for the appearance test, earlier frame's pixels (registration,
#: parallax). Searching 10-25 % of the box's size as well found cars nudged by a few
#: pixels still present but raised ZNCC on gone ones as much: on aerial-cars one
#: threshold sorted 92 % right either way.
SHIFT_PX = 2
#: Least share of the box's ground the new frame must see.
MIN_COVERAGE = 0.9
#: A view is occluded when this share of the box's pixels is black or blown out.
MAX_CLIPPED = 0.6
#: IoU with the box's place for a detection to count as the same object.
MATCH_IOU = 0.3
#: Side of the square tile the detector sees, pixels.
TILE_PX = 640


@dataclass(frozen=True)
class RecheckVerdict:
    """The verdict on one earlier box, and what it rests on.

    ``verdict``: :data:`STILL`, :data:`GONE` or :data:`CANNOT_TELL`; ``reason`` in
    words ("registration failed: …", "not covered", "occluded", "detector",
    "appearance"). ``box_new_px``: the box's ground in the new frame's pixels
    (bounding box of the mapped corners); ``zncc``: the appearance similarity;
    ``detector_conf``: the best matching detection's confidence (0 when the
    detector ran and found none, None when it did not run); ``coverage``: share of
    the box's ground inside the new frame.
    """

    verdict: str
    reason: str
    box_new_px: tuple[float, float, float, float] | None = None
    zncc: float | None = None
    detector_conf: float | None = None
    coverage: float = 0.0

    def to_dict(self) -> dict[str, object]:
        box = self.box_new_px or ()
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "box_new_px": None if self.box_new_px is None else [round(v, 1) for v in box],
            "zncc": None if self.zncc is None else round(self.zncc, 3),
            "detector_conf": None if self.detector_conf is None else round(self.detector_conf, 3),
            "coverage": round(self.coverage, 3),
        }


def box_in_new(reg: Registration, box_old_px, new_hw: tuple[int, int]):
    """``(box_new_px, coverage)``: the box's ground in the new frame and the share of a
    7×7 lattice over the box that lands inside it."""
    assert reg.old_to_new is not None
    x0, y0, x1, y1 = box_old_px
    s = np.linspace(0.0, 1.0, 7)
    uv = np.array([(x0 + a * (x1 - x0), y0 + b * (y1 - y0)) for b in s for a in s])
    p = apply_h(reg.old_to_new, uv)
    h, w = new_hw
    inside = (p[:, 0] >= 0) & (p[:, 0] <= w) & (p[:, 1] >= 0) & (p[:, 1] <= h)
    corners = p[[0, 6, 42, 48]]
    box = (*corners.min(axis=0).tolist(), *corners.max(axis=0).tolist())
    return tuple(float(v) for v in box), float(inside.mean())


def same_ground(new_bgr: np.ndarray, reg: Registration, window: tuple[int, int, int, int]):
    """The new frame resampled on the earlier frame's pixels ``window`` (x0, y0, x1, y1)."""
    import cv2

    from pipeline.change.compare import index_h

    assert reg.old_to_new is not None
    x0, y0, x1, y1 = window
    shift = np.array([[1.0, 0, x0], [0, 1.0, y0], [0, 0, 1.0]])
    m = index_h(reg.old_to_new @ shift)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpPerspective(new_bgr, m, (x1 - x0, y1 - y0), flags=flags, borderValue=0)


def zncc(a: np.ndarray, b: np.ndarray) -> float:
    """Best zero-mean normalised cross-correlation of gray ``a (h, w)`` over every
    place in ``b (h + 2s, w + 2s)``, i.e. over shifts of up to ``s``; -1 for a flat ``a``."""
    import cv2

    if a.std() == 0 or b.std() == 0:
        return -1.0
    score = cv2.matchTemplate(b.astype(np.float32), a.astype(np.float32), cv2.TM_CCOEFF_NORMED)
    return float(np.nanmax(score))


def _gray(bgr: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if bgr.ndim == 3 else bgr


def _clipped_share(gray: np.ndarray) -> float:
    return float(((gray <= 5) | (gray >= 250)).mean())


def appearance(old_bgr: np.ndarray, new_bgr: np.ndarray, reg: Registration, box) -> tuple:
    """``(zncc, clipped share of the new view)`` of the box's ground in both frames."""
    h, w = old_bgr.shape[:2]
    x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
    x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None, 0.0
    s = SHIFT_PX
    old = _gray(old_bgr[y0:y1, x0:x1])
    new = _gray(same_ground(new_bgr, reg, (x0 - s, y0 - s, x1 + s, y1 + s)))
    return zncc(old, new), _clipped_share(new[s:-s, s:-s])


def _by_appearance(score: float | None, clipped: float) -> tuple[str, str]:
    if clipped > MAX_CLIPPED:
        return CANNOT_TELL, "occluded (new view black or blown out)"
    if score is None:
        return CANNOT_TELL, "box too small to compare"
    if score >= STILL_ZNCC:
        return STILL, "appearance"
    if score <= GONE_ZNCC:
        return GONE, "appearance"
    return CANNOT_TELL, "appearance in between"


def recheck_box(
    old_bgr: np.ndarray,
    new_bgr: np.ndarray,
    reg: Registration,
    box_old_px: tuple[float, float, float, float],
    *,
    detector: Detector | None = None,
    class_ids: tuple[int, ...] | None = None,
    min_conf: float = 0.25,
) -> RecheckVerdict:
    """The verdict on the earlier frame's ``box_old_px`` in the new frame (see module doc).

    Images are full-resolution BGR uint8. ``class_ids``: the detector's classes that
    stand for the object (None: any).
    """
    if not reg.ok or reg.new_to_old is None:
        return RecheckVerdict(CANNOT_TELL, f"registration failed: {reg.reason}")
    box_new, coverage = box_in_new(reg, box_old_px, new_bgr.shape[:2])
    if coverage < MIN_COVERAGE:
        return RecheckVerdict(CANNOT_TELL, "not covered", box_new, coverage=coverage)
    score, clipped = appearance(old_bgr, new_bgr, reg, box_old_px)
    conf = None
    if detector is not None and clipped <= MAX_CLIPPED:
        verdict, conf = detector_verdict(
            old_bgr, new_bgr, reg, box_old_px, detector, class_ids, min_conf
        )
        if verdict is not None:
            return RecheckVerdict(verdict, "detector", box_new, score, conf, coverage)
    verdict, reason = _by_appearance(score, clipped)
    return RecheckVerdict(verdict, reason, box_new, score, conf, coverage)


def before_after(
    old_bgr: np.ndarray,
    new_bgr: np.ndarray,
    reg: Registration,
    box_old_px: tuple[float, float, float, float],
    *,
    gap_px: int = 8,
) -> np.ndarray:
    """``(h, 2w + gap, 3) uint8`` BGR: the earlier crop around the box (with context,
    as :func:`pipeline.evidence_crops.crop_box` cuts it) beside the same ground from the new
    frame, the box drawn on both; black where the new frame does not reach."""
    import cv2

    from pipeline.evidence_crops import crop_box

    before, box = crop_box(old_bgr, box_old_px)
    x0, y0 = int(box_old_px[0]) - box[0], int(box_old_px[1]) - box[1]
    window = (x0, y0, x0 + before.shape[1], y0 + before.shape[0])
    after = same_ground(new_bgr, reg, window) if reg.ok else np.zeros_like(before)
    for img, colour in ((before, (0, 0, 255)), (after, (0, 200, 255))):
        cv2.rectangle(img, box[:2], box[2:], colour, 2)
    gap = np.full((before.shape[0], gap_px, 3), 255, np.uint8)
    return np.hstack([before, gap, after])


def detector_verdict(
    old_bgr: np.ndarray,
    new_bgr: np.ndarray,
    reg: Registration,
    box_old_px,
    detector: Detector,
    class_ids: tuple[int, ...] | None,
    min_conf: float,
) -> tuple[str | None, float]:
    """``(verdict or None, confidence in the new crop)``; None leaves it to appearance:
    found now is still present, found then but not now is gone."""
    window = square_window(box_old_px, TILE_PX, old_bgr.shape[:2])
    then, now = detector_scores(old_bgr, same_ground(new_bgr, reg, window), window, box_old_px,
                                detector, class_ids, min_conf, MATCH_IOU)  # fmt: skip
    if now > 0:
        return STILL, now
    if then > 0:
        return GONE, 0.0
    return None, 0.0
