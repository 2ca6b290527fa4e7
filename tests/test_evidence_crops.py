"""Evidence crops: geometry of the crop, the box inside it, the watermark."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pipeline.evidence_crops import CROP_MIN_PX, crop_box, render_crop, watermark_text


@pytest.mark.parametrize(
    ("xyxy", "shape"),
    [((1000, 500, 1040, 530), (2250, 4000)),  # small box mid-frame
     ((0, 0, 30, 30), (900, 1600)),  # at the corner
     ((1500, 850, 1600, 900), (900, 1600)),  # at the far corner
     ((200, 100, 1400, 800), (900, 1600))],  # large box
)  # fmt: skip
def test_crop_holds_the_box_with_context(xyxy, shape) -> None:
    image = np.zeros((*shape, 3), np.uint8)
    crop, (bx0, by0, bx1, by1) = crop_box(image, xyxy)
    h, w = crop.shape[:2]
    assert 0 <= bx0 < bx1 <= w and 0 <= by0 < by1 <= h
    assert bx1 - bx0 == pytest.approx(xyxy[2] - xyxy[0], abs=1)
    assert w >= min(CROP_MIN_PX, shape[1])


def test_render_draws_the_box_and_adds_the_watermark_bar() -> None:
    image = np.full((900, 1600, 3), 90, np.uint8)
    text = watermark_text(
        dt.datetime(2016, 6, 23, 16, 33, 41), 46.842256, -91.993762, "brighton", "X-1"
    )
    picture = render_crop(image, (700, 400, 760, 450), text)
    assert picture.shape[0] > 450 - 400 + 2 * 48  # crop plus the bar
    red = (picture[..., 2] == 255) & (picture[..., 0] == 0)
    assert red.any()  # the box
    assert (picture[-20:] > 200).any()  # white text on the bar


def test_watermark_says_when_where_which_flight_and_issue() -> None:
    text = watermark_text(
        dt.datetime(2016, 6, 23, 16, 33, 41), 46.842256, -91.993762, "brighton", "X-1"
    )
    assert text == "2016-06-23 16:33:41 | 46.842256N 91.993762W WGS-84 | flight brighton | X-1"
    assert "no position" in watermark_text(None, None, None, "f", "c")
