"""The COCO backbone's features as a change score: objects count, light does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.change.compare import compare
from pipeline.change.regions import change_regions
from tests.change.scenes import OLD_TO_NEW, ground, relight, warp

WEIGHTS = Path(__file__).resolve().parents[3] / "shared" / "weights" / "yolov5n-coco"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (WEIGHTS / "yolov5n.pt").is_file(), reason="no COCO checkpoint"),
]
NEW_TO_OLD = np.linalg.inv(OLD_TO_NEW)


def test_learned_features_find_the_object_and_ignore_the_light() -> None:
    old = ground()
    new = relight(warp(old, OLD_TO_NEW))
    found = new.copy()
    found[300:340, 400:460] = (20, 200, 240)
    light = compare(old, new, NEW_TO_OLD, gsd_cm_per_px=10.0, method="norm+coco")
    assert change_regions(light, gsd_cm_per_px=10.0, min_area_m2=1.0) == []
    pasted = compare(old, found, NEW_TO_OLD, gsd_cm_per_px=10.0, method="norm+coco")
    (region,) = change_regions(pasted, gsd_cm_per_px=10.0, min_area_m2=5.0)
    assert region.area_m2 == pytest.approx(24.0, rel=0.3)
