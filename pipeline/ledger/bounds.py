"""Strings from files, bounded to the ledger's columns before they are stored.

A camera's EXIF ``Model``, a model card's name, a detector's class names, a
taxonomy subtype, a folder name: any of them can be longer than its column,
and PostgreSQL refuses the whole push (``value too long for type character
varying(64)``) where SQLite would have stored it. :func:`push_bounded` cuts
each such string to its column's length before the push computes any key, so
the keys it looks rows up by are the stored ones.

A cut value ends in :data:`MARK` and a short digest of the whole value, so two
long values that share a prefix stay distinct, and the same value always gives
the same cut (a second push of a flight finds its rows). NUL characters, which
PostgreSQL refuses in any text, are removed. Values under ``Text`` columns
(paths, the source folder) are kept whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pipeline.ledger.flight_rows import FlightRef, Looked
from pipeline.ledger.models import Detection, Flight, Frame
from pipeline.records import FrameMeta, GroundDetection

MARK = "…"
DIGEST_CHARS = 8


def fit(value: str | None, limit: int | None) -> str | None:
    """``value`` without NULs, cut to ``limit`` characters (``…`` and a digest) when longer."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    if limit is None or len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_CHARS]
    return value[: limit - len(MARK) - DIGEST_CHARS] + MARK + digest


def _limit(column: Any) -> int | None:
    """The length of a ``String(n)`` column attribute; ``None`` for ``Text``."""
    return getattr(column.type, "length", None)


def bounded_frame(meta: FrameMeta) -> FrameMeta:
    return replace(
        meta,
        path=fit(meta.path, _limit(Frame.path)) or "",
        model=fit(meta.model, _limit(Frame.camera_model)),
    )


def bounded_detection(det: GroundDetection) -> GroundDetection:
    return replace(
        det,
        frame_path=fit(det.frame_path, _limit(Frame.path)) or "",
        model=fit(det.model, _limit(Detection.model)) or "",
        model_sha256=fit(det.model_sha256, _limit(Detection.model_sha256)) or "",
        class_name=fit(det.class_name, _limit(Detection.class_name)) or "",
        subtype=fit(det.subtype, _limit(Detection.subtype)),
    )


def push_bounded(
    flight: FlightRef,
    frames: Sequence[FrameMeta],
    detections: Sequence[GroundDetection],
    model_frames: Mapping[str, Collection[str]] | None,
    model_looks: Mapping[str, Sequence[Looked]] | None = None,
) -> tuple[
    FlightRef,
    list[FrameMeta],
    list[GroundDetection],
    dict[str, Collection[str]] | None,
    dict[str, Sequence[Looked]] | None,
]:
    """A push's inputs with every string bounded to its column (see the module docstring)."""
    flight = replace(
        flight,
        key=fit(flight.key, _limit(Flight.key)) or "",
        name=fit(flight.name, _limit(Flight.name)) or "",
        source_dir=fit(flight.source_dir, _limit(Flight.source_dir)),
    )
    model = _limit(Detection.model)
    ran = (
        None if model_frames is None else {fit(k, model) or "": v for k, v in model_frames.items()}
    )
    looks = (
        None if model_looks is None else {fit(k, model) or "": v for k, v in model_looks.items()}
    )
    return (
        flight,
        [bounded_frame(f) for f in frames],
        [bounded_detection(d) for d in detections],
        ran,
        looks,
    )
