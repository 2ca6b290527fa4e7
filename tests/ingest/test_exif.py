"""EXIF edge cases, after ODM's opendm/photo.py: zero denominators, missing
refs, altitude below sea level, undecodable Make, times."""

from __future__ import annotations

import json
import logging
import re
import struct
import subprocess
import sys

import pytest

from pipeline.errors import MissingGeotagError, UnreadableFileError
from pipeline.ingest.exif import exif_info, read_exif_tags, read_gps
from tests.ingest.synth import ASCII, DOUBLE, RATIONAL, SRATIONAL, jpeg_bytes


def tags_of(**kwargs):
    return read_exif_tags(jpeg_bytes(**kwargs))


def test_importing_ingest_loads_neither_exifread_nor_cv2() -> None:
    code = (
        "import json, sys, pipeline.ingest;"
        "print(json.dumps([m for m in ('exifread', 'cv2', 'numpy') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_fields_written_come_back() -> None:
    info = exif_info(
        tags_of(
            width=64, height=48, make="DJI", model="FC6310", focal_mm=8.8, focal_35mm=24,
            captured_at="2024-05-01T10:20:30", subsec="045", gps_time_utc="2024-05-01T02:20:30.5",
            orientation=6, exif_size=(5472, 3648), serial="0K8TG1B0020123",
            focal_plane_x_res=4180.0, focal_plane_res_unit=3,
        )
    )  # fmt: skip
    assert info.make == "DJI" and info.model == "FC6310" and info.serial == "0K8TG1B0020123"
    assert info.focal_mm == pytest.approx(8.8) and info.focal_35mm == 24
    assert info.captured_at == "2024-05-01T10:20:30" and info.subsec == "045"
    assert info.gps_time_utc == "2024-05-01T02:20:30.500000+00:00"
    assert info.orientation == 6
    assert info.exif_width_px == 5472  # EXIF's claim, not the stored 64 px
    assert info.focal_plane_x_res == pytest.approx(4180.0) and info.focal_plane_res_unit == 3


def test_gps_with_refs() -> None:
    fix = read_gps(tags_of(lat=-33.8568, lon=151.2153, alt_m=58.2))
    assert (fix.lat_ref, fix.lon_ref, fix.alt_ref) == ("S", "E", 0)
    assert fix.lat_deg == pytest.approx(-33.8568, abs=1e-6)
    assert fix.lon_deg == pytest.approx(151.2153, abs=1e-6)
    assert fix.alt_m == pytest.approx(58.2)


def test_altitude_ref_1_is_below_sea_level() -> None:
    fix = read_gps(tags_of(alt_m=-12.5))
    assert (fix.alt_m, fix.alt_ref) == (pytest.approx(-12.5), 1)


def test_altitude_0_over_0_gives_no_altitude_but_keeps_the_position() -> None:
    fix = read_gps(tags_of(gps_overrides={"GPSAltitude": (RATIONAL, [(0, 0)])}))
    assert fix.alt_m is None
    assert fix.lat_deg == pytest.approx(46.8426, abs=1e-6)


@pytest.mark.parametrize(
    ("ref", "axis", "expected_sign"),
    [("GPSLatitudeRef", "lat", 1), ("GPSLongitudeRef", "lon", 1)],
)
def test_missing_ref_assumes_north_east_with_a_warning(ref, axis, expected_sign, caplog) -> None:
    tags = tags_of(lat=-10.5, lon=-20.25, gps_overrides={ref: None})
    with caplog.at_level(logging.WARNING, logger="pipeline.ingest.exif"):
        fix = read_gps(tags, source="DJI_0001.JPG")
    value = fix.lat_deg if axis == "lat" else fix.lon_deg
    assert value == pytest.approx(expected_sign * (10.5 if axis == "lat" else 20.25), abs=1e-6)
    assert getattr(fix, f"{axis}_ref") is None
    assert f"DJI_0001.JPG: EXIF {ref} is missing" in caplog.text


def test_unknown_ref_letter_is_treated_as_missing(caplog) -> None:
    tags = tags_of(lat=10.5, gps_overrides={"GPSLatitudeRef": (ASCII, "X")})
    with caplog.at_level(logging.WARNING):
        fix = read_gps(tags)
    assert fix.lat_ref is None and fix.lat_deg > 0
    assert "'X', not one of N/S" in caplog.text


@pytest.mark.parametrize(
    ("overrides", "lat", "lon", "message"),
    [
        ({"GPSLatitude": (RATIONAL, [(0, 0)] * 3)}, 46.8, -91.9, "GPS latitude is 0/0"),
        (
            {"GPSLongitude": (RATIONAL, [(91, 1), (0, 0), (0, 0)])},
            46.8,
            -91.9,
            "GPS longitude is 0/0",
        ),
        (
            {"GPSLatitude": (RATIONAL, [(46, 1), (50, 0), (0, 1)])},
            46.8,
            -91.9,
            "50/0, not a finite",
        ),
        ({"GPSLatitude": (DOUBLE, [float("nan"), 0.0, 0.0])}, 46.8, -91.9, "not a finite number"),
        ({"GPSLatitude": (SRATIONAL, [(95, 1), (0, 1), (0, 1)])}, 46.8, -91.9, "outside ±90°"),
        ({}, 0.0, 0.0, "exactly (0, 0)"),
        ({}, None, None, "no GPS position in EXIF"),
        ({}, 46.8, None, "an incomplete GPS position"),
    ],
)
def test_unusable_gps_is_refused_with_its_reason(overrides, lat, lon, message) -> None:
    with pytest.raises(MissingGeotagError, match=re.escape(message)):
        read_gps(tags_of(lat=lat, lon=lon, gps_overrides=overrides))


def test_undecodable_make_is_dropped_with_a_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.ingest.exif"):
        info = exif_info(tags_of(make=b"\xff\xfe\x80DJI"))
    assert info.make is None
    assert info.model == "FC300S"
    assert "Image Make holds undecodable bytes" in caplog.text


@pytest.mark.parametrize(
    ("written", "expected"),
    [("2024:05:01 10:20:30", "2024-05-01T10:20:30"), ("0000:00:00 00:00:00", None),
     ("    :  :     :  :  ", None), ("yesterday", None)],
)  # fmt: skip
def test_capture_time_is_iso_or_none(written: str, expected: str | None) -> None:
    stamp = b"2024:01:01 00:00:00"  # patched in place: the same length keeps offsets valid
    original = jpeg_bytes(captured_at="2024-01-01T00:00:00")
    patched = original.replace(stamp, written.encode().ljust(len(stamp))[: len(stamp)])
    assert exif_info(read_exif_tags(patched)).captured_at == expected


def test_missing_capture_time_is_none() -> None:
    assert exif_info(tags_of(captured_at=None)).captured_at is None


def test_zero_focal_length_is_absent_not_zero() -> None:
    info = exif_info(tags_of(focal_mm=0.0, focal_35mm=0))
    assert info.focal_mm is None and info.focal_35mm is None


def test_no_exif_gives_empty_tags_and_empty_info() -> None:
    tags = read_exif_tags(jpeg_bytes(exif=False))
    assert tags == {}
    assert exif_info(tags) == type(exif_info(tags))()
    with pytest.raises(MissingGeotagError, match="no GPS position"):
        read_gps(tags)


def test_corrupt_exif_block_raises_unreadable(monkeypatch) -> None:
    import exifread

    def crash(*args, **kwargs):
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(exifread, "process_file", crash)
    with pytest.raises(UnreadableFileError, match="EXIF block is corrupt"):
        read_exif_tags(jpeg_bytes())
