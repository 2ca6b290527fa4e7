"""Yaw check decisions: which hypothesis wins, and each frame's verdict."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.geo.camera import camera_from_meta
from pipeline.geo.coords import enu_to_geodetic
from pipeline.geo.yaw_check import decide, pair_disagreement_m, verdict
from tests.geo.frames import make_meta

NONE = (0.0, 0.0)
BOTH = (180.0, 180.0)
B_ONLY = (0.0, 180.0)
A_ONLY = (180.0, 0.0)


@pytest.mark.parametrize(
    ("medians", "expected"),
    [
        ({NONE: 0.8, B_ONLY: 30.0, A_ONLY: 31.0, BOTH: 24.0}, NONE),
        ({NONE: 27.0, B_ONLY: 40.0, A_ONLY: 41.0, BOTH: 0.9}, BOTH),  # a line recorded flipped
        ({NONE: 20.4, B_ONLY: 2.3, A_ONLY: 45.0, BOTH: 30.0}, B_ONLY),  # line change
        ({NONE: 1.0, B_ONLY: 30.0, A_ONLY: 30.0, BOTH: 1.2}, None),  # hovering: no baseline
        ({NONE: 1.0, B_ONLY: 2.5, A_ONLY: 3.0, BOTH: 3.1}, None),  # all within GPS noise
        ({NONE: 8.0, B_ONLY: 20.0, A_ONLY: 25.0, BOTH: 30.0}, None),  # best not clearly best
    ],
)
def test_decide(medians, expected) -> None:
    assert decide(medians) == expected


@pytest.mark.parametrize(
    ("votes", "status", "offset"),
    [
        ([], "unchecked", 0.0),
        ([0.0], "consistent", 0.0),
        ([0.0, 0.0], "consistent", 0.0),
        ([180.0, 180.0], "flipped", 180.0),
        ([0.0, 180.0], "ambiguous", 0.0),
    ],
)
def test_verdict(votes, status, offset) -> None:
    v = verdict(make_meta(), votes)
    assert (v.status, v.yaw_offset_deg) == (status, offset)


def shot(north_m: float, yaw_deg: float):
    """A nadir frame 100 m up, ``north_m`` north of the origin, recording ``yaw_deg``."""
    lat, lon, _ = enu_to_geodetic(0.0, north_m, 0.0, lat0_deg=30.0, lon0_deg=114.0, h0_m=0.0)
    return make_meta(model="FC300S", focal_mm=3.61, lat_deg=float(lat), lon_deg=float(lon),
                     gimbal_yaw_deg=yaw_deg)  # fmt: skip


def seen_from(meta, north_m: float, ground_en):
    """Pixels where a true north-facing nadir camera at ``north_m`` sees ground points."""
    cam = camera_from_meta(meta)
    e, n = ground_en[:, 0], ground_en[:, 1] - north_m
    return np.column_stack([cam.cx_px + e * cam.fx_px / 100.0, cam.cy_px - n * cam.fy_px / 100.0])


GROUND = np.array([[x, y] for x in (-30.0, 0.0, 25.0) for y in (-10.0, 5.0, 20.0)])


@pytest.mark.parametrize(
    ("recorded_yaw", "expected"),
    [(0.0, NONE), (180.0, BOTH)],
)
def test_gps_baseline_fixes_the_absolute_yaw(recorded_yaw, expected) -> None:
    a, b = shot(0.0, recorded_yaw), shot(12.0, recorded_yaw)
    medians = pair_disagreement_m(a, b, seen_from(a, 0.0, GROUND), seen_from(b, 12.0, GROUND))
    assert medians[expected] < 0.05
    assert decide(medians) == expected


def test_pictures_come_from_the_embedded_preview_when_it_fits(shared_data, sample_flight) -> None:
    from pipeline.geo.yaw_check import load_gray_reduced
    from pipeline.ingest.scan import read_frame

    dji = read_frame(shared_data / "brighton_beach" / "DJI_0018.JPG")  # 4000×2250, 960 px preview
    assert load_gray_reduced(dji).shape == (540, 960)
    reduced = read_frame(next(sample_flight.glob("*.JPG")))  # 1600×900, preview not kept
    assert load_gray_reduced(reduced).shape == (900, 1600)


def test_an_unreadable_frame_is_a_clear_error(tmp_path) -> None:
    from pipeline.errors import HehuError
    from pipeline.geo.yaw_check import load_gray_reduced

    meta = make_meta()
    bad = tmp_path / "cut.JPG"
    bad.write_bytes(b"\xff\xd8\xff\xe0garbage")
    for path in (bad, tmp_path / "gone.JPG"):
        with pytest.raises(HehuError, match="yaw check"):
            load_gray_reduced(dataclasses.replace(meta, path=str(path)))


def test_a_frame_the_check_cannot_read_is_unchecked_and_the_rest_go_on() -> None:
    """A 1×1 picture (OpenCV asserted in ORB) and a loader crash each cost one frame only."""
    import cv2

    from pipeline.geo.yaw_check import check_yaw

    metas = [dataclasses.replace(shot(n, 0.0), path=f"f{n}.jpg", sha256=f"{n}" * 64)
             for n in range(4)]  # fmt: skip
    texture = cv2.GaussianBlur(
        np.random.default_rng(1).integers(0, 255, (600, 900), dtype=np.uint8), (0, 0), 1.5
    )

    def load_gray(meta):
        if meta.path == "f1.jpg":
            return np.zeros((1, 1), np.uint8)
        if meta.path == "f2.jpg":
            raise cv2.error("simulated library failure")
        return texture

    verdicts = check_yaw(metas, load_gray)
    assert [v.sha256 for v in verdicts] == [m.sha256 for m in metas]
    assert [v.status for v in verdicts] == ["unchecked"] * 4


def test_one_frame_is_checked_from_its_neighbours_or_says_why_not(shared_data) -> None:
    from pipeline.geo.yaw_check import check_frame_yaw, check_yaw, load_gray_reduced
    from pipeline.ingest import scan_flight

    flight = scan_flight(shared_data / "brighton_beach").frames
    whole = check_yaw(flight, load_gray_reduced)
    for i in (0, 5, 6, 11, len(flight) - 1):  # ends, and both sides of the turned line
        assert check_frame_yaw(flight[i], flight, load_gray_reduced) == whole[i]
    alone = check_frame_yaw(flight[7], flight[7:8], load_gray_reduced)
    assert (alone.status, alone.yaw_offset_deg) == ("unchecked", 0.0)
    assert "single frame cannot be yaw-checked" in alone.detail
    elsewhere = check_frame_yaw(flight[7], flight[:5], load_gray_reduced)
    assert elsewhere.status == "unchecked" and "not among the flight's 5 frames" in elsewhere.detail
