"""Recheck verdicts on generated scenes: still present, gone, cannot tell; the evidence picture."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.change.recheck import CANNOT_TELL, GONE, STILL, before_after, recheck_box
from pipeline.change.register import Registration, failed, register_pair
from pipeline.detect.detections import Detections
from tests.change.scenes import OLD_TO_NEW, gray, ground, relight, warp

BOX = (300.0, 250.0, 360.0, 290.0)  # the earlier evidence, earlier frame's pixels


def _with_object(image: np.ndarray) -> np.ndarray:
    """A patterned object (a striped pile) in BOX."""
    out = image.copy()
    x0, y0, x1, y1 = (int(v) for v in BOX)
    stripes = np.where((np.arange(x1 - x0) // 6) % 2, 230, 40).astype(np.uint8)
    out[y0:y1, x0:x1] = stripes[None, :, None]
    return out


@pytest.fixture(scope="module")
def scene():
    bare = ground(seed=7)
    old = _with_object(bare)
    reg = register_pair(gray(warp(bare, OLD_TO_NEW)), gray(bare))
    assert reg.ok
    return bare, old, reg


def test_object_still_there_under_other_light(scene) -> None:
    _, old, reg = scene
    v = recheck_box(old, relight(warp(old, OLD_TO_NEW)), reg, BOX)
    assert v.verdict == STILL and v.reason == "appearance" and v.zncc > 0.8
    assert v.coverage == 1.0
    x0 = v.box_new_px[0]
    assert abs(x0 - (0.98 * 300 + 0.04 * 250 + 12) / (1 + 2e-5 * 300 + 1e-5 * 250)) < 3


def test_object_removed_is_gone(scene) -> None:
    bare, old, reg = scene
    v = recheck_box(old, warp(bare, OLD_TO_NEW), reg, BOX)
    assert v.verdict == GONE and v.zncc < 0.3


@pytest.mark.parametrize(
    ("case", "reason"),
    [("failed", "registration failed"), ("outside", "not covered"), ("black", "occluded")],
)
def test_cannot_tell(scene, case, reason) -> None:
    _, old, reg = scene
    new = warp(old, OLD_TO_NEW)
    box = BOX
    if case == "failed":
        reg = failed("too few tie points (3 of 40 consistent)")
    elif case == "outside":
        box = (2.0, 2.0, 30.0, 30.0)  # west of what the new frame sees
        shifted = np.array([[1.0, 0.0, 200.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        reg = Registration(True, "affine", shifted, 50, 50, 0.5, None, 0.7)
    else:
        new[:] = 0  # a cloud, a lens cap, a night frame
    v = recheck_box(old, new, reg, box)
    assert v.verdict == CANNOT_TELL and v.reason.startswith(reason)


def _fake_detector(sees_object: bool):
    """Finds the object (class 3) where the tile's BOX place is bright-and-dark striped."""

    def detect(tiles: np.ndarray) -> list[Detections]:
        out = []
        for tile in tiles:
            gray_tile = tile.mean(axis=2)
            found = sees_object and gray_tile.std() > 0 and _striped(gray_tile)
            xyxy = np.array([_TILE_BOX]) if found else np.zeros((0, 4))
            n = len(xyxy)
            out.append(Detections.from_arrays(xyxy, np.full(n, 0.9), np.full(n, 3)))
        return out

    return detect


_TILE_BOX: list[float] = []


def _striped(gray_tile: np.ndarray) -> bool:
    x0, y0, x1, y1 = (int(v) for v in _TILE_BOX)
    cut = gray_tile[y0:y1, x0:x1]
    return bool(cut.size) and float(np.mean((cut < 90) | (cut > 180))) > 0.6


def test_detector_decides_where_it_sees_the_earlier_object(scene) -> None:
    from pipeline.change.detector_check import square_window

    bare, old, reg = scene
    x0, y0, _, _ = square_window(BOX, 640, old.shape[:2])
    _TILE_BOX[:] = [BOX[0] - x0, BOX[1] - y0, BOX[2] - x0, BOX[3] - y0]
    det = _fake_detector(True)
    still = recheck_box(old, warp(old, OLD_TO_NEW), reg, BOX, detector=det, class_ids=(3,))
    gone = recheck_box(old, warp(bare, OLD_TO_NEW), reg, BOX, detector=det, class_ids=(3,))
    assert (still.verdict, still.reason) == (STILL, "detector")
    assert still.detector_conf == pytest.approx(0.9)
    assert (gone.verdict, gone.reason) == (GONE, "detector")
    other_class = recheck_box(old, warp(bare, OLD_TO_NEW), reg, BOX, detector=det, class_ids=(1,))
    assert other_class.reason == "appearance"  # the detector never saw it: appearance decides
    blind = recheck_box(old, warp(bare, OLD_TO_NEW), reg, BOX, detector=_fake_detector(False))
    assert (blind.verdict, blind.reason) == (GONE, "appearance")


def test_before_after_shows_the_same_ground_side_by_side(scene) -> None:
    _, old, reg = scene
    pair = before_after(old, warp(old, OLD_TO_NEW), reg, BOX, gap_px=8)
    h, w = pair.shape[:2]
    assert pair.dtype == np.uint8 and pair.shape[2] == 3 and (w - 8) % 2 == 0
    half = (w - 8) // 2
    before, after = pair[:, :half].astype(float), pair[:, half + 8 :].astype(float)
    inner = (slice(20, h - 20), slice(20, half - 20))
    assert np.corrcoef(before[inner].ravel(), after[inner].ravel())[0, 1] > 0.9
    assert (pair[:, half : half + 8] == 255).all()
    assert recheck_box(old, old, failed("x"), BOX).to_dict()["verdict"] == CANNOT_TELL
