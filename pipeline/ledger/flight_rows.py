"""Storing a flight's records idempotently: flight, frames, detections.

Every row has a natural key and goes in with ``INSERT … ON CONFLICT DO
NOTHING`` (the SQLite and PostgreSQL dialect constructs), so a second push,
or four at once, adds nothing. Rows are inserted in key order, table by
table, so concurrent PostgreSQL transactions take row locks in one global
order and cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import FromClause, select, update
from sqlalchemy.orm import Session

from pipeline.ingest.names import stored_name
from pipeline.ledger.models import Detection, Flight, Frame, utc_now
from pipeline.ledger.vocab import type_of
from pipeline.records import FrameMeta, GroundDetection

log = logging.getLogger(__name__)

CHUNK = 500  # rows per IN (...) list
LatLonRing = Sequence[tuple[float, float]]
#: Ground one frame looked at: ``(frame sha256, ring)``.
Looked = tuple[str, LatLonRing]
DetectionKey = tuple[
    str, str, str, int, int, int, int
]  # frame sha, model sha, class, quantised box


@dataclass(frozen=True)
class FlightRef:
    """Which flight a push belongs to. ``key`` is its natural key (unique in the ledger)."""

    key: str
    name: str
    source_dir: str | None = None

    @classmethod
    def from_frames(
        cls, frames: Iterable[FrameMeta], *, name: str, source_dir: str | None = None
    ) -> FlightRef:
        """A key made from the frames' sha256s (the same set of photos is the same flight)."""
        import hashlib

        digest = hashlib.sha256("\n".join(sorted(f.sha256 for f in frames)).encode()).hexdigest()
        return cls(key=f"sha256:{digest}", name=name, source_dir=source_dir)


def parse_local_time(text: str | None) -> dt.datetime | None:
    """A camera time (ISO-8601, no zone) as a naive datetime; ``None`` when absent or unreadable."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        log.warning("unreadable capture time %r: stored as unknown", text)
        return None
    return value.replace(tzinfo=None)


def quantise_box(xyxy_px: Sequence[float], quantum_px: float) -> tuple[int, int, int, int]:
    """The box rounded to ``quantum_px`` steps (half up), as integers: the detection's key part."""
    q = [math.floor(v / quantum_px + 0.5) for v in xyxy_px]
    return q[0], q[1], q[2], q[3]


def detection_key(det: GroundDetection, quantum_px: float) -> DetectionKey:
    return (
        det.frame_sha256,
        det.model_sha256,
        det.class_name,
        *quantise_box(det.xyxy_px, quantum_px),
    )


def dialect_insert(session: Session) -> Any:
    """The ``insert`` construct of the session's dialect (it has ``on_conflict_*``)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise NotImplementedError(f"the ledger supports sqlite and postgresql, not {dialect}")


def insert_ignore(
    session: Session, table: FromClause, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` for SQLite and PostgreSQL."""
    if not rows:
        return
    insert = dialect_insert(session)
    session.execute(insert(table).on_conflict_do_nothing(index_elements=list(keys)), list(rows))


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def store_flight_row(*, session: Session, flight: FlightRef, frames: Sequence[FrameMeta]) -> int:
    """Insert the flight if new; return its id."""
    times = sorted(t for t in (parse_local_time(f.captured_at) for f in frames) if t is not None)
    source_dir, source_dir_bytes = (
        (None, None) if flight.source_dir is None else stored_name(flight.source_dir)
    )
    row = {
        "key": flight.key,
        "name": flight.name,
        "source_dir": source_dir,
        "source_dir_bytes": source_dir_bytes,
        "started_at": times[0] if times else None,
        "ended_at": times[-1] if times else None,
        "created_at_utc": utc_now(),
    }
    insert_ignore(session, Flight.__table__, [row], ["key"])
    return session.scalars(select(Flight.id).where(Flight.key == flight.key)).one()


def _absolute(path: str) -> str:
    """``path`` made absolute (from the working folder), so the photo opens from anywhere."""
    return os.path.abspath(path) if path else path


def _frame_row(meta: FrameMeta, flight_id: int, footprint: LatLonRing | None) -> dict[str, Any]:
    xmp, gps = meta.xmp, meta.gps
    path, path_bytes = stored_name(_absolute(meta.path))
    return {
        "sha256": meta.sha256,
        "flight_id": flight_id,
        "path": path,
        "path_bytes": path_bytes,
        "captured_at": parse_local_time(meta.captured_at),
        "lat_deg": gps.lat_deg if gps else None,
        "lon_deg": gps.lon_deg if gps else None,
        "rel_alt_m": xmp.rel_alt_m if xmp else None,
        "gimbal_yaw_deg": xmp.gimbal_yaw_deg if xmp else None,
        "gimbal_pitch_deg": xmp.gimbal_pitch_deg if xmp else None,
        "width_px": meta.width_px,
        "height_px": meta.height_px,
        "camera_model": meta.model,
        "footprint": [list(p) for p in footprint] if footprint else None,
    }


def store_frames(
    *,
    session: Session,
    flight_id: int,
    frames: Sequence[FrameMeta],
    detections: Sequence[GroundDetection],
    footprints: Mapping[str, LatLonRing] | None = None,
) -> dict[str, int]:
    """Insert new frames (and bare rows for frames only the detections name); ``sha256 → id``."""
    footprints = footprints or {}
    rows = {m.sha256: _frame_row(m, flight_id, footprints.get(m.sha256)) for m in frames}
    for det in detections:
        path, path_bytes = stored_name(_absolute(det.frame_path))
        rows.setdefault(
            det.frame_sha256,
            {
                "sha256": det.frame_sha256,
                "flight_id": flight_id,
                "path": path,
                "path_bytes": path_bytes,
                "captured_at": parse_local_time(det.captured_at),
            },
        )
    shas = sorted(rows)
    columns = set().union(*(r.keys() for r in rows.values())) if rows else set()
    insert_ignore(
        session, Frame.__table__, [dict.fromkeys(columns) | rows[s] for s in shas], ["sha256"]
    )
    ids: dict[str, int] = {}
    for chunk in _chunks(shas):
        query = select(Frame.sha256, Frame.id).where(Frame.sha256.in_(chunk))
        ids.update((sha, frame_id) for sha, frame_id in session.execute(query))
        _repair_relative_paths(session, {sha: rows[sha] for sha in chunk})
    return ids


def _repair_relative_paths(session: Session, rows: Mapping[str, dict[str, Any]]) -> None:
    """Give frames stored with a relative path (before paths were absolute: relative to
    the folder that run started in) the absolute path this push knows."""
    stale = select(Frame.sha256).where(Frame.sha256.in_(rows), ~Frame.path.startswith("/"))
    for sha in session.scalars(stale).all():
        row = rows[sha]
        if not row["path"].startswith("/"):
            continue
        session.execute(update(Frame).where(Frame.sha256 == sha)
                        .values(path=row["path"], path_bytes=row["path_bytes"]))  # fmt: skip


def _finite(value: float | None) -> float | None:
    """``None`` for a missing or non-finite number (NaN from a failed georeference)."""
    return float(value) if value is not None and math.isfinite(value) else None


def _detection_row(
    det: GroundDetection, frame_id: int, quantum_px: float, hold: str | None
) -> dict[str, Any]:
    q = quantise_box(det.xyxy_px, quantum_px)
    x0, y0, x1, y1 = (float(v) for v in det.xyxy_px)
    return {
        "frame_id": frame_id,
        "model": det.model,
        "model_sha256": det.model_sha256,
        "class_name": det.class_name,
        "subtype": det.subtype,
        "type": type_of(det.subtype),
        "conf": float(det.conf),
        "x0_px": x0,
        "y0_px": y0,
        "x1_px": x1,
        "y1_px": y1,
        "qx0": q[0],
        "qy0": q[1],
        "qx1": q[2],
        "qy1": q[3],
        "lat_deg": _finite(det.lat_deg),
        "lon_deg": _finite(det.lon_deg),
        "footprint": [list(p) for p in det.footprint] if det.footprint else None,
        "area_m2": _finite(det.area_m2),
        "captured_at": parse_local_time(det.captured_at),
        "sigma_m": _finite(det.sigma_m),
        "sigma_rel_m": _finite(det.sigma_rel_m),
        "sigma_bias_m": _finite(det.sigma_bias_m),
        "range_m": _finite(det.range_m),
        "depression_deg": _finite(det.depression_deg),
        "hold_reason": hold,
    }


def store_detections(
    *,
    session: Session,
    frame_ids: Mapping[str, int],
    detections: Sequence[GroundDetection],
    quantum_px: float,
    hold: Callable[[GroundDetection], str | None] | None = None,
) -> list[int]:
    """Insert new detections in key order; return the ids of all the given ones, in key order.

    ``hold(det)`` gives the reason a detection opens no candidate (stored with it), or None.
    """
    by_key = {detection_key(d, quantum_px): d for d in detections}
    keys = sorted(by_key)
    rows = [
        _detection_row(by_key[k], frame_ids[k[0]], quantum_px, hold(by_key[k]) if hold else None)
        for k in keys
    ]
    insert_ignore(session, Detection.__table__, rows, _DETECTION_KEY_COLUMNS)
    wanted = {(frame_ids[k[0]], *k[1:]): k for k in keys}
    found: dict[DetectionKey, int] = {}
    fids = sorted({frame_ids[k[0]] for k in keys})
    columns = [getattr(Detection, c) for c in _DETECTION_KEY_COLUMNS]
    for chunk in _chunks(fids):
        for det_id, *key in session.execute(
            select(Detection.id, *columns).where(Detection.frame_id.in_(chunk))
        ):
            if tuple(key) in wanted:
                found[wanted[tuple(key)]] = det_id
    return [found[k] for k in keys]


_DETECTION_KEY_COLUMNS = ("frame_id", "model_sha256", "class_name", "qx0", "qy0", "qx1", "qy1")
