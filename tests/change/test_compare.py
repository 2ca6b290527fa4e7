"""Changes between registered images: a pasted object is found at its area, light is not change."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.change.compare import compare
from pipeline.change.regions import change_regions
from tests.change.scenes import OLD_TO_NEW, ground, relight, warp

GSD_CM = 10.0  # 0.01 m² a pixel
NEW_TO_OLD = np.linalg.inv(OLD_TO_NEW)


def _pasted(image: np.ndarray) -> np.ndarray:
    """A 60 × 40 px (6 × 4 m = 24 m²) block of a colour the scene does not hold."""
    out = image.copy()
    out[300:340, 400:460] = (20, 200, 240)
    return out


@pytest.mark.parametrize("light", [False, True])
def test_pasted_object_is_found_with_its_area(light) -> None:
    old = ground()
    new = _pasted(warp(old, OLD_TO_NEW))
    new = relight(new) if light else new
    regions = change_regions(compare(old, new, NEW_TO_OLD, gsd_cm_per_px=GSD_CM),
                             gsd_cm_per_px=GSD_CM, min_area_m2=5.0)  # fmt: skip
    assert len(regions) == 1
    (r,) = regions
    assert r.area_m2 == pytest.approx(24.0, rel=0.2)
    assert 395 <= r.centroid_px[0] - 30 <= 405 and 295 <= r.centroid_px[1] - 20 <= 305
    x0, y0, x1, y1 = r.xyxy_px
    assert x0 <= 402 and y0 <= 302 and x1 >= 458 and y1 >= 338


def test_light_change_alone_is_no_change() -> None:
    old = ground()
    new = relight(warp(old, OLD_TO_NEW))
    cmp = compare(old, new, NEW_TO_OLD, gsd_cm_per_px=GSD_CM)
    assert change_regions(cmp, gsd_cm_per_px=GSD_CM, min_area_m2=1.0) == []
    # plain gray differences would call the whole frame changed
    naive = compare(old, new, NEW_TO_OLD, gsd_cm_per_px=GSD_CM, method="gray")
    assert sum(r.area_m2 for r in change_regions(naive, gsd_cm_per_px=GSD_CM)) > 100.0


def test_minimum_area_zone_and_ignore_mask() -> None:
    old = ground()
    new = _pasted(warp(old, OLD_TO_NEW))
    cmp = compare(old, new, NEW_TO_OLD, gsd_cm_per_px=GSD_CM)
    assert change_regions(cmp, gsd_cm_per_px=GSD_CM) == []  # 24 m² < the default 100 m²
    assert len(change_regions(cmp, gsd_cm_per_px=GSD_CM, min_area_m2=5.0)) == 1
    west = lambda r: r.centroid_px[0] < 300  # noqa: E731
    assert change_regions(cmp, gsd_cm_per_px=GSD_CM, min_area_m2=5.0, zone=west) == []
    without_gsd = change_regions(cmp, gsd_cm_per_px=None)
    assert len(without_gsd) == 1 and without_gsd[0].area_m2 is None
    ignore = np.zeros(new.shape[:2], bool)
    ignore[280:360, 380:480] = True  # e.g. water, or a vehicle's box
    masked = compare(old, new, NEW_TO_OLD, gsd_cm_per_px=GSD_CM, ignore=ignore)
    assert change_regions(masked, gsd_cm_per_px=GSD_CM, min_area_m2=1.0) == []


def test_ground_outside_the_earlier_frame_is_not_compared() -> None:
    old = ground()
    far = np.array([[1.0, 0.0, 400.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # new sees 400 px east
    new = ground(seed=5)
    cmp = compare(old, new, far, gsd_cm_per_px=GSD_CM)
    assert not cmp.valid[:, -50:].any() and cmp.valid[:, :300].any()
    with pytest.raises(ValueError, match="method"):
        compare(old, new, far, method="colour")  # type: ignore[arg-type]
