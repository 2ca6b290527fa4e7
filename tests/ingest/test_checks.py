"""Header sizes, truncation, decompression bombs and the guarded decode."""

from __future__ import annotations

import struct

import pytest

from pipeline.errors import BadInputError, UnreadableFileError
from pipeline.ingest import header, sniff
from pipeline.ingest.checks import check_image, decode_image
from tests.ingest.synth import jpeg_bytes


def encoded(ext: str, width: int, height: int, level: int = 90) -> bytes:
    import cv2
    import numpy as np

    ok, buf = cv2.imencode(ext, np.full((height, width, 3), level, np.uint8))
    assert ok
    return buf.tobytes()


def with_sof_size(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with its SOF0 frame size patched (pixels untouched); the main
    image's SOF, not the one of an EXIF thumbnail before it."""
    start = next(s for marker, s, _ in header.jpeg_segments(data) if marker == 0xC0)
    return data[: start + 1] + struct.pack(">HH", height, width) + data[start + 5 :]


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


def camera_trailer(n: int, seed: int = 0) -> bytes:
    """``n`` bytes of camera data such as thermal payloads write after EOI (random, with an
    FFD8 start marker and no FFD9, so the file no longer ends in an end-of-image marker)."""
    import numpy as np

    body = np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()
    return b"\xff\xd8" + body.replace(b"\xff", b"\xfe") + b"\x01\x02"


@pytest.mark.parametrize("trailer_bytes", [1024, 2600, 4096])
def test_camera_data_after_the_end_of_image_marker_is_a_whole_jpeg(trailer_bytes: int) -> None:
    data = jpeg_bytes(640, 512, seed=3) + camera_trailer(trailer_bytes)
    assert check_image(data, sniff.JPEG) == (640, 512)
    assert decode_image(data).shape == (512, 640, 3)


@pytest.mark.parametrize("keep", [0.999, 0.9, 0.5])
def test_a_cut_jpeg_is_still_truncated_when_it_has_no_eoi_after_its_scan(keep: float) -> None:
    preview = jpeg_bytes(16, 8, exif=False, xmp_form=None)  # a preview before the scan, as
    app2 = b"\xff\xe2" + struct.pack(">H", len(preview) + 2) + preview  # DJI files carry
    whole = b"\xff\xd8" + app2 + jpeg_bytes(640, 512, seed=3)[2:]
    sos = header.jpeg_layout(whole).sos_offset
    cut = whole[: sos + int((len(whole) - sos) * keep)]
    assert b"\xff\xd9" in cut[:sos]  # the preview's own EOI does not count
    with pytest.raises(UnreadableFileError, match="truncated JPEG"):
        check_image(cut, sniff.JPEG)


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


def test_a_header_claiming_far_more_pixels_than_its_data_is_refused_before_decoding() -> None:
    """15000×15000 px over the data of a 400×300 frame: refused from the header's byte count."""
    data = with_sof_size(jpeg_bytes(400, 300), 15000, 15000)
    with pytest.raises(UnreadableFileError, match=r"claims 15000×15000 px .* fewer than any JPEG"):
        check_image(data, sniff.JPEG)


def test_a_header_whose_data_fills_only_part_of_it_is_refused_after_a_reduced_decode() -> None:
    """Enough bytes to pass the floor, too few for the pixels: the 1/8 decode shows grey fill."""
    import cv2
    import numpy as np

    texture = np.random.default_rng(3).integers(0, 255, (600, 800, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", texture, [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    data = with_sof_size(buf.tobytes(), 8000, 6000)  # 48 MP claimed over 0.48 MP of data
    assert 0.0015 < (len(data) / 48e6) < 0.04
    with pytest.raises(UnreadableFileError, match=r"claims 8000×6000 px .* too few to fill them"):
        check_image(data, sniff.JPEG)
    with pytest.raises(UnreadableFileError, match="too few to fill them"):
        decode_image(data)


@pytest.mark.parametrize("level", [0, 90, 255])
def test_a_blank_frame_has_few_bytes_a_pixel_but_is_not_refused(level: int) -> None:
    """A lens-cap frame compresses to 0.016 bytes a pixel: checked, and kept (no grey fill)."""
    data = encoded(".jpg", 2000, 1000, level)
    assert len(data) / 2e6 < 0.04
    assert check_image(data, sniff.JPEG) == (2000, 1000)


def test_brighton_frame_under_a_15000_px_header_is_refused(brighton_dir) -> None:
    data = with_sof_size((brighton_dir / "DJI_0018.JPG").read_bytes(), 15000, 15000)
    with pytest.raises(UnreadableFileError, match=r"claims 15000×15000 px .* too few to fill"):
        check_image(data, sniff.JPEG)


def _texture_jpeg(width: int = 640, height: int = 480) -> bytes:
    import cv2
    import numpy as np

    rng = np.random.default_rng(5)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), (0, 0), 2)
    ok, buf = cv2.imencode(".jpg", texture, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def _cut_and_closed(data: bytes, keep: float) -> bytes:
    """The scan data cut to ``keep`` of its length, then FFD9 as if it were whole."""
    sos = header.jpeg_layout(data).sos_offset
    return data[: sos + int((len(data) - sos) * keep)] + b"\xff\xd9"


def _ff_run(data: bytes, at: float, n: int) -> bytes:
    """``n`` bytes of the scan data from ``at`` of its length overwritten with FF fill."""
    sos = header.jpeg_layout(data).sos_offset
    start = sos + int((len(data) - sos) * at)
    return data[:start] + b"\xff" * n + data[start + n :]


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda d: _cut_and_closed(d, 0.4),
        lambda d: _cut_and_closed(d, 0.97),
        lambda d: _ff_run(d, 0.5, 2000),
    ],
    ids=["cut-at-40%", "cut-at-97%", "FF-run-mid-scan"],
)
def test_corrupt_scan_data_ending_in_ffd9_is_refused_not_decoded_as_grey(corrupt) -> None:
    data = corrupt(_texture_jpeg())
    assert check_image(data, sniff.JPEG) == (640, 480)  # the structure looks whole…
    with pytest.raises(UnreadableFileError, match=r"corrupt JPEG scan data: .* flat grey"):
        decode_image(data)  # …but OpenCV fills the rest with grey


def test_a_whole_jpeg_with_grey_content_is_not_mistaken_for_fill() -> None:
    """A 128-grey patch narrower than the run threshold in a JPEG; grey rows in a PNG."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(_texture_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    image[200:216, 96:296] = 128  # 25 blocks: under the 32-block run
    _, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 100])
    assert decode_image(buf.tobytes()).shape == (480, 640, 3)
    image[400:] = 128  # no decoder fills a PNG: it is never checked for fill
    _, buf = cv2.imencode(".png", image)
    assert decode_image(buf.tobytes()).shape == (480, 640, 3)


@pytest.mark.parametrize(
    "corrupt",
    [lambda d: _cut_and_closed(d, 0.4), lambda d: _ff_run(d, 0.3, 100_000)],
    ids=["cut-at-40%", "FF-run-mid-scan"],
)
def test_corrupt_brighton_frame_is_refused(brighton_dir, corrupt) -> None:
    from pipeline.ingest.preview import embedded_images

    data = (brighton_dir / "DJI_0018.JPG").read_bytes()
    main = data[: min(i.offset for i in embedded_images(data))]  # without DJI's previews
    with pytest.raises(UnreadableFileError, match="corrupt JPEG scan data"):
        decode_image(corrupt(main))


def test_real_frames_decode_without_grey_fill(brighton_dir, aerial_cars_dir) -> None:
    frames = [brighton_dir / "DJI_0018.JPG", brighton_dir / "DJI_0030.JPG"]
    frames += sorted(aerial_cars_dir.rglob("DJI_*.JPG"))[:1]
    for path in frames:
        assert decode_image(path).ndim == 3
