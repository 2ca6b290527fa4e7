"""Which band a frame was taken in: visible light or thermal infrared.

Multi-sensor payloads (M30T, Mavic 3T, H20T/H30T, XT2) write wide, zoom and
thermal frames into one folder, and a thermal frame must never reach a model
trained on visible light. The band is decided from the first of:

1. the DJI XMP ``ImageSource`` (``InfraredCamera`` is thermal; ``WideCamera``,
   ``ZoomCamera``, ``VisibleCamera``, ``NormalCamera`` … are visible);
2. DJI's file naming (``DJI_…_T.JPG`` thermal, ``_W``/``_Z``/``_V`` visible) when
   the frame has a thermal sensor's pixel size;
3. the camera model: thermal-only cameras (Zenmuse XT/XT2 thermal, FLIR) and a
   thermal sensor's pixel size on a DJI thermal payload.

Anything else is visible, the band of every ordinary drone camera.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from pipeline.records import FrameMeta

Band = Literal["visible", "thermal"]
BANDS: tuple[Band, ...] = ("visible", "thermal")

#: Pixel sizes of the thermal cores on drones (either orientation).
THERMAL_SIZES_PX = {(640, 512), (1280, 1024), (336, 256), (640, 480), (160, 120), (320, 256)}
#: Camera model strings of payloads that carry a thermal core beside visible lenses.
THERMAL_PAYLOADS = re.compile(r"(?i)(M30T|M3T|M3TD|M4T|H20T|H30T|XT2|MAVIC ?3 ?T|M2EA|ZH20T|ZH30T)")
#: Camera model strings that are thermal and nothing else.
THERMAL_ONLY = re.compile(r"(?i)^(XT|ZENMUSE ?XT|FLIR.*|VUE.*|BOSON.*|TAU.*)$")
_SUFFIX = re.compile(r"(?i)_([TWZVS])$")
_VISIBLE_SOURCES = ("wide", "zoom", "visible", "normal", "rgb")


@dataclass(frozen=True)
class FrameBand:
    """A frame's band and what decided it (shown when a model skips the frame)."""

    band: Band
    why: str


def frame_band(meta: FrameMeta) -> FrameBand:
    """The band of one frame, with the evidence that decided it."""
    source = meta.xmp.image_source if meta.xmp is not None else None
    if source:
        low = source.lower()
        if "infrared" in low or "thermal" in low or low in ("ir", "t"):
            return FrameBand("thermal", f"XMP ImageSource={source}")
        if any(v in low for v in _VISIBLE_SOURCES):
            return FrameBand("visible", f"XMP ImageSource={source}")
    size = (max(meta.width_px, meta.height_px), min(meta.width_px, meta.height_px))
    thermal_size = size in THERMAL_SIZES_PX
    model = (meta.model or "").strip()
    suffix = _SUFFIX.search(PurePath(meta.path).stem)
    if suffix and thermal_size and suffix.group(1).upper() == "T":
        return FrameBand(
            "thermal", f"file name {PurePath(meta.path).name} (_T) at {size[0]}×{size[1]}"
        )
    if model and THERMAL_ONLY.match(model):
        return FrameBand("thermal", f"camera {model} is thermal")
    if thermal_size and model and THERMAL_PAYLOADS.search(model):
        return FrameBand("thermal", f"{size[0]}×{size[1]} frame of thermal payload {model}")
    return FrameBand("visible", "no thermal marker")
