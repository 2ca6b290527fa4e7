"""Pairing a new flight's frames with earlier frames of the same ground."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.change.pairing import (
    clip_polygon,
    overlap_share,
    pair_frames,
    place_frame_on_ground,
    prior_homography,
)
from pipeline.change.register import apply_h
from tests.geo.frames import make_meta

M_PER_DEG_LAT = 110_850.0  # near 30° N


def _frame(name: str, north_m: float = 0.0, **xmp) -> object:
    meta = make_meta(focal_35mm=24.0, lat_deg=30.0 + north_m / M_PER_DEG_LAT, **xmp)
    return dataclasses.replace(meta, path=name, sha256=name.ljust(64, "0"))


@pytest.mark.parametrize(("dx", "expected"), [(0.0, 1.0), (0.5, 0.5), (0.9, 0.1), (1.5, 0.0)])
def test_overlap_of_squares(dx, expected) -> None:
    square = np.array([(0, 0), (1, 0), (1, 1), (0, 1)], float)
    moved = square + np.array([dx, 0.0])
    assert overlap_share(square, moved) == pytest.approx(expected)
    assert overlap_share(square[::-1], moved[::-1]) == pytest.approx(expected)


def test_clip_keeps_the_inner_polygon() -> None:
    big = np.array([(0, 0), (10, 0), (10, 10), (0, 10)], float)
    tri = np.array([(2, 2), (5, 2), (3, 6)], float)
    np.testing.assert_allclose(clip_polygon(tri, big), tri)
    assert len(clip_polygon(tri, big + 20.0)) == 0


def test_pairing_picks_the_most_overlapping_frame() -> None:
    new = [_frame("new")]
    earlier = [_frame("far", 60.0), _frame("near", 10.0), _frame("away", 500.0),
               _frame("mid", 30.0)]  # fmt: skip
    pairs, skipped = pair_frames(new, earlier, top_k=2)
    assert skipped == []
    assert [p.old_path for p in pairs] == ["near", "mid"]
    assert pairs[0].share > pairs[1].share and pairs[0].score == pytest.approx(pairs[0].share)
    assert all(p.new_path == "new" for p in pairs)


def test_coarser_and_oblique_frames_score_lower() -> None:
    new = [_frame("new")]
    same = _frame("same", 5.0)
    higher = _frame("higher", 5.0, rel_alt_m=200.0)  # covers more, at half the resolution
    oblique = _frame("oblique", 5.0, gimbal_pitch_deg=-60.0)
    pairs, _ = pair_frames(new, [higher, oblique, same], top_k=3)
    by = {p.old_path: p for p in pairs}
    assert by["higher"].share > by["same"].share
    assert by["higher"].gsd_ratio == pytest.approx(0.5, rel=0.02)
    assert by["oblique"].off_nadir_deg == pytest.approx(30.0, abs=0.1)
    assert pairs[0].old_path == "same"


def test_frames_without_a_geotag_are_skipped_with_why() -> None:
    lost = dataclasses.replace(_frame("lost"), gps=None)
    pairs, skipped = pair_frames([_frame("new")], [lost, _frame("ok", 10.0)])
    assert [p.old_path for p in pairs] == ["ok"]
    assert skipped[0][0] == "lost" and "GPS" in skipped[0][1]


def test_prior_homography_matches_the_ground_offset() -> None:
    origin = (30.0, 114.0)
    new = place_frame_on_ground(_frame("new"), origin)
    old = place_frame_on_ground(_frame("old", 10.0), origin)  # 10 m further north
    h = prior_homography(new, old)
    centre = np.array([[2000.0, 1500.0]])
    shift_px = apply_h(h, centre)[0] - centre[0]
    gsd_m = new.gsd_cm_per_px / 100.0
    # heading north, image up is north: the earlier frame sees the new centre 10 m lower
    np.testing.assert_allclose(shift_px, [0.0, 10.0 / gsd_m], atol=1.0)


def test_yaw_check_corrections_turn_the_prior() -> None:
    from pipeline.change.pairing import place_frames

    origin = (30.0, 114.0)
    new = place_frame_on_ground(_frame("new"), origin)
    meta = _frame("old", 10.0)
    (old,), _ = place_frames([meta], origin, {meta.sha256: 180.0})
    shift_px = apply_h(prior_homography(new, old), [[2000.0, 1500.0]])[0] - (2000.0, 1500.0)
    np.testing.assert_allclose(shift_px, [0.0, -10.0 / (new.gsd_cm_per_px / 100.0)], atol=1.0)
