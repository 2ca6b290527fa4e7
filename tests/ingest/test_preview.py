"""Embedded MPF previews: found where the index says, refused when they do not fit."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest

from pipeline.ingest.preview import embedded_images, preview_jpeg


def _jpeg(w: int, h: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    ok, data = cv2.imencode(".jpg", rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    assert ok
    return data.tobytes()


def _mpf_file(main: bytes, previews: list[bytes], order: str = "<", *, shift: int = 0) -> bytes:
    """``main`` with an APP2 MPF index after SOI listing ``previews``, appended after it.

    ``shift`` moves every listed offset (to point the index at the wrong place).
    """
    n = 1 + len(previews)
    ifd_at = 8
    entries_at = ifd_at + 2 + 3 * 12 + 4
    header_len = entries_at + 16 * n
    segment_len = 2 + 4 + header_len
    base = 2 + 2 + 2 + 4  # SOI, APP2 marker, its length, "MPF\0"
    main_len = len(main) + 2 + segment_len
    mark = b"II" if order == "<" else b"MM"
    header = mark + struct.pack(order + "HI", 42, ifd_at)
    header += struct.pack(order + "H", 3)
    header += struct.pack(order + "HHI4s", 0xB000, 7, 4, b"0100")
    header += struct.pack(order + "HHII", 0xB001, 4, 1, n)
    header += struct.pack(order + "HHII", 0xB002, 7, 16 * n, entries_at)
    header += struct.pack(order + "I", 0)
    header += struct.pack(order + "IIIHH", 0x20030000, main_len, 0, 0, 0)
    at = main_len
    for p in previews:
        header += struct.pack(order + "IIIHH", 0x010001, len(p), at - base + shift, 0, 0)
        at += len(p)
    app2 = b"\xff\xe2" + struct.pack(">H", segment_len) + b"MPF\x00" + header
    return main[:2] + app2 + main[2:] + b"".join(previews)


@pytest.mark.parametrize("order", ["<", ">"])
def test_the_preview_the_index_lists(order) -> None:
    preview = _jpeg(96, 54, seed=1)
    data = _mpf_file(_jpeg(320, 180), [preview], order)
    (image,) = embedded_images(data)
    assert data[image.offset : image.offset + image.size] == preview
    assert image.type_code == 0x010001
    assert preview_jpeg(data, 320, 180, min_width_px=90) == preview


def test_the_smallest_preview_wide_enough() -> None:
    small, medium, large = _jpeg(64, 36, 1), _jpeg(128, 72, 2), _jpeg(192, 108, 3)
    data = _mpf_file(_jpeg(320, 180), [large, small, medium])
    assert preview_jpeg(data, 320, 180, min_width_px=100) == medium
    assert preview_jpeg(data, 320, 180, min_width_px=200) is None


@pytest.mark.parametrize(
    ("preview_wh", "reason"),
    [((96, 72), "another aspect ratio (4:3 of a 16:9 frame)"),
     ((54, 96), "turned a quarter"),
     ((320, 180), "no smaller than the frame")],
)  # fmt: skip
def test_previews_that_do_not_show_the_frame_are_refused(preview_wh, reason) -> None:
    data = _mpf_file(_jpeg(320, 180), [_jpeg(*preview_wh)])
    assert len(embedded_images(data)) == 1
    assert preview_jpeg(data, 320, 180, min_width_px=50) is None, reason


@pytest.mark.parametrize(
    "damage",
    ["offset past the end", "offset not at a JPEG", "file cut inside the index", "no MPF"],
)
def test_a_broken_index_means_no_preview_never_an_error(damage) -> None:
    main, preview = _jpeg(320, 180), _jpeg(96, 54)
    if damage == "offset past the end":
        data = _mpf_file(main, [preview], shift=10_000)
    elif damage == "offset not at a JPEG":
        data = _mpf_file(main, [preview], shift=7)
    elif damage == "file cut inside the index":
        data = _mpf_file(main, [preview])[:40]
    else:
        data = main + preview
    assert embedded_images(data) == []
    assert preview_jpeg(data, 320, 180, min_width_px=50) is None


def test_a_reduced_copy_whose_index_points_past_its_end(sample_flight) -> None:
    """The embedded sample kept the original's MPF segment but not its preview."""
    data = next(sample_flight.glob("*.JPG")).read_bytes()
    assert b"MPF\x00" in data[:100_000]
    assert embedded_images(data) == []


@pytest.mark.parametrize("name", ["brighton_beach/DJI_0018.JPG", "aerial-cars/DJI_0010.JPG"])
def test_dji_previews_show_the_whole_frame(shared_data, name) -> None:
    """FC300S and FC220 stills carry a 960×540 copy of the 4000×2250 frame."""
    data = (shared_data / name).read_bytes()
    preview = preview_jpeg(data, 4000, 2250, min_width_px=900)
    assert preview is not None
    small = cv2.imdecode(np.frombuffer(preview, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert small.shape == (540, 960)
    main = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_4)
    main = cv2.resize(main, (960, 540), interpolation=cv2.INTER_AREA)
    a, b = (cv2.GaussianBlur(x.astype(float), (0, 0), 2) for x in (main, small))

    def corr(x, y) -> float:
        return float(np.corrcoef(x.ravel(), y.ravel())[0, 1])

    # the same view, pixel for pixel (not a crop, not another shot): 0.998 on both;
    # the same pictures 8 px apart fall to 0.87 and 0.96
    assert corr(a, b) > 0.99
    assert corr(a[:, 8:], b[:, :-8]) < 0.98
