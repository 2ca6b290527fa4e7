"""The ledger's tables (SQLAlchemy 2 typed ORM). The schema is made by Alembic.

Natural keys make pushes idempotent: ``flight.key``, ``frame.sha256``, and for
a detection (frame, model sha256, class, box rounded to ``box_quantum_px``).
Positions are WGS-84 degrees; polygons are JSON lists of ``[lat, lon]``.
Camera times (``captured_at``, ``discovered_at``) are the camera's local time
with no zone, as DJI records them; ``*_utc`` columns are UTC.

``audit_log`` is append-only: triggers made by the migration reject UPDATE and
DELETE (and TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pipeline.ingest.names import display_path, opened_name
from pipeline.ledger.vocab import (
    ISSUE_TYPE_LABELS,
    RECHECK_VERDICT_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got naive {value!r}")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Flight(Base):
    """One pushed flight (a folder of frames).

    ``source_dir`` is the folder's path as display text; ``source_dir_bytes`` its exact
    bytes, only when that text is not the path itself (see :mod:`pipeline.ingest.names`).
    """

    __tablename__ = "flight"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    source_dir: Mapped[str | None] = mapped_column(Text)
    source_dir_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)


class Frame(Base):
    """One photo, by the sha256 of its bytes (the same photo under two names is one frame).

    ``path`` is the file's path as display text (printable, valid UTF-8); ``path_bytes``
    its exact bytes, only when that text is not the path itself (a name that is not
    UTF-8 or holds control characters). Open the file through :attr:`open_path`.
    """

    __tablename__ = "frame"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flight.id"), index=True)
    path: Mapped[str] = mapped_column(Text)
    path_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)
    captured_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lat_deg: Mapped[float | None] = mapped_column(Double)
    lon_deg: Mapped[float | None] = mapped_column(Double)
    rel_alt_m: Mapped[float | None] = mapped_column(Double)
    gimbal_yaw_deg: Mapped[float | None] = mapped_column(Double)
    gimbal_pitch_deg: Mapped[float | None] = mapped_column(Double)
    width_px: Mapped[int | None] = mapped_column(Integer)
    height_px: Mapped[int | None] = mapped_column(Integer)
    camera_model: Mapped[str | None] = mapped_column(String(64))
    footprint: Mapped[list[list[float]] | None] = mapped_column(JSON)

    flight: Mapped[Flight] = relationship()

    @property
    def open_path(self) -> str:
        """The path that opens this frame's original file (its exact bytes)."""
        return opened_name(self.path, self.path_bytes)

    @property
    def file_name(self) -> str:
        """The file's name (no folders) as display text; ``\\`` also separates folders
        in a plain path (one recorded on Windows), not in one kept as bytes, where a
        backslash is part of an escape (``\\xba``)."""
        if self.path_bytes is None:
            return self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return display_path(os.path.basename(self.open_path))


class Detection(Base):
    """One box of one model in one frame, with its place on the ground."""

    __tablename__ = "detection"
    __table_args__ = (
        UniqueConstraint("frame_id", "model_sha256", "class_name", "qx0", "qy0", "qx1", "qy1"),
        CheckConstraint("conf >= 0 AND conf <= 1", name="conf_range"),
        CheckConstraint(f"type IS NULL OR {_in('type', TYPE_LABELS)}", name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("frame.id"))
    model: Mapped[str] = mapped_column(String(128))
    model_sha256: Mapped[str] = mapped_column(String(64))
    class_name: Mapped[str] = mapped_column(String(128))
    subtype: Mapped[str | None] = mapped_column(String(128))
    type: Mapped[str | None] = mapped_column(String(16))
    conf: Mapped[float] = mapped_column(Double)
    x0_px: Mapped[float] = mapped_column(Double)
    y0_px: Mapped[float] = mapped_column(Double)
    x1_px: Mapped[float] = mapped_column(Double)
    y1_px: Mapped[float] = mapped_column(Double)
    qx0: Mapped[int] = mapped_column(Integer)
    qy0: Mapped[int] = mapped_column(Integer)
    qx1: Mapped[int] = mapped_column(Integer)
    qy1: Mapped[int] = mapped_column(Integer)
    lat_deg: Mapped[float | None] = mapped_column(Double)
    lon_deg: Mapped[float | None] = mapped_column(Double)
    footprint: Mapped[list[list[float]] | None] = mapped_column(JSON)
    area_m2: Mapped[float | None] = mapped_column(Double)
    captured_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sigma_m: Mapped[float | None] = mapped_column(Double)
    sigma_rel_m: Mapped[float | None] = mapped_column(Double)
    sigma_bias_m: Mapped[float | None] = mapped_column(Double)
    range_m: Mapped[float | None] = mapped_column(Double)
    depression_deg: Mapped[float | None] = mapped_column(Double)
    hold_reason: Mapped[str | None] = mapped_column(String(32))

    frame: Mapped[Frame] = relationship()


class Issue(Base):
    """A ledger row: one (candidate) problem, one real object on the ground."""

    __tablename__ = "issue"
    __table_args__ = (
        CheckConstraint(_in("type", ISSUE_TYPE_LABELS), name="type"),
        CheckConstraint(_in("status", STATUS_LABELS), name="status"),
        CheckConstraint(f"severity IS NULL OR {_in('severity', SEVERITY_LABELS)}", name="severity"),
        Index(None, "type", "lat_deg", "lon_deg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    river_name: Mapped[str | None] = mapped_column(String(128))
    river_code: Mapped[str | None] = mapped_column(String(64))
    reach: Mapped[str | None] = mapped_column(String(128))
    river_chief: Mapped[str | None] = mapped_column(String(128))
    division_code: Mapped[str] = mapped_column(String(12))
    zone_id: Mapped[str | None] = mapped_column(String(128))
    in_zone: Mapped[bool]
    lat_deg: Mapped[float] = mapped_column(Double)
    lon_deg: Mapped[float] = mapped_column(Double)
    area_m2: Mapped[float | None] = mapped_column(Double)
    sigma_m: Mapped[float | None] = mapped_column(Double)
    severity: Mapped[str | None] = mapped_column(String(16))
    discovered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    discovery_method: Mapped[str] = mapped_column(String(32))
    first_flight_id: Mapped[int | None] = mapped_column(ForeignKey("flight.id"))
    responsible_unit: Mapped[str | None] = mapped_column(String(255))
    responsible_person: Mapped[str | None] = mapped_column(String(128))
    rectification_measures: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    progress: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    #: The next check: 挂账 (carried over)'s next look, or a closed issue's 回头看 (follow-up).
    next_check_on: Mapped[dt.date | None] = mapped_column(Date)
    rebound: Mapped[bool] = mapped_column(default=False)
    rebound_count: Mapped[int] = mapped_column(default=0)
    #: The issue this one was merged into (status ``merged``); ``NULL`` otherwise.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"))
    created_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Evidence(Base):
    """A detection filed as evidence of an issue; a detection backs at most one issue."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    detection_id: Mapped[int] = mapped_column(ForeignKey("detection.id"), unique=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flight.id"))
    kind: Mapped[str] = mapped_column(String(16))  # first / recurrence / rebound / split / merged
    # how far from its issue it joined, after its frame's correction, and within what gate
    distance_m: Mapped[float | None] = mapped_column(Double)
    gate_m: Mapped[float | None] = mapped_column(Double)
    added_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)

    detection: Mapped[Detection] = relationship()


class EvidenceFile(Base):
    """A file made from a detection (watermarked crop, site photo); the seam for evidence crops.

    ``source_sha256`` is the sha256 of the original frame the file was cut
    from, ``sha256`` that of the file itself.
    """

    __tablename__ = "evidence_file"
    __table_args__ = (UniqueConstraint("sha256", "detection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    detection_id: Mapped[int] = mapped_column(ForeignKey("detection.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # crop / photo / after
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source_sha256: Mapped[str] = mapped_column(String(64))
    watermark: Mapped[str | None] = mapped_column(Text)
    created_at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)


class CodeSequence(Base):
    """The last sequence number used for issue codes, per division and year."""

    __tablename__ = "code_sequence"

    division_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class AuditLog(Base):
    """Who changed what, when: one row per changed field. Append-only (database triggers)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(128))
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class Recheck(Base):
    """A recheck (复查) verdict: what a later flight shows where an issue's evidence was.

    One row per (issue, new flight); ``verdict`` is a code of
    :data:`~pipeline.ledger.vocab.RECHECK_VERDICT_LABELS`, ``reason`` says what it rests
    on (why it cannot tell). Residuals are the registration's, ``meets_rule`` whether
    they are under the 2 px between dates that interpretation rules ask.
    ``evidence_path`` is the watermarked before/after picture, ``evidence_sha256`` its
    bytes'; the frames by sha256. Written by :mod:`pipeline.ledger.rechecks`, audited.
    """

    __tablename__ = "recheck"
    __table_args__ = (
        UniqueConstraint("issue_id", "flight_id"),
        CheckConstraint(_in("verdict", RECHECK_VERDICT_LABELS), name="verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flight.id"))
    at_utc: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(128))
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    earlier_frame_sha256: Mapped[str | None] = mapped_column(String(64))
    new_frame_sha256: Mapped[str | None] = mapped_column(String(64))
    residual_px: Mapped[float | None] = mapped_column(Double)
    residual_m: Mapped[float | None] = mapped_column(Double)
    meets_rule: Mapped[bool | None]
    zncc: Mapped[float | None] = mapped_column(Double)
    detector_conf: Mapped[float | None] = mapped_column(Double)
    coverage: Mapped[float | None] = mapped_column(Double)
    evidence_path: Mapped[str | None] = mapped_column(Text)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
