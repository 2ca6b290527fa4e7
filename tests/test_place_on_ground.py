"""Detections are found in pixels and placed on the ground afterwards, with the yaw check's
correction: the detection stage never needs to know the yaw."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from pipeline.flight import BatchResult, FlightPlan, PlannedFrame
from pipeline.geo.georef import georeference
from pipeline.records import GroundDetection, Quarantined
from pipeline.run import place_on_ground
from tests.geo.frames import make_meta


@pytest.mark.parametrize("pitch", [-90.0, -60.0])
def test_ground_resolution_does_not_depend_on_yaw(pitch) -> None:
    meta = make_meta(focal_35mm=24.0, gimbal_pitch_deg=pitch, gimbal_yaw_deg=30.0)
    gsd = [georeference(meta, yaw_offset_deg=o).gsd_cm_per_px() for o in (0.0, 180.0)]
    assert gsd[0] == pytest.approx(gsd[1], rel=1e-9)


def pixel(meta, box=(100.0, 200.0, 300.0, 260.0), conf=0.9) -> GroundDetection:
    return GroundDetection(frame_sha256=meta.sha256, frame_path=meta.path, model="m",
                           model_sha256="w", class_name="car", subtype=None, conf=conf,
                           xyxy_px=box)  # fmt: skip


def plan_of(*frames: PlannedFrame) -> FlightPlan:
    return FlightPlan("sha256:x", "f", "/f", frames, ())


def test_placing_uses_the_corrected_yaw() -> None:
    meta = make_meta(focal_35mm=24.0, gimbal_pitch_deg=-60.0)
    det = pixel(meta)
    result = BatchResult((det,), {}, (), 1)
    recorded = place_on_ground(plan_of(PlannedFrame(meta)), result)
    turned = place_on_ground(plan_of(PlannedFrame(meta, 180.0, "flipped")), result)
    centre = georeference(meta, yaw_offset_deg=180.0).locate([[200.0, 230.0]])
    placed = turned.detections[0]
    assert (placed.lat_deg, placed.lon_deg) == pytest.approx(
        (float(centre.lat_deg[0]), float(centre.lon_deg[0])), abs=1e-9
    )
    assert placed.lat_deg != pytest.approx(recorded.detections[0].lat_deg, abs=1e-6)
    ground = ("lat_deg", "lon_deg", "footprint", "area_m2", "sigma_m", "sigma_rel_m",
              "sigma_bias_m", "range_m", "depression_deg")  # fmt: skip
    assert dataclasses.replace(placed, **dict.fromkeys(ground)) == det
    assert placed.area_m2 > 0 and len(placed.footprint) == 9
    # The box sits near the top of a 60° frame, 30° below the horizon, 200 m away: a 5 m
    # (5 % of 100 m) height error moves it 5·cot(30°) ≈ 8.7 m; 1° of attitude by ≈ 6 m along
    # the ray's heading (pitch), of which 0.5° changes between frames (≈ 3 m), with 1 m of GPS.
    assert placed.depression_deg == pytest.approx(29.9, abs=0.2)
    assert placed.range_m == pytest.approx(100 / math.sin(math.radians(29.9)), rel=0.01)
    height_term = 5.0 / math.tan(math.radians(placed.depression_deg))
    assert height_term < placed.sigma_bias_m < math.hypot(height_term, 7.5)
    assert 2.5 < placed.sigma_rel_m < 4.0
    assert placed.sigma_bias_m < placed.sigma_m < math.hypot(placed.sigma_bias_m, 4.0, 2.5)
    assert set(turned.footprints) == {meta.sha256}


def test_frames_without_geotag_or_set_aside_keep_pixel_detections() -> None:
    untagged = dataclasses.replace(make_meta(focal_35mm=24.0, gps=False), sha256="1" * 64)
    broken = dataclasses.replace(make_meta(focal_35mm=24.0), sha256="2" * 64)
    good = dataclasses.replace(make_meta(focal_35mm=24.0), sha256="3" * 64)
    dets = (pixel(untagged), pixel(good, conf=0.5), pixel(good, conf=0.7))
    failed = Quarantined(broken.path, "truncated", broken.sha256, 1)
    result = BatchResult(dets, {}, (failed,), 2)
    placed = place_on_ground(plan_of(*(PlannedFrame(m) for m in (untagged, broken, good))), result)
    assert [d.conf for d in placed.detections] == [0.9, 0.5, 0.7]  # order kept
    assert placed.detections[0] == dets[0]
    assert all(d.lat_deg is not None for d in placed.detections[1:])
    assert set(placed.footprints) == {good.sha256}
    assert placed.set_aside == (failed,)


def test_placing_uses_the_plans_ground_settings(monkeypatch) -> None:
    """A DEM named in the config reaches the run: here terrain 20 m below take-off."""
    from pipeline.geo.laser import GroundSettings
    from tests.geo.test_dem import LAT, LON, geographic_dem

    dem = geographic_dem(lambda e, n: np.full_like(e, 80.0))
    monkeypatch.setattr("pipeline.geo.dem.load_dem", lambda path: dem)
    meta = make_meta(focal_35mm=24.0, gimbal_pitch_deg=-45.0, rel_alt_m=95.0, abs_alt_m=195.0,
                     lat_deg=LAT, lon_deg=LON)  # fmt: skip
    result = BatchResult((pixel(meta),), {}, (), 1)
    flat = place_on_ground(plan_of(PlannedFrame(meta)), result).detections[0]
    plan = dataclasses.replace(plan_of(PlannedFrame(meta)),
                               ground=GroundSettings(dem_path="dem.tif"))  # fmt: skip
    on_dem = place_on_ground(plan, result).detections[0]
    expected = georeference(meta, settings=plan.ground).locate([[200.0, 230.0]])
    assert (on_dem.lat_deg, on_dem.lon_deg) == pytest.approx(
        (float(expected.lat_deg[0]), float(expected.lon_deg[0])), abs=1e-9
    )
    assert on_dem.range_m == pytest.approx(flat.range_m * 115 / 95, rel=1e-3)
