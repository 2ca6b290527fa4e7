"""Header sizes, truncation, decompression bombs and the guarded decode."""

from __future__ import annotations

import struct

import pytest

from pipeline.errors import BadInputError, UnreadableFileError
from pipeline.ingest import header, sniff
from pipeline.ingest.checks import check_image, decode_image
from tests.ingest.synth import jpeg_bytes


def encoded(ext: str, width: int, height: int) -> bytes:
    import cv2
    import numpy as np

    ok, buf = cv2.imencode(ext, np.full((height, width, 3), 90, np.uint8))
    assert ok
    return buf.tobytes()


def with_sof_size(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with its SOF0 frame size patched (pixels untouched)."""
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


@pytest.mark.parametrize(
    ("data", "media_type", "size"),
    [
        (jpeg_bytes(40, 30, exif_size=(4000, 2250)), sniff.JPEG, (40, 30)),
        (encoded(".png", 33, 21), sniff.PNG, (33, 21)),
        (encoded(".tiff", 17, 9), sniff.TIFF, (17, 9)),
    ],
)
def test_size_comes_from_the_header_not_exif(data: bytes, media_type: str, size) -> None:
    assert header.image_size(data, media_type) == size
    assert check_image(data, media_type) == size


def test_jpeg_layout_finds_exif_and_scan() -> None:
    data = jpeg_bytes(40, 30)
    layout = header.jpeg_layout(data)
    assert layout.has_exif and not header.jpeg_layout(jpeg_bytes(40, 30, exif=False)).has_exif
    assert data[layout.sos_offset : layout.sos_offset + 2] == b"\xff\xda"


@pytest.mark.parametrize("keep", [0.999, 0.9, 0.5, 0.1])
def test_truncated_jpeg_fails_with_a_reason(keep: float) -> None:
    data = jpeg_bytes(200, 150)
    with pytest.raises(UnreadableFileError, match="truncated JPEG"):
        check_image(data[: int(len(data) * keep)], sniff.JPEG)


def test_jpeg_cut_inside_its_header_names_the_segment() -> None:
    data = jpeg_bytes(200, 150)
    with pytest.raises(UnreadableFileError, match=r"segment FFE1 .* past the end"):
        check_image(data[:40], sniff.JPEG)


def test_trailing_zero_padding_is_allowed() -> None:
    data = jpeg_bytes(40, 30)
    assert check_image(data + b"\x00" * 4096, sniff.JPEG) == (40, 30)


def test_jpeg_without_frame_header_is_corrupt() -> None:
    with pytest.raises(UnreadableFileError, match="no frame header"):
        check_image(b"\xff\xd8\xff\xda\x00\x02\x00\xff\xd9", sniff.JPEG)


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (encoded(".png", 33, 21)[:-20], sniff.PNG),
        (encoded(".tiff", 64, 64)[:300], sniff.TIFF),
    ],
)
def test_truncated_png_and_tiff_fail(data: bytes, media_type: str) -> None:
    with pytest.raises(UnreadableFileError, match="truncated"):
        check_image(data, media_type)


def test_decompression_bomb_header_is_refused() -> None:
    bomb = with_sof_size(jpeg_bytes(40, 30), 60000, 60000)
    with pytest.raises(BadInputError, match=r"60000×60000 px \(3600 MP\), above the 250 MP limit"):
        check_image(bomb, sniff.JPEG)


def test_png_bomb_header_is_refused() -> None:
    png = encoded(".png", 8, 8)
    bomb = png[:16] + struct.pack(">II", 100_000, 100_000) + png[24:]
    with pytest.raises(BadInputError, match="decompression bomb"):
        check_image(bomb, sniff.PNG)


def test_pixel_limit_is_configurable() -> None:
    data = jpeg_bytes(40, 30)
    assert check_image(data, sniff.JPEG, max_pixels=1200) == (40, 30)
    with pytest.raises(BadInputError, match="above the 0 MP limit"):
        check_image(data, sniff.JPEG, max_pixels=1199)


def test_decode_image_returns_stored_pixels(tmp_path) -> None:
    path = tmp_path / "a.JPG"
    path.write_bytes(jpeg_bytes(40, 30, orientation=6))
    image = decode_image(path)
    assert image.shape == (30, 40, 3) and image.dtype.name == "uint8"
    assert decode_image(path, apply_orientation=True).shape == (40, 30, 3)


def test_decode_image_refuses_truncated_data_before_opencv() -> None:
    data = jpeg_bytes(200, 150)
    with pytest.raises(UnreadableFileError, match="truncated JPEG"):
        decode_image(data[: len(data) - 300])


def test_decode_image_refuses_non_images_and_missing_files(tmp_path) -> None:
    with pytest.raises(UnreadableFileError, match="video/mp4"):
        decode_image(b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2avc1mp41")
    with pytest.raises(UnreadableFileError, match="cannot read"):
        decode_image(tmp_path / "missing.JPG")


@pytest.mark.parametrize(("width", "height"), [(1, 1), (1, 100), (100, 1), (7, 40)])
def test_a_frame_too_small_for_any_camera_is_set_aside(tmp_path, width, height) -> None:
    from pipeline.ingest import scan_flight
    from tests.ingest.synth import write_jpeg

    write_jpeg(tmp_path / "DJI_0001.JPG", width, height)
    write_jpeg(tmp_path / "DJI_0002.JPG", 40, 30)
    result = scan_flight(tmp_path)
    assert [f.width_px for f in result.frames] == [40]
    (q,) = result.quarantined
    assert q.path.endswith("DJI_0001.JPG")
    assert f"{width}×{height} px, under the 8 px" in q.reason and "leave it out" in q.reason
