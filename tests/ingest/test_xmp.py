"""DJI XMP: both property forms, bad values, where the packet is looked for."""

from __future__ import annotations

import pytest

from pipeline.ingest.xmp import dji_properties, find_xmp_packet, parse_dji_xmp, read_dji_xmp
from pipeline.records import DjiXmp
from tests.ingest.synth import dji_xmp_packet, jpeg_bytes, tiff_bytes

FULL = {
    "RelativeAltitude": "+39.80", "AbsoluteAltitude": "+198.31", "GimbalYawDegree": "+45.00",
    "GimbalPitchDegree": "-89.90", "GimbalRollDegree": "+0.00", "FlightYawDegree": "+46.00",
    "FlightPitchDegree": "+1.80", "FlightRollDegree": "+3.00", "CalibratedFocalLength": "2952.0",
    "CalibratedOpticalCenterX": "2000.5", "CalibratedOpticalCenterY": "1125.25", "RtkFlag": "50",
    "RtkStdLon": "0.012", "RtkStdLat": "0.010", "RtkStdHgt": "0.025", "LRFTargetLat": "30.5412",
    "LRFTargetLon": "114.3521", "LRFTargetAbsAlt": "21.4", "LRFTargetDistance": "118.7",
    "LRFStatus": "Normal", "LRFTargetAlt": "-18.6", "ImageSource": "InfraredCamera",
}  # fmt: skip
EXPECTED = DjiXmp(
    rel_alt_m=39.8, abs_alt_m=198.31, gimbal_yaw_deg=45.0, gimbal_pitch_deg=-89.9,
    gimbal_roll_deg=0.0, flight_yaw_deg=46.0, flight_pitch_deg=1.8, flight_roll_deg=3.0,
    calibrated_focal_px=2952.0, optical_center_x_px=2000.5, optical_center_y_px=1125.25,
    rtk_flag=50, rtk_std_lon_m=0.012, rtk_std_lat_m=0.010, rtk_std_hgt_m=0.025,
    lrf_target_lat_deg=30.5412, lrf_target_lon_deg=114.3521, lrf_target_abs_alt_m=21.4,
    lrf_target_distance_m=118.7, lrf_status="Normal", lrf_target_alt_m=-18.6,
    image_source="InfraredCamera",
)  # fmt: skip


@pytest.mark.parametrize("form", ["attribute", "element"])
def test_every_field_in_both_forms(form: str) -> None:
    assert parse_dji_xmp(dji_xmp_packet(form=form, extra=FULL)) == EXPECTED


def test_attribute_form_with_single_quotes_and_spaces() -> None:
    packet = b"<x:xmpmeta><rdf:Description drone-dji:RelativeAltitude = '+12.5' /></x:xmpmeta>"
    assert parse_dji_xmp(packet) == DjiXmp(rel_alt_m=12.5)


@pytest.mark.parametrize("raw", ["", "abc", "nan", "inf", "-inf", "1e999", "+-3"])
def test_non_numeric_or_non_finite_values_become_none(raw: str) -> None:
    xmp = parse_dji_xmp(dji_xmp_packet(extra={"RelativeAltitude": raw, "GimbalYawDegree": "+10.0"}))
    assert xmp == DjiXmp(rel_alt_m=None, gimbal_yaw_deg=10.0)


def test_rtk_flag_must_be_an_integer() -> None:
    assert parse_dji_xmp(dji_xmp_packet(extra={"RtkFlag": "16.5"})).rtk_flag is None
    assert parse_dji_xmp(dji_xmp_packet(extra={"RtkFlag": "16"})).rtk_flag == 16


def test_a_packet_without_dji_fields_gives_none() -> None:
    packet = b'<x:xmpmeta><rdf:Description tiff:Make="DJI" crs:Version="7.0"/></x:xmpmeta>'
    assert parse_dji_xmp(packet) is None
    assert dji_properties(packet) == {}


def test_first_occurrence_wins() -> None:
    packet = (
        b'<x:xmpmeta><rdf:Description drone-dji:RelativeAltitude="+1.00">'
        b"<drone-dji:RelativeAltitude>+2.00</drone-dji:RelativeAltitude></rdf:Description></x:xmpmeta>"
    )
    assert parse_dji_xmp(packet).rel_alt_m == 1.0


def test_packet_found_inside_a_jpeg_and_not_past_the_limit() -> None:
    data = jpeg_bytes(rel_alt_m=55.5)
    assert read_dji_xmp(data).rel_alt_m == 55.5
    start = data.find(b"<x:xmpmeta")
    assert find_xmp_packet(data, limit=start) is None  # the packet must start inside the window
    assert read_dji_xmp(jpeg_bytes(xmp_form=None)) is None


def test_unclosed_packet_is_ignored() -> None:
    assert find_xmp_packet(b"junk<x:xmpmeta drone-dji:RelativeAltitude='1'" + b" " * 100) is None


def test_a_real_frame_packet_is_read(brighton_dir) -> None:
    """(Its speed is a figure of bench/bench_xmp.py, not a test: these machines are shared.)"""
    xmp = read_dji_xmp((brighton_dir / "DJI_0018.JPG").read_bytes())
    assert xmp.rel_alt_m == pytest.approx(39.8)
    assert xmp.gimbal_pitch_deg == pytest.approx(-89.9)


def test_packet_past_the_search_window_is_found_in_its_segment() -> None:
    data = jpeg_bytes(rel_alt_m=61.5)
    pad = b"\xff\xe3\xff\xfe" + bytes(65532)  # 64 KB APP3 segments, as in DJI thermal R-JPEGs
    data = data[:2] + pad * 5 + data[2:]
    assert find_xmp_packet(data) is None
    assert read_dji_xmp(data) is None
    assert read_dji_xmp(data, "image/jpeg").rel_alt_m == 61.5


def test_tiff_packet_is_read_from_the_xmlpacket_tag() -> None:
    from pipeline.ingest.header import embedded_xmp

    data = tiff_bytes(40, 30, rel_alt_m=77.0)
    assert embedded_xmp(data, "image/tiff").startswith(b"<?xpacket")
    assert read_dji_xmp(data, "image/tiff").rel_alt_m == 77.0
    assert embedded_xmp(tiff_bytes(40, 30, xmp_form=None), "image/tiff") is None
