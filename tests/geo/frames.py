"""FrameMeta records built in code for the geometry tests (no image files)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipeline.records import DjiXmp, FrameMeta, GpsFix

#: A Phantom 3 Advanced frame as in ../shared/data/brighton_beach (DJI_0018.JPG).
BRIGHTON = FrameMeta(
    path="DJI_0018.JPG",
    sha256="0" * 64,
    size_bytes=1,
    media_type="image/jpeg",
    width_px=4000,
    height_px=2250,
    make="DJI",
    model="FC300S",
    focal_mm=3.61,
    focal_35mm=20.0,
    exif_width_px=4000,
    gps=GpsFix(lat_deg=46.8426071, lon_deg=-91.9945599, alt_m=198.3),
    xmp=DjiXmp(
        rel_alt_m=39.8,
        abs_alt_m=198.31,
        gimbal_yaw_deg=45.0,
        gimbal_pitch_deg=-89.9,
        gimbal_roll_deg=0.0,
        flight_yaw_deg=46.0,
    ),
)


def make_meta(
    *,
    width_px: int = 4000,
    height_px: int = 3000,
    model: str | None = None,
    focal_mm: float | None = None,
    focal_35mm: float | None = None,
    focal_plane_x_res: float | None = None,
    focal_plane_res_unit: int | None = None,
    exif_width_px: int | None = None,
    lat_deg: float = 30.0,
    lon_deg: float = 114.0,
    gps: bool = True,
    **xmp: Any,
) -> FrameMeta:
    """A frame over Wuhan by default; ``xmp`` keywords are DjiXmp fields.

    Without XMP keywords the camera hovers 100 m up looking straight down, heading
    north. Pass ``xmp=None`` for a frame without an XMP packet.
    """
    if "xmp" in xmp and xmp["xmp"] is None:
        packet = None
    else:
        fields: dict[str, Any] = {"rel_alt_m": 100.0, "gimbal_pitch_deg": -90.0,
                                  "gimbal_yaw_deg": 0.0, "gimbal_roll_deg": 0.0}  # fmt: skip
        fields.update(xmp)
        packet = DjiXmp(**fields)
    return FrameMeta(
        path="synthetic.jpg",
        sha256="0" * 64,
        size_bytes=1,
        media_type="image/jpeg",
        width_px=width_px,
        height_px=height_px,
        make="DJI",
        model=model,
        focal_mm=focal_mm,
        focal_35mm=focal_35mm,
        focal_plane_x_res=focal_plane_x_res,
        focal_plane_res_unit=focal_plane_res_unit,
        exif_width_px=exif_width_px,
        gps=GpsFix(lat_deg=lat_deg, lon_deg=lon_deg) if gps else None,
        xmp=packet,
    )


def resized(meta: FrameMeta, width_px: int) -> FrameMeta:
    """The same frame stored at another width (EXIF/XMP copied unchanged)."""
    scale = width_px / meta.width_px
    return dataclasses.replace(meta, width_px=width_px, height_px=round(meta.height_px * scale))


#: One frame description per intrinsics source (``make_meta`` keywords), from
#: the first source in priority order to the last. The calibrated principal
#: point is off-centre on purpose: resizing must keep its offset.
INTRINSICS_SOURCES = {
    "xmp-calibrated": {"model": "FC300S", "calibrated_focal_px": 2900.0,
                       "optical_center_x_px": 2010.0, "optical_center_y_px": 1490.0},
    "xmp-unknown-model": {"calibrated_focal_px": 2900.0, "optical_center_x_px": 2010.0,
                          "optical_center_y_px": 1490.0},
    "sensor-table": {"model": "FC300S", "focal_mm": 3.61},
    "focal-plane-resolution": {"focal_mm": 3.61, "focal_plane_x_res": 4000 / 6.17,
                               "focal_plane_res_unit": 4, "exif_width_px": 4000},
    "35mm-equivalent": {"focal_35mm": 20.0},
}  # fmt: skip
