"""read_frame and scan_flight over synthetic flights full of bad inputs."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from pathlib import Path

import pytest

from pipeline.errors import BadInputError, MissingGeotagError, UnreadableFileError
from pipeline.ingest import read_frame, scan_flight, sniff
from pipeline.ingest.scan import IngestResult, flight_centre
from tests.ingest.synth import RATIONAL, jpeg_bytes, tiff_bytes, write_jpeg, write_png

LAT, LON = 30.5928, 114.3055  # a river reach in Wuhan
MP4_HEAD = b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64
SRT_TEXT = (
    b"1\n00:00:00,000 --> 00:00:00,033\nFrameCnt: 1 [latitude: 30.5928] [longitude: 114.3055]\n"
)
APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 64


def good(root: Path, name: str, i: int, **kw) -> Path:
    """A good frame i metres-ish east of the reach, captured i seconds after 10:00."""
    kw = {"captured_at": f"2024-05-01T10:00:{i:02d}", "lat": LAT, "lon": LON + i * 1e-5, **kw}
    return write_jpeg(root / name, 48, 32, seed=i, **kw)


def bomb_bytes() -> bytes:
    data = jpeg_bytes(48, 32, lat=LAT, lon=LON)
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", 60000, 60000) + data[sof + 9 :]


# name -> a fragment of the reason it must be set aside with
EXPECTED_REASONS = {
    "empty.JPG": "empty file (0 bytes)",
    "DJI_0001.MP4": "a video (MP4/LRF), not a still photo [video/mp4]",
    "DJI_0001.LRF": "[video/mp4]",
    "DJI_0001.SRT": "a DJI SRT flight log",
    "._DJI_0002.JPG": "macOS AppleDouble metadata file",
    "truncated.JPG": "truncated JPEG: no end-of-image marker (FFD9)",
    "bomb.JPG": "60000×60000 px (3600 MP), above the 250 MP limit (possible decompression bomb)",
    "nogps.JPG": "no GPS position in EXIF",
    "gps00.JPG": "GPS latitude is 0/0",
    "gpsinf.JPG": "GPS longitude is 7/0, not a finite number",
    "nullisland.JPG": "GPS position is exactly (0, 0)",
    "far.JPG": "km from the flight's median position",
    "south.JPG": "km from the flight's median position",
    "png_named.JPG": "no GPS position in EXIF",
    "sub/copy_of_DJI_0003.JPG": "duplicate of ",
    "photo.HEIC": "a HEIC photo, which hehu does not read",
}
GOOD = ["DJI_0003.JPG", "DJI_0004.JPG", "DJI_0005.JPG", "missing_ref.JPG", "sub/DJI_0006.JPG"]


@pytest.fixture
def mixed_flight(tmp_path: Path) -> Path:
    """Good frames (one with a missing LatitudeRef) beside every kind of bad input."""
    root = tmp_path / "flight"
    (root / "sub").mkdir(parents=True)
    for i, name in enumerate(["DJI_0003.JPG", "DJI_0004.JPG", "DJI_0005.JPG", "sub/DJI_0006.JPG"]):
        good(root, name, 10 + i)
    good(root, "missing_ref.JPG", 20, gps_overrides={"GPSLatitudeRef": None})
    (root / "sub/copy_of_DJI_0003.JPG").write_bytes((root / "DJI_0003.JPG").read_bytes())
    (root / "empty.JPG").touch()
    (root / "DJI_0001.MP4").write_bytes(MP4_HEAD)
    (root / "DJI_0001.LRF").write_bytes(MP4_HEAD)
    (root / "DJI_0001.SRT").write_bytes(SRT_TEXT)
    (root / "._DJI_0002.JPG").write_bytes(APPLEDOUBLE)
    (root / "photo.HEIC").write_bytes(
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 64
    )
    whole = jpeg_bytes(320, 240, lat=LAT, lon=LON, seed=99)
    (root / "truncated.JPG").write_bytes(whole[: len(whole) * 2 // 3])
    (root / "bomb.JPG").write_bytes(bomb_bytes())
    good(root, "nogps.JPG", 30, lat=None, lon=None)
    good(root, "gps00.JPG", 31, gps_overrides={"GPSLatitude": (RATIONAL, [(0, 0)] * 3)})
    good(
        root, "gpsinf.JPG", 32, gps_overrides={"GPSLongitude": (RATIONAL, [(7, 0), (0, 1), (0, 1)])}
    )
    write_jpeg(root / "nullisland.JPG", 48, 32, lat=0.0, lon=0.0, seed=33)
    write_jpeg(root / "far.JPG", 48, 32, lat=LAT + 1.0, lon=LON, seed=34)  # ≈ 111 km north
    write_jpeg(root / "south.JPG", 48, 32, lat=-LAT, lon=LON, seed=35)  # wrong hemisphere ref
    write_png(root / "png_named.JPG", 40, 30)
    return root


def test_mixed_flight_keeps_good_frames_and_sets_aside_each_bad_one(mixed_flight, snapshot) -> None:
    before = snapshot(mixed_flight)
    result = scan_flight(mixed_flight)
    rel = {str(Path(f.path).relative_to(mixed_flight)) for f in result.frames}
    assert rel == set(GOOD)
    reasons = {str(Path(q.path).relative_to(mixed_flight)): q.reason for q in result.quarantined}
    assert set(reasons) == set(EXPECTED_REASONS)
    for name, fragment in EXPECTED_REASONS.items():
        assert fragment in reasons[name], f"{name}: {reasons[name]}"
    assert reasons["sub/copy_of_DJI_0003.JPG"].startswith(
        f"duplicate of {mixed_flight / 'DJI_0003.JPG'}"
    )
    assert snapshot(mixed_flight) == before  # bytes and mtimes untouched


def test_every_reason_says_what_to_do(mixed_flight) -> None:
    for q in scan_flight(mixed_flight).quarantined:
        problem, _, fix = q.reason.partition(":" if ":" in q.reason else ";")
        assert problem and len(fix.strip()) > 10, q.reason


def test_frames_sorted_by_capture_time_then_path(tmp_path: Path) -> None:
    good(tmp_path, "c.JPG", 1, captured_at="2024-05-01T09:00:00")
    good(tmp_path, "a.JPG", 2, captured_at="2024-05-01T09:00:01", subsec="50")
    good(tmp_path, "b.JPG", 3, captured_at="2024-05-01T09:00:01", subsec="120")
    good(tmp_path, "d.JPG", 4, captured_at="2024-05-01T09:00:01", subsec="120")
    good(tmp_path, "0.JPG", 5, captured_at=None)
    names = [Path(f.path).name for f in scan_flight(tmp_path).frames]
    assert names == ["c.JPG", "b.JPG", "d.JPG", "a.JPG", "0.JPG"]


def test_scan_output_is_json_ready_with_stable_field_names(tmp_path: Path) -> None:
    good(tmp_path, "a.JPG", 1, calibrated_focal_px=2952.0)
    (tmp_path / "b.MP4").write_bytes(MP4_HEAD)
    out = json.loads(json.dumps(scan_flight(tmp_path).to_dict()))
    frame, quarantined = out["frames"][0], out["quarantined"][0]
    assert list(frame) == [
        "path", "sha256", "size_bytes", "media_type", "width_px", "height_px", "orientation",
        "captured_at", "subsec", "gps_time_utc", "make", "model", "serial", "focal_mm",
        "focal_35mm", "focal_plane_x_res", "focal_plane_res_unit", "exif_width_px", "gps", "xmp",
        "video",
    ]  # fmt: skip
    assert list(frame["gps"]) == ["lat_deg", "lon_deg", "alt_m", "lat_ref", "lon_ref", "alt_ref"]
    assert frame["xmp"]["calibrated_focal_px"] == 2952.0
    assert list(quarantined) == ["quarantined", "path", "reason", "sha256", "size_bytes"]


def test_require_gps_false_keeps_frames_without_a_usable_position(mixed_flight, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        result = scan_flight(mixed_flight, require_gps=False)
    by_name = {Path(f.path).name: f for f in result.frames}
    for name in ("nogps.JPG", "gps00.JPG", "gpsinf.JPG", "nullisland.JPG", "png_named.JPG"):
        assert by_name[name].gps is None
    assert "GPS latitude is 0/0" in caplog.text
    assert {Path(q.path).name for q in result.quarantined} >= {"far.JPG", "south.JPG", "bomb.JPG"}


def test_max_offset_is_configurable(tmp_path: Path) -> None:
    for i in range(3):
        good(tmp_path, f"{i}.JPG", i)
    write_jpeg(tmp_path / "x.JPG", 48, 32, lat=LAT + 0.01, lon=LON)  # ≈ 1.1 km north
    assert len(scan_flight(tmp_path).frames) == 4
    result = scan_flight(tmp_path, max_offset_m=500.0)
    assert [Path(q.path).name for q in result.quarantined] == ["x.JPG"]
    assert "1.1 km from the flight's median position" in result.quarantined[0].reason


def test_max_pixels_is_passed_down(tmp_path: Path) -> None:
    good(tmp_path, "a.JPG", 1)
    result = scan_flight(tmp_path, max_pixels=1000)
    assert "above the 0 MP limit" in result.quarantined[0].reason


def test_symlink_loops_and_links_are_safe(tmp_path: Path) -> None:
    root = tmp_path / "flight"
    good(root, "a.JPG", 1)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "link.JPG").symlink_to(root / "a.JPG")
    (root / "dangling.JPG").symlink_to(root / "gone.JPG")
    os.mkfifo(root / "pipe.JPG")
    result = scan_flight(root)
    assert [Path(f.path).name for f in result.frames] == ["a.JPG"]
    reasons = {Path(q.path).name: q.reason for q in result.quarantined}
    assert reasons["link.JPG"].startswith("duplicate of")
    assert "broken symbolic link" in reasons["dangling.JPG"]
    assert "named pipe" in reasons["pipe.JPG"]


def test_hidden_folders_are_skipped(tmp_path: Path) -> None:
    good(tmp_path, "a.JPG", 1)
    good(tmp_path / ".Trashes", "deleted.JPG", 2)
    assert [Path(f.path).name for f in scan_flight(tmp_path).frames] == ["a.JPG"]


def test_unexpected_crash_in_one_file_does_not_stop_the_scan(tmp_path, monkeypatch) -> None:
    from pipeline.ingest import scan

    real = scan.read_exif_tags
    good(tmp_path, "a.JPG", 1)
    good(tmp_path, "b.JPG", 2)

    def flaky(data: bytes):
        if data == (tmp_path / "a.JPG").read_bytes():
            raise RuntimeError("library bug")
        return real(data)

    monkeypatch.setattr(scan, "read_exif_tags", flaky)
    result = scan_flight(tmp_path)
    assert [Path(f.path).name for f in result.frames] == ["b.JPG"]
    assert (
        "unexpected error while reading (RuntimeError: library bug)" in result.quarantined[0].reason
    )


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="does not exist"):
        scan_flight(tmp_path / "nope")


def test_flight_centre_is_a_real_frame() -> None:
    assert flight_centre([(1.0, 1.0), (50.0, 50.0)]) in {(1.0, 1.0), (50.0, 50.0)}
    assert flight_centre([(0.0, 0.0), (0.0, 0.001), (10.0, 10.0)]) == (0.0, 0.001)


# --- read_frame ------------------------------------------------------------------


def test_read_frame_png_named_jpg_is_read_as_png_with_nothing_invented(tmp_path: Path) -> None:
    frame = read_frame(write_png(tmp_path / "DJI_0001.JPG", 40, 30))
    assert (frame.media_type, frame.width_px, frame.height_px) == (sniff.PNG, 40, 30)
    assert frame.make is frame.model is frame.captured_at is frame.focal_mm is None
    assert frame.gps is None and frame.xmp is None and frame.exif_width_px is None


def test_read_frame_element_form_xmp_and_resized_frame(tmp_path: Path) -> None:
    path = write_jpeg(
        tmp_path / "a.JPG", 40, 30, xmp_form="element", rel_alt_m=120.5, gimbal_pitch=-45.0,
        exif_size=(5280, 3956), calibrated_focal_px=3713.3,
    )  # fmt: skip
    frame = read_frame(path)
    assert frame.xmp.rel_alt_m == 120.5 and frame.xmp.gimbal_pitch_deg == -45.0
    assert frame.xmp.calibrated_focal_px == pytest.approx(3713.3)
    assert (frame.width_px, frame.exif_width_px) == (40, 5280)  # stored size vs EXIF's claim


def test_read_frame_tiff_with_exif_gps_and_xmp(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001_1.TIF"
    path.write_bytes(tiff_bytes(40, 30, lat=LAT, lon=LON, rel_alt_m=77.0, model="M3M"))
    frame = read_frame(path, require_gps=True)
    assert (frame.media_type, frame.width_px, frame.height_px, frame.model) == (
        sniff.TIFF, 40, 30, "M3M",
    )  # fmt: skip
    assert frame.gps.lat_deg == pytest.approx(LAT, abs=1e-6) and frame.xmp.rel_alt_m == 77.0


def test_read_frame_uses_given_bytes_and_hashes_them(tmp_path: Path) -> None:
    data = jpeg_bytes(48, 32)
    frame = read_frame(tmp_path / "never_written.JPG", data)
    assert frame.sha256 == hashlib.sha256(data).hexdigest() and frame.size_bytes == len(data)


def test_read_frame_serial_falls_back_to_xmp(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.JPG", xmp_extra={"CameraSerialNumber": "1ZNBJ7R00C00AB"})
    assert read_frame(path).serial == "1ZNBJ7R00C00AB"
    assert read_frame(write_jpeg(tmp_path / "b.JPG", serial="EXIF-SN")).serial == "EXIF-SN"


@pytest.mark.parametrize(
    ("data", "error", "fragment"),
    [
        (b"", BadInputError, "empty file"),
        (MP4_HEAD, BadInputError, "[video/mp4]"),
        (jpeg_bytes()[:-100], UnreadableFileError, "truncated JPEG"),
        (bomb_bytes(), BadInputError, "decompression bomb"),
    ],
)
def test_read_frame_errors_carry_the_reason(data: bytes, error: type, fragment: str) -> None:
    with pytest.raises(error) as info:
        read_frame(Path("x.JPG"), data)
    assert fragment in str(info.value)


def test_read_frame_gps_is_only_required_on_request(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.JPG", gps_overrides={"GPSLatitude": (RATIONAL, [(0, 0)] * 3)})
    assert read_frame(path).gps is None
    with pytest.raises(MissingGeotagError, match="0/0"):
        read_frame(path, require_gps=True)


def test_read_frame_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="cannot read it"):
        read_frame(tmp_path / "missing.JPG")


def test_ingest_result_is_frozen() -> None:
    result = IngestResult(frames=(), quarantined=())
    with pytest.raises(AttributeError):
        result.frames = ()  # type: ignore[misc]


def test_thermal_frames_with_camera_data_after_eoi_are_ingested_whole(tmp_path: Path) -> None:
    from tests.ingest.test_checks import camera_trailer

    root = tmp_path / "flight"
    root.mkdir()
    trailers = {"DJI_0001_T.JPG": 1024, "DJI_0002_T.JPG": 4096}
    for i, (name, n) in enumerate(trailers.items()):
        data = jpeg_bytes(640, 512, lat=LAT, lon=LON + i * 1e-5, seed=i, model="M3T")
        (root / name).write_bytes(data + camera_trailer(n, seed=i))
    whole = jpeg_bytes(640, 512, lat=LAT, lon=LON, seed=7)
    (root / "DJI_0003_T.JPG").write_bytes(whole[: len(whole) - 500])
    result = scan_flight(root)
    assert sorted(Path(f.path).name for f in result.frames) == sorted(trailers)
    assert [(Path(q.path).name, q.reason[:15]) for q in result.quarantined] == [
        ("DJI_0003_T.JPG", "truncated JPEG:")
    ]
    for frame in result.frames:
        data = Path(frame.path).read_bytes()  # the trailer is part of the file, kept and hashed
        assert (frame.size_bytes, frame.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert (frame.width_px, frame.height_px, frame.model) == (640, 512, "M3T")


def test_a_flight_across_the_antimeridian_keeps_its_frames(tmp_path: Path) -> None:
    lat = 65.0  # the Anadyr coast, Chukotka
    lons = [179.9998, 179.9999, -179.9999, -179.9998]
    for i, lon in enumerate(lons):
        good(tmp_path, f"DJI_{i:04d}.JPG", i, lat=lat, lon=lon)
    good(tmp_path, "stray.JPG", 9, lat=lat, lon=10.0)
    result = scan_flight(tmp_path)
    assert sorted(Path(f.path).name for f in result.frames) == [
        f"DJI_{i:04d}.JPG" for i in range(4)
    ]
    assert [Path(q.path).name for q in result.quarantined] == ["stray.JPG"]
    assert abs(flight_centre([(lat, lon) for lon in lons])[1]) > 179.9
