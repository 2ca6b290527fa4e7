"""Evidence files: the seam for watermarked crops and site photos (before/after).

Whoever cuts a crop from a frame (time and place watermarked) records it here
with the sha256 of the crop and of the original frame, so a reviewer can
prove which untouched photo a crop came from. Idempotent by (file sha256,
detection).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.flight_rows import insert_ignore
from pipeline.ledger.models import EvidenceFile, utc_now

KINDS = ("crop", "photo", "after", "change")  # change: a 新增变化's before/after picture


def add_evidence_file(
    *,
    session: Session,
    detection_id: int,
    kind: str,
    path: str,
    sha256: str,
    source_sha256: str,
    watermark: str | None = None,
) -> EvidenceFile:
    """Record a file made from a detection (once; a second call returns the first record)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    row = {
        "detection_id": detection_id,
        "kind": kind,
        "path": path,
        "sha256": sha256,
        "source_sha256": source_sha256,
        "watermark": watermark,
        "created_at_utc": utc_now(),
    }
    insert_ignore(session, EvidenceFile.__table__, [row], ["sha256", "detection_id"])
    query = select(EvidenceFile).where(
        EvidenceFile.sha256 == sha256, EvidenceFile.detection_id == detection_id
    )
    return session.scalars(query).one()


def evidence_files(*, session: Session, detection_ids: list[int]) -> list[EvidenceFile]:
    """The files recorded for these detections, oldest first."""
    query = (
        select(EvidenceFile)
        .where(EvidenceFile.detection_id.in_(detection_ids))
        .order_by(EvidenceFile.id)
    )
    return list(session.scalars(query))
