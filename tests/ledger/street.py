"""A street of parked cars seen by a hovering drone, made in code (no images).

The true camera hovers ``height_m`` above a level street and tilts through
``pitches_deg``, several frames per pitch. What the frames *record* differs
from the truth as real metadata does: every frame gets its own attitude and
GPS noise, and all frames share a bias (pitch, height above the street, GPS).
Cars are 4.5 × 1.8 × 1.5 m boxes parked side by side in rows; a car's pixel
box is the bounding box of its 8 corners projected by the true pose, kept
when the whole box is in the image. Detections are then placed on the ground
by hehu from the *recorded* metadata, as a real flight's would be.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from pipeline.geo.coords import enu_to_geodetic, geodetic_to_enu
from pipeline.geo.georef import georeference
from pipeline.records import DjiXmp, FrameMeta, GpsFix, GroundDetection

LAT0, LON0 = 30.5, 114.3
CAR_M = (1.8, 4.5, 1.5)  # width (east), length (north), height


@dataclass(frozen=True)
class Street:
    """Frames (recorded metadata), their pixel detections and which car each detection is."""

    frames: tuple[FrameMeta, ...]
    detections: tuple[GroundDetection, ...]
    car_of: dict[tuple[str, tuple[float, ...]], int]


def _meta(name: str, lat: float, lon: float, height: float, yaw: float, pitch: float,
          roll: float, when: str) -> FrameMeta:  # fmt: skip
    return FrameMeta(
        path=f"/street/{name}.JPG", sha256=hashlib.sha256(name.encode()).hexdigest(),
        size_bytes=1, media_type="image/jpeg", width_px=4000, height_px=3000, make="DJI",
        model="FC6310", focal_mm=8.8, focal_35mm=24.0, exif_width_px=4000, captured_at=when,
        gps=GpsFix(lat_deg=lat, lon_deg=lon),
        xmp=DjiXmp(rel_alt_m=height, gimbal_yaw_deg=yaw, gimbal_pitch_deg=pitch,
                   gimbal_roll_deg=roll),
    )  # fmt: skip


def _project(meta: FrameMeta, lat: np.ndarray, lon: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(N, 2) pixels of WGS-84 points ``up`` metres above the street (NaN behind the camera)."""
    g = georeference(meta)
    e, n, u = geodetic_to_enu(lat, lon, up + g.pose.takeoff_h_m, lat0_deg=g.pose.lat_deg,
                              lon0_deg=g.pose.lon_deg, h0_m=g.pose.takeoff_h_m)  # fmt: skip
    cam = (np.stack([e, n, u], axis=1) - g.pose.camera_enu_m) @ g.pose.rotation()
    z = np.where(cam[:, 2] > 0, cam[:, 2], np.nan)
    c = g.camera
    return np.stack([c.fx_px * cam[:, 0] / z + c.cx_px, c.fy_px * cam[:, 1] / z + c.cy_px], 1)


def cars_in_rows(rows_north_m: tuple[float, ...], per_row: int, spacing_m: float) -> np.ndarray:
    """(N, 2) east, north car centres: ``per_row`` cars ``spacing_m`` apart in each row."""
    east = (np.arange(per_row) - (per_row - 1) / 2) * spacing_m
    return np.array([(e, n) for n in rows_north_m for e in east])


def make_street(
    *,
    cars_en_m: np.ndarray,
    height_m: float = 120.0,
    pitches_deg: tuple[float, ...] = (-19.0, -35.0, -50.0, -77.0),
    frames_per_pitch: int = 3,
    jitter_deg: float = 0.2,
    jitter_m: float = 0.3,
    bias_pitch_deg: float = 0.5,
    bias_height_m: float = 3.0,
    bias_gps_m: float = 2.0,
    seed: int = 0,
    flight: str = "DJI",
    day: str = "2026-12-01",
) -> Street:
    """Frames named ``<flight>_0001`` …, captured on ``day`` one second apart."""
    rng = np.random.default_rng(seed)
    corners = np.array([(sx * CAR_M[0] / 2, sy * CAR_M[1] / 2, z)
                        for sx in (-1, 1) for sy in (-1, 1) for z in (0.0, CAR_M[2])])  # fmt: skip
    frames, dets, car_of = [], [], {}
    k = 0
    for pitch in pitches_deg:
        for _ in range(frames_per_pitch):
            k += 1
            name = f"{flight}_{k:04d}"
            when = f"{day}T10:{k // 60:02d}:{k % 60:02d}"
            true = _meta(name, LAT0, LON0, height_m, 0.0, pitch, 0.0, when)
            de, dn = rng.normal(0, jitter_m, 2) + np.array([bias_gps_m, 0.0])
            rlat, rlon, _ = enu_to_geodetic(de, dn, 0.0, lat0_deg=LAT0, lon0_deg=LON0, h0_m=0.0)
            yaw, p, roll = rng.normal(0, jitter_deg, 3) + np.array(
                [0.0, pitch + bias_pitch_deg, 0.0]
            )
            recorded = _meta(name, float(rlat), float(rlon), height_m + bias_height_m,
                             float(yaw), float(p), float(roll), when)  # fmt: skip
            frames.append(recorded)
            for car, (e, n) in enumerate(cars_en_m):
                pts = corners + np.array([e, n, 0.0])
                lat, lon, _ = enu_to_geodetic(pts[:, 0], pts[:, 1], 0.0, lat0_deg=LAT0,
                                              lon0_deg=LON0, h0_m=0.0)  # fmt: skip
                uv = _project(true, np.asarray(lat), np.asarray(lon), pts[:, 2])
                if not np.isfinite(uv).all():
                    continue
                x0, y0 = uv.min(axis=0)
                x1, y1 = uv.max(axis=0)
                if x0 < 0 or y0 < 0 or x1 > 4000 or y1 > 3000 or (x1 - x0) < 8:
                    continue
                box = (float(x0), float(y0), float(x1), float(y1))
                dets.append(GroundDetection(
                    frame_sha256=recorded.sha256, frame_path=recorded.path, model="vehicles",
                    model_sha256="v" * 64, class_name="car", subtype="luancai.heavy_vehicle",
                    conf=0.8, xyxy_px=box, captured_at=when))  # fmt: skip
                car_of[(recorded.sha256, box)] = car
    return Street(tuple(frames), tuple(dets), car_of)


def placed(street: Street) -> tuple[GroundDetection, ...]:
    """The street's detections placed on the ground from the recorded metadata."""
    from pipeline.flight import BatchResult, FlightPlan, PlannedFrame
    from pipeline.run import place_on_ground

    plan = FlightPlan("street", "street", "/street", tuple(PlannedFrame(m) for m in street.frames),
                      ())  # fmt: skip
    return place_on_ground(
        plan, BatchResult(street.detections, {}, (), len(street.frames))
    ).detections


def scores(issue_of: dict[tuple[str, tuple[float, ...]], str], car_of: dict) -> dict[str, float]:
    """``same_frame_shared``: share of cars sharing an issue with another car of their frame;
    ``pairs_linked``: share of (same car, two frames) pairs filed in one issue."""
    by_frame_issue: dict[tuple[str, str], set[int]] = {}
    for (sha, box), code in issue_of.items():
        by_frame_issue.setdefault((sha, code), set()).add(car_of[(sha, box)])
    shared = sum(1 for (sha, box), code in issue_of.items() if len(by_frame_issue[(sha, code)]) > 1)
    by_car: dict[int, list[tuple[str, str]]] = {}
    for (sha, box), code in issue_of.items():
        by_car.setdefault(car_of[(sha, box)], []).append((sha, code))
    pairs = linked = 0
    for seen in by_car.values():
        for i in range(len(seen)):
            for j in range(i + 1, len(seen)):
                if seen[i][0] != seen[j][0]:
                    pairs += 1
                    linked += seen[i][1] == seen[j][1]
    return {
        "detections": len(issue_of),
        "same_frame_shared": shared / max(len(issue_of), 1),
        "pairs": pairs,
        "pairs_linked": linked / max(pairs, 1),
        "issues": len(set(issue_of.values())),
        "cars": len(by_car),
    }
