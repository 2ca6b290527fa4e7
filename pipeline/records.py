"""Frozen records passed between stages: what a frame's metadata says.

Units are in the names: ``_deg`` degrees, ``_m`` metres, ``_px`` pixels,
``_mm`` millimetres. Fields a file does not carry are ``None``, never invented.
Latitude/longitude are WGS-84 decimal degrees.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GpsFix:
    """Position from the EXIF GPS IFD, WGS-84.

    ``alt_m`` is EXIF GPSAltitude with its ref applied (negative below sea
    level); on many DJI models it is poor or 0, so geometry uses the XMP
    RelativeAltitude instead.
    """

    lat_deg: float
    lon_deg: float
    alt_m: float | None = None
    lat_ref: str | None = None
    lon_ref: str | None = None
    alt_ref: int | None = None


@dataclass(frozen=True)
class DjiXmp:
    """The ``drone-dji:`` XMP fields hehu uses. Angles in degrees.

    Gimbal angles are absolute: yaw from true north clockwise, pitch -90 is
    straight down. ``calibrated_focal_px`` and the optical centre are pixels
    at the sensor's full native resolution, not the file's. ``image_source``
    names the lens on multi-sensor payloads (``WideCamera``, ``ZoomCamera``,
    ``InfraredCamera`` …). Laser rangefinder: ``lrf_status`` as written
    (``Normal`` when valid), ``lrf_target_alt_m`` the target's height above take-off,
    ``lrf_target_abs_alt_m`` above the AbsoluteAltitude datum.
    """

    rel_alt_m: float | None = None
    abs_alt_m: float | None = None
    gimbal_yaw_deg: float | None = None
    gimbal_pitch_deg: float | None = None
    gimbal_roll_deg: float | None = None
    flight_yaw_deg: float | None = None
    flight_pitch_deg: float | None = None
    flight_roll_deg: float | None = None
    calibrated_focal_px: float | None = None
    optical_center_x_px: float | None = None
    optical_center_y_px: float | None = None
    rtk_flag: int | None = None
    rtk_std_lon_m: float | None = None
    rtk_std_lat_m: float | None = None
    rtk_std_hgt_m: float | None = None
    lrf_target_lat_deg: float | None = None
    lrf_target_lon_deg: float | None = None
    lrf_target_abs_alt_m: float | None = None
    lrf_target_distance_m: float | None = None
    image_source: str | None = None
    lrf_status: str | None = None
    lrf_target_alt_m: float | None = None


@dataclass(frozen=True)
class VideoRef:
    """Where a frame sampled from a video comes from (:mod:`pipeline.video`).

    ``path`` is the video, ``time_s`` the frame's time in it (seconds from its start),
    ``log`` the SRT flight log its position came from. ``pose`` says which parts of the
    pose are a configured default rather than the log's (empty when all are the log's),
    e.g. ``("pitch: default -90°", "yaw: course over ground")``.
    """

    path: str
    time_s: float
    log: str
    pose: tuple[str, ...] = ()


@dataclass(frozen=True)
class FrameMeta:
    """Everything read from one image file, before any geometry.

    ``width_px``/``height_px`` are the stored pixel size (before EXIF
    orientation is applied); ``orientation`` is the EXIF Orientation tag (1-8).
    ``captured_at`` is DateTimeOriginal as ISO-8601 local camera time with no
    zone (cameras do not record one); ``gps_time_utc`` is the GPS date/time
    stamp, in UTC, where present. ``video`` is set on a frame sampled from a video:
    ``path`` is then the still written from it.
    """

    path: str
    sha256: str
    size_bytes: int
    media_type: str
    width_px: int
    height_px: int
    orientation: int | None = None
    captured_at: str | None = None
    subsec: str | None = None
    gps_time_utc: str | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    focal_mm: float | None = None
    focal_35mm: float | None = None
    focal_plane_x_res: float | None = None
    focal_plane_res_unit: int | None = None
    exif_width_px: int | None = None
    gps: GpsFix | None = None
    xmp: DjiXmp | None = None
    video: VideoRef | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (nested records become dicts)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Quarantined:
    """A file set aside, with the reason a person can act on."""

    path: str
    reason: str
    sha256: str | None = None
    size_bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"quarantined": True, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class GroundDetection:
    """One detection of one model in one frame, placed on the ground.

    ``xyxy_px`` is in the frame's stored pixels. ``subtype`` is the 四乱
    taxonomy subtype id the model class maps to (``configs/taxonomy.yaml``),
    or ``None`` for a context-only class. ``footprint`` is the box outline on
    the ground as ``((lat, lon), …)``, closed; ``area_m2`` its area.
    ``lat_deg``/``lon_deg`` are ``None`` when the frame could not be
    georeferenced (the detection is still kept).

    The position's uncertainty (:mod:`pipeline.geo.uncertainty`, 1σ metres):
    ``sigma_m`` in all, ``sigma_rel_m`` against another frame of the same
    flight, ``sigma_bias_m`` the part the flight's shared biases add (terrain
    height, attitude offset); ``range_m`` from the
    camera and ``depression_deg`` below the horizon of the box centre's ray.
    """

    frame_sha256: str
    frame_path: str
    model: str
    model_sha256: str
    class_name: str
    subtype: str | None
    conf: float
    xyxy_px: tuple[float, float, float, float]
    lat_deg: float | None = None
    lon_deg: float | None = None
    footprint: tuple[tuple[float, float], ...] | None = None
    area_m2: float | None = None
    captured_at: str | None = None
    sigma_m: float | None = None
    sigma_rel_m: float | None = None
    sigma_bias_m: float | None = None
    range_m: float | None = None
    depression_deg: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
