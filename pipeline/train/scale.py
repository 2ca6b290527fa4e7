"""Estimate each source's ground resolution from the objects in its frames.

Training frames often carry no geotag (video exports, mosaics), so their
ground sample distance is unknown. Objects of known size give it: the median
car is ≈ 4.5 m long, so a source whose median car box is 90 px long is at
≈ 5 cm/px. The long side of an axis-aligned box is used; for a car at 45° it
is ≈ (L + W)/√2 ≈ L, so the estimate holds for any heading, to ≈ ±15 %.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.errors import BadInputError


@dataclass(frozen=True)
class SourceScale:
    """One source's ground resolution and how it was found.

    ``gsd_cm_per_px`` is ``None`` at native scale (no estimate wanted).
    ``method``: ``"objects"`` (median box length of reference classes),
    ``"given"`` (recipe override, e.g. from the frame's geotag) or ``"native"``.
    """

    source: str
    gsd_cm_per_px: float | None
    method: str
    n_objects: int = 0
    median_px_per_m: float | None = None


def estimate_scales(
    records: Sequence,
    *,
    reference_len_m: Mapping[str, float],
    given_cm_per_px: Mapping[str, float] | None = None,
) -> dict[str, SourceScale]:
    """Ground resolution per source.

    ``reference_len_m``: class name -> typical object length in metres (e.g.
    ``{"car": 4.5}``); empty means native scale for every source.
    ``given_cm_per_px``: per-source values that override the estimate.
    Raises :class:`BadInputError` for a source with no reference object and
    no given value.
    """
    given = dict(given_cm_per_px or {})
    lengths: dict[str, list[float]] = defaultdict(list)
    all_sources = sorted({r.source for r in records})
    for r in records:
        for box, cls in zip(r.xyxy_px, r.class_ids, strict=True):
            name = r.class_names[int(cls)]
            if name in reference_len_m:
                long_px = float(max(box[2] - box[0], box[3] - box[1]))
                lengths[r.source].append(long_px / reference_len_m[name])  # px per metre
    out = {}
    for source in all_sources:
        per_m = lengths.get(source, [])
        px_per_m = float(np.median(per_m)) if per_m else None
        if source in given:
            out[source] = SourceScale(source, float(given[source]), "given", len(per_m), px_per_m)
        elif not reference_len_m:
            out[source] = SourceScale(source, None, "native")
        elif px_per_m:
            out[source] = SourceScale(source, 100.0 / px_per_m, "objects", len(per_m), px_per_m)
        else:
            raise BadInputError(
                f"source {source!r} has no {sorted(reference_len_m)} boxes to estimate its ground "
                f"resolution from: give it in the recipe (source_gsd_cm_per_px: {{{source}: ...}})"
            )
    return out


def resize_factor(scale: SourceScale, target_gsd_cm_per_px: float | None) -> float:
    """How much to resize a source's frames so they match the target resolution.

    ``> 1`` enlarges. Native scale (either side ``None``) is 1.
    """
    if target_gsd_cm_per_px is None or scale.gsd_cm_per_px is None:
        return 1.0
    return scale.gsd_cm_per_px / target_gsd_cm_per_px
