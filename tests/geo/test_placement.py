"""A frame is placed, or says why not: nothing it lacks is made up."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.geo.placement import HORIZON, UNUSABLE, place_frame
from pipeline.records import GpsFix
from tests.geo.frames import make_meta

#: Frames that cannot be placed, each for one reason, and that reason.
UNPLACED = {
    "no GPS": (make_meta(focal_35mm=24.0, gps=False), "no GPS position"),
    "GPS (0, 0)": (
        dataclasses.replace(make_meta(focal_35mm=24.0), gps=GpsFix(0.0, 0.0)),
        "no GPS position",
    ),
    "no XMP": (make_meta(focal_35mm=24.0, xmp=None), "no camera attitude"),
    "no pitch": (make_meta(focal_35mm=24.0, gimbal_pitch_deg=None), "no camera attitude"),
    "no heading": (make_meta(focal_35mm=24.0, gimbal_yaw_deg=None), "no camera attitude"),
    "no height": (make_meta(focal_35mm=24.0, rel_alt_m=None), "no height above take-off"),
    "no focal length": (make_meta(model="UNKNOWN-CAM"), "no focal length (camera unknown)"),
    "horizontal": (make_meta(focal_35mm=24.0, gimbal_pitch_deg=0.0), HORIZON),
    "looking up": (make_meta(focal_35mm=24.0, gimbal_pitch_deg=10.0), HORIZON),
    "below take-off": (make_meta(focal_35mm=24.0, rel_alt_m=-5.0), UNUSABLE),
}


@pytest.mark.parametrize(("meta", "reason"), UNPLACED.values(), ids=UNPLACED.keys())
def test_frames_not_placed_say_why(meta, reason) -> None:
    placement = place_frame(meta)
    assert not placement.placed and placement.georef is None
    assert placement.reason == reason
    assert placement.detail and meta.path in placement.detail


def test_a_frame_missing_attitude_is_not_taken_for_nadir() -> None:
    """Roll alone is no attitude: the frame is not placed as if it looked straight down."""
    meta = make_meta(focal_35mm=24.0, gimbal_pitch_deg=None, gimbal_yaw_deg=None)
    assert place_frame(meta).reason == "no camera attitude"


@pytest.mark.parametrize("pitch", [-90.0, -30.0, -0.5])
def test_frames_looking_below_the_horizon_are_placed(pitch) -> None:
    placement = place_frame(make_meta(focal_35mm=24.0, gimbal_pitch_deg=pitch))
    assert placement.placed and placement.reason is None
    assert placement.georef.gsd_cm_per_px() > 0
