"""Placements that must not open a candidate: level frames, grazing rays, absurd areas.

A detection is always stored (it is evidence of what the model saw), but
:func:`hold_reason` names why it opens no candidate and joins no issue; the
code is kept on the detection row (``detection.hold_reason``), counted in
the push and run summaries and listed by ``hehu ledger held``. Thresholds
are :class:`pipeline.ledger.config.LedgerConfig` fields.
"""

from __future__ import annotations

import math
from collections.abc import Container, Hashable, Sequence
from types import MappingProxyType

from pipeline.ledger.config import LedgerConfig
from pipeline.records import GroundDetection

#: Hold codes with their Chinese and English explanations.
HOLD_REASONS = MappingProxyType(
    {
        "level_frame": ("画面水平或朝上，无法可靠定位", "frame looks level or upward"),
        "near_horizon": ("视线接近地平线，定位误差过大", "ray within a few degrees of the horizon"),
        "too_far": ("距相机过远，超出可信距离", "farther from the camera than the range limit"),
        "implausible_area": ("地面面积与类别不符", "ground area implausible for its class"),
        "single_view": (
            "重叠航片中仅一张检出，其余覆盖该处的航片均未复现",
            "seen in one frame although other overlapping frames covered it",
        ),
    }
)


def hold_reason(
    det: GroundDetection, frame_pitch_deg: float | None, cfg: LedgerConfig
) -> str | None:
    """Why ``det`` opens no candidate (a :data:`HOLD_REASONS` code), or ``None`` when it may."""
    if det.lat_deg is None or det.lon_deg is None:
        return None
    if frame_pitch_deg is not None and frame_pitch_deg > cfg.level_pitch_deg:
        return "level_frame"
    if det.depression_deg is not None and det.depression_deg < cfg.min_depression_deg:
        return "near_horizon"
    if det.range_m is not None and det.range_m > cfg.max_range_m:
        return "too_far"
    limits = cfg.area_range(det.subtype)
    area = det.area_m2
    if (
        limits
        and area is not None
        and math.isfinite(area)
        and not (limits.min_m2 <= area <= limits.max_m2)
    ):
        return "implausible_area"
    return None


def covering_frames(
    lat_deg: float,
    lon_deg: float,
    footprints: Sequence[tuple[Hashable, Sequence[Sequence[float]]]],
    *,
    exclude: Container[Hashable] = (),
) -> int:
    """How many frames of ``footprints`` (``(frame key, ((lat, lon), …))``, a frame may
    have several rings) contain the point, not counting the frames in ``exclude``.
    Longitudes are taken relative to the point's, so a footprint across the antimeridian
    stays one small ring."""
    from pipeline.geo.polygon import contains_lonlat

    return len({
        key
        for key, ring in footprints
        if key not in exclude
        and contains_lonlat([[(lon, lat) for lat, lon in ring]], lon_deg, lat_deg)
    })  # fmt: skip


def hold_text(code: str | None, lang: str = "zh") -> str:
    """A hold code explained (``""`` for none; the code itself when unknown)."""
    if not code:
        return ""
    zh, en = HOLD_REASONS.get(code, (code, code))
    return zh if lang == "zh" else en
