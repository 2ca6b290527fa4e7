"""Real DJI frames from ../shared/data: what only real files show."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.errors import UnreadableFileError
from pipeline.ingest import decode_image, read_frame, scan_flight


@pytest.fixture(scope="module")
def brighton(brighton_dir):
    return scan_flight(brighton_dir)


def test_all_18_brighton_frames_ingest_with_gps_and_xmp(brighton) -> None:
    assert len(brighton.frames) == 18
    for f in brighton.frames:
        assert (f.make, f.model, f.media_type) == ("DJI", "FC300S", "image/jpeg")
        assert (f.width_px, f.height_px, f.exif_width_px) == (4000, 2250, 4000)
        assert f.focal_mm == pytest.approx(3.61) and f.focal_35mm == 20
        assert f.gps.lat_deg == pytest.approx(46.84, abs=0.01)
        assert f.gps.lon_deg == pytest.approx(-91.99, abs=0.01)
        assert (f.gps.lat_ref, f.gps.lon_ref) == ("N", "W")
        assert f.xmp.rel_alt_m == pytest.approx(40, abs=2)
        assert f.xmp.gimbal_pitch_deg == pytest.approx(-90, abs=1)
        assert f.xmp.gimbal_yaw_deg is not None and f.xmp.flight_yaw_deg is not None


def test_brighton_only_the_licence_and_readme_are_set_aside(brighton) -> None:
    assert sorted(q.path.rsplit("/", 1)[-1] for q in brighton.quarantined) == [
        "LICENSE",
        "README.md",
    ]
    assert all("[text/plain]" in q.reason for q in brighton.quarantined)


def test_brighton_frames_in_capture_order_with_true_hashes(brighton, brighton_dir) -> None:
    times = [f.captured_at for f in brighton.frames]
    assert times == sorted(times) and times[0].startswith("2016-06-23T")
    first = brighton.frames[0]
    data = (brighton_dir / first.path.rsplit("/", 1)[-1]).read_bytes()
    assert first.sha256 == hashlib.sha256(data).hexdigest() and first.size_bytes == len(data)


def test_brighton_frame_from_bytes_in_memory_matches_the_scan(brighton, brighton_dir) -> None:
    path = brighton_dir / "DJI_0018.JPG"
    from_scan = next(f for f in brighton.frames if f.path == str(path))
    assert read_frame(path, path.read_bytes()) == from_scan


@pytest.mark.parametrize("name", ["DJI_0010.JPG", "DJI_0012.JPG"])
def test_aerial_cars_fc220_stills_ingest(aerial_cars_dir, name: str) -> None:
    frame = read_frame(aerial_cars_dir / name, require_gps=True)
    assert (frame.make, frame.model) == ("DJI", "FC220")
    assert (frame.width_px, frame.height_px) == (4000, 2250)
    assert frame.gps.lat_deg == pytest.approx(53.9, abs=0.1)  # Minsk
    assert frame.gps.lon_deg == pytest.approx(27.6, abs=0.1)
    assert frame.xmp.rel_alt_m == pytest.approx(99, abs=3)
    assert frame.xmp.gimbal_pitch_deg == pytest.approx(-90, abs=1)


def test_real_frame_decodes_and_its_truncated_copy_is_refused(brighton_dir) -> None:
    data = (brighton_dir / "DJI_0018.JPG").read_bytes()
    assert decode_image(data).shape == (2250, 4000, 3)
    with pytest.raises(UnreadableFileError, match="truncated JPEG"):
        decode_image(data[: len(data) // 2])
