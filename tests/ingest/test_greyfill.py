"""Decoder fill (exact 128 grey blocks in long runs) is found; grey content is not."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.ingest.greyfill import grey_fill, longest_runs


def textured(height: int = 240, width: int = 800) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 120, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    ("rows", "cols", "expected"),
    [
        (slice(160, 240), slice(None), (160, 240)),  # bottom third: data ran out
        (slice(80, 96), slice(None), (80, 96)),  # a band mid-frame: a corrupt stretch
        (slice(232, 240), slice(536, 800), (232, 240)),  # the last block row, from mid-row
        (slice(80, 96), slice(0, 248), None),  # 31 blocks wide: under the 32-block run
        (slice(80, 84), slice(None), None),  # half a block high
    ],
)
def test_grey_fill(rows, cols, expected) -> None:
    image = textured()
    image[rows, cols] = 128
    fill = grey_fill(image)
    assert (fill and (fill.first_row_px, fill.last_row_px)) == expected


def test_narrow_frames_need_half_the_row() -> None:
    image = textured(64, 96)  # 12 blocks a row: a run of 6 is enough
    image[8:16, 0:48] = 128
    assert grey_fill(image) is not None
    image = textured(64, 96)
    image[8:16, 0:40] = 128
    assert grey_fill(image) is None


def test_grey_of_another_level_and_grayscale_images() -> None:
    image = textured()
    image[160:] = 127
    assert grey_fill(image) is None
    gray = textured()[:, :, 0].copy()
    gray[200:] = 128
    assert grey_fill(gray).first_row_px == 200


def test_reduced_decode_one_pixel_a_block() -> None:
    image = textured(30, 50)
    image[20:] = 128
    fill = grey_fill(image, block_px=1)
    assert (fill.first_row_px, fill.last_row_px) == (20, 30)
    assert "between rows 160 and 240 of 240" in fill.describe(240, 8)


def test_longest_runs() -> None:
    blocks = np.array([[1, 1, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 1]], bool)
    assert longest_runs(blocks).tolist() == [3, 0, 2]
