"""The SRT reader on the four real logs and on small logs written here in other shapes."""
# ruff: noqa: E501  (the logs are quoted as DJI writes them, one long line a block)

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.video.srt import decode_srt, parse_srt, read_srt

# file: (records, unread, fields every record carries, first record's fields)
REAL = {
    "air2s.srt": (17, 0, {"lat_deg", "lon_deg", "abs_alt_m", "focal_35mm", "frame_cnt"},
                  {"lat_deg": 41.424724, "lon_deg": 2.234156, "abs_alt_m": 117.0,
                   "focal_35mm": 24.0, "frame_cnt": 1.0, "diff_time_ms": 33.0}),
    # the clock repeats a second five times (it skipped one just before): those are dropped
    "mavic_2_style.SRT": (463, 5, {"lat_deg", "lon_deg"},
                          {"lat_deg": -20.2533, "lon_deg": 149.0251}),
    "p4_rtk.SRT": (55, 0, {"lat_deg", "lon_deg", "rel_alt_m", "gimbal_pitch_deg",
                           "gimbal_yaw_deg", "flight_yaw_deg", "home_lat_deg", "distance_m"},
                   {"lon_deg": -58.851745, "lat_deg": -34.237922, "gps_alt_m": 15.0,
                    "home_lon_deg": -58.847509, "home_lat_deg": -34.232707,
                    "home_alt_m": -57.98, "distance_m": 698.7, "rel_alt_m": 85.8,
                    "h_speed_m_s": 0.0, "v_speed_m_s": 0.0, "flight_pitch_deg": 2.7,
                    "flight_roll_deg": -7.0, "flight_yaw_deg": 110.1, "gimbal_pitch_deg": -24.4,
                    "gimbal_roll_deg": 0.0, "gimbal_yaw_deg": 110.4}),
    "p4p_sample.SRT": (5, 0, {"lat_deg", "lon_deg", "rel_alt_m", "h_speed_m_s"},
                       {"lon_deg": 8.209, "lat_deg": 47.4692, "gps_alt_m": 18.0,
                        "distance_m": 49.21, "rel_alt_m": 45.6, "h_speed_m_s": 0.0,
                        "v_speed_m_s": 0.0}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_logs_read_whole(shared_data: Path, name: str) -> None:
    records, unread, everywhere, first = REAL[name]
    log = read_srt(shared_data / "dji-srt" / name)
    assert len(log.records) == records
    assert len(log.unread) == unread
    counts = log.field_counts()
    assert all(counts.get(f) == records for f in everywhere), counts
    assert log.records[0].fields == first
    assert list(log.times_s) == sorted(set(log.times_s))  # strictly forward


def test_mavic_2_times_come_from_the_clock(shared_data: Path) -> None:
    log = read_srt(shared_data / "dji-srt" / "mavic_2_style.SRT")
    assert log.times_s[:3] == (0.0, 1.0, 2.0) and log.times_s[-1] == 468.0
    assert all("does not move forward" in u.why for u in log.unread)
    assert [u.line for u in log.unread][:2] == [1121, 1137]


MINI2 = """1
00:00:00,000 --> 00:00:00,033
<font size="28">FrameCnt: 1, DiffTime: 33ms
2021-03-20 14:27:46.123
[iso: 110] [shutter: 1/200.0] [fnum: 280] [ev: 0] [ct: 5500] [color_md: default] [focal_len: 240] [dzoom_ratio: 10000, delta:0],[latitude: 44.420001] [longitude: 8.980002] [rel_alt: 1.300 abs_alt: 72.801] </font>

2
00:00:00,033 --> 00:00:00,066
<font size="28">FrameCnt: 2, DiffTime: 33ms
2021-03-20 14:27:46.156
[iso: 110] [shutter: 1/200.0] [fnum: 280] [ev: 0] [ct: 5500] [color_md: default] [focal_len: 240] [dzoom_ratio: 10000, delta:0],[latitude: 44.420011] [longitude: 8.980012] [rel_alt: 1.400 abs_alt: 72.901] </font>
"""

M300 = """1
00:00:00,000 --> 00:00:00,033
FrameCnt : 1, DiffTime : 33ms
2022-05-01 10:00:00,000,000
[iso : 100] [shutter : 1/500.0] [fnum : 2.8] [ev : 0] [focal_len : 24.00] [dzoom : 2.00] [latitude: 30.100000] [longitude: 120.200000] [rel_alt: 80.500 abs_alt: 95.250] [gb_yaw: 45.2 gb_pitch: -90.0 gb_roll: 0.0] [Drone: Yaw:44.0, Pitch:-2.9, Roll:1.5]
"""

MAVIC_PRO = """1
00:00:00,000 --> 00:00:01,000
HOME(149.0251,-20.2533) 2017.08.05 14:11:51
GPS(149.0252,-20.2534,16) BAROMETER:31.4
ISO:100 Shutter:60 EV:0 Fnum:2.2
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINI2, {"frame_cnt": 1.0, "diff_time_ms": 33.0, "focal_35mm": 24.0, "dzoom": 1.0,
                 "lat_deg": 44.420001, "lon_deg": 8.980002, "rel_alt_m": 1.3,
                 "abs_alt_m": 72.801}),
        (M300, {"frame_cnt": 1.0, "diff_time_ms": 33.0, "focal_35mm": 24.0, "dzoom": 2.0,
                "lat_deg": 30.1, "lon_deg": 120.2, "rel_alt_m": 80.5, "abs_alt_m": 95.25,
                "gimbal_yaw_deg": 45.2, "gimbal_pitch_deg": -90.0, "gimbal_roll_deg": 0.0,
                "flight_yaw_deg": 44.0, "flight_pitch_deg": -2.9, "flight_roll_deg": 1.5}),
        (MAVIC_PRO, {"home_lon_deg": 149.0251, "home_lat_deg": -20.2533, "lon_deg": 149.0252,
                     "lat_deg": -20.2534, "gps_alt_m": 16.0, "rel_alt_m": 31.4}),
    ],
)  # fmt: skip
def test_other_firmwares_are_read_by_name(text: str, expected: dict[str, float]) -> None:
    log = parse_srt(text)
    assert log.unread == ()
    assert log.records[0].fields == expected
    assert log.records[0].start_s == 0.0


def test_clock_keeps_milliseconds() -> None:
    log = parse_srt(MINI2)
    assert [r.clock.microsecond for r in log.records] == [123000, 156000]
    assert log.times_s == (0.0, 0.033)


def test_crlf_and_bom_read_like_plain_text() -> None:
    plain = parse_srt(MINI2)
    data = b"\xef\xbb\xbf" + MINI2.replace("\n", "\r\n").encode()
    assert parse_srt(decode_srt(data)) == plain
    assert parse_srt(decode_srt(MINI2.encode("utf-16"))) == plain


def test_unknown_fields_are_kept_by_name_and_unreadable_text_is_reported() -> None:
    text = MINI2.replace("[ct: 5500]", "[wind_speed: 3.2 m/s]", 1).replace(
        "[iso: 110]", "@@## garbage", 1
    )
    log = parse_srt(text)
    assert log.records[0].extra["wind_speed"] == "3.2 m/s"
    assert log.records[0].fields["lat_deg"] == 44.420001  # the rest of the line still read
    (unread,) = log.unread
    assert (unread.line, unread.text) == (5, "@@## garbage")


def test_bad_value_of_a_known_field_is_reported_and_the_rest_kept() -> None:
    log = parse_srt(MINI2.replace("[latitude: 44.420001]", "[latitude: N/A]", 1))
    assert "lat_deg" not in log.records[0].fields and "lon_deg" in log.records[0].fields
    assert [(u.line, u.why) for u in log.unread] == [
        (5, "latitude: expected one number, found 'N/A'")
    ]


def test_truncated_log_keeps_what_came_before() -> None:
    cut = MINI2[: MINI2.index("[latitude: 44.420011]")]
    log = parse_srt(cut)
    assert len(log.records) == 2
    assert "lat_deg" not in log.records[1].fields and log.records[1].fields["frame_cnt"] == 2.0
    only_index = parse_srt(MINI2 + "\n3\n")
    assert len(only_index.records) == 2
    assert [(u.line, u.why) for u in only_index.unread] == [
        (13, "a block with an index and nothing else")
    ]


def test_missing_fields_stay_missing() -> None:
    text = MINI2.replace("[rel_alt: 1.300 abs_alt: 72.801] ", "")
    log = parse_srt(text)
    assert "rel_alt_m" not in log.records[0].fields and log.has("rel_alt_m")
    assert log.unread == ()


def test_time_going_backwards_drops_the_record_and_says_so() -> None:
    text = MINI2 + "\n3\n00:00:00,010 --> 00:00:00,040\n[latitude: 1.0] [longitude: 2.0]\n"
    log = parse_srt(text)
    assert log.times_s == (0.0, 0.033)
    (unread,) = log.unread
    assert unread.line == 13 and "does not move forward" in unread.why


def test_blocks_without_blank_lines_still_split() -> None:
    log = parse_srt(MAVIC_PRO + MAVIC_PRO.replace("1\n00:00:00,000 --> 00:00:01,000",
                                                  "2\n00:00:01,000 --> 00:00:02,000"))  # fmt: skip
    assert log.times_s == (0.0, 1.0) and [r.index for r in log.records] == [1, 2]


def test_block_with_nothing_known_is_reported_line_by_line() -> None:
    log = parse_srt("hello there\nsecond line\n\n" + MAVIC_PRO)
    assert len(log.records) == 1
    assert [u.line for u in log.unread] == [1, 2]


@pytest.mark.parametrize(
    "data",
    [MINI2.encode(), b"\xef\xbb\xbf" + MINI2.replace("\n", "\r\n").encode(),
     MINI2.encode("utf-16"), (MAVIC_PRO + "\n" + MINI2).encode("latin-1"),
     MINI2.replace("[iso: 110]", "[iso: caf\xe9]").encode("latin-1"),
     (MINI2 * 2000 + "[iso: caf\xe9]").encode("latin-1")],  # not UTF-8 only at the end
)  # fmt: skip
def test_streamed_log_reads_as_the_parsed_one(tmp_path: Path, data: bytes) -> None:
    from pipeline.video.srt import stream_srt

    path = tmp_path / "DJI_0001.SRT"
    path.write_bytes(data)
    unread: list = []
    pairs = list(stream_srt(path, unread))
    log = read_srt(path)
    assert [t for t, _ in pairs] == list(log.times_s) and [r for _, r in pairs] == list(log.records)
    assert sorted(unread, key=lambda u: u.line) == list(log.unread)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_logs_stream_as_they_parse(shared_data: Path, name: str) -> None:
    from pipeline.video.srt import stream_srt

    path = shared_data / "dji-srt" / name
    unread: list = []
    assert [r for _, r in stream_srt(path, unread)] == list(read_srt(path).records)
    assert len(unread) == REAL[name][1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # M30-style: frame counter and date on one line
        ('1\n00:00:00,000 --> 00:00:00,033\n<font size="28">FrameCnt: 1 2022-03-15 10:30:12.345\n'
         "[focal_len: 24.00] [dzoom_ratio: 1.00], [latitude: 31.123456] [longitude: 121.123456] "
         "[rel_alt: 100.000 abs_alt: 120.000] [gb_yaw : 10.0 gb_pitch : -90.0 gb_roll : 0.0] </font>\n",
         {"frame_cnt": 1.0, "focal_35mm": 24.0, "dzoom": 1.0, "lat_deg": 31.123456,
          "lon_deg": 121.123456, "rel_alt_m": 100.0, "abs_alt_m": 120.0, "gimbal_yaw_deg": 10.0,
          "gimbal_pitch_deg": -90.0, "gimbal_roll_deg": 0.0}),
        # Phantom 4 Pro V2: DZOOM between commas
        ("1\n00:00:00,000 --> 00:00:01,000\nF/2.8, SS 320, ISO 100, EV 0, DZOOM 1.000, "
         "GPS (-121.1234, 38.5678, 19), D 4.62m, H 1.60m, H.S 0.00m/s, V.S 0.00m/s\n",
         {"dzoom": 1.0, "lon_deg": -121.1234, "lat_deg": 38.5678, "gps_alt_m": 19.0,
          "distance_m": 4.62, "rel_alt_m": 1.6, "h_speed_m_s": 0.0, "v_speed_m_s": 0.0}),
        # Mavic Air: barometer in brackets, the longitude misspelt
        ("1\n00:00:00,000 --> 00:00:01,000\n2018.05.01 10:00:00\n"
         "[latitude : 22.5] [longtitude : 113.9] [barometer: 12.3] [iso : 100]\n",
         {"lat_deg": 22.5, "lon_deg": 113.9, "rel_alt_m": 12.3}),
        # a GPS tuple written latitude first (the second value cannot be a latitude)
        ("1\n00:00:00,000 --> 00:00:01,000\nGPS(22.5, 113.9, 30)\n",
         {"lon_deg": 113.9, "lat_deg": 22.5, "gps_alt_m": 30.0}),
    ],
)  # fmt: skip
def test_more_firmwares(text: str, expected: dict[str, float]) -> None:
    log = parse_srt(text)
    assert log.unread == () and log.records[0].fields == expected
