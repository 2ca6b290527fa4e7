"""What a case dossier holds, read from the ledger once: the issue, its sightings with their
pictures and hashes, its zone, its audit history.

:func:`read_dossier` reads the ledger (inside the caller's session), :func:`with_pictures`
then makes each sighting's pictures from the originals (:mod:`pipeline.dossier.pictures`),
with no database session held while images are decoded; :func:`gather` does both. A
missing or changed original is found before any page is laid out, and every file the
dossier shows is listed with its sha256 (:attr:`Dossier.files`). The PDF's sections only
draw the frozen :class:`Dossier`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.dossier.pictures import NOT_MADE, Pictures, RecordedCrop, sighting_pictures
from pipeline.ledger.evidence import evidence_files
from pipeline.ledger.gis import Ring, lonlat_ring
from pipeline.ledger.models import AuditLog, Detection, Evidence, Flight, Frame, Issue
from pipeline.ledger.queries import IssueView, issue_detail
from pipeline.ledger.rechecks import RecheckView, rechecks_of


@dataclass(frozen=True)
class Sighting:
    """One detection filed as evidence of the issue, with its frame and pictures."""

    number: int
    detection_id: int
    flight: str
    frame_name: str
    frame_sha256: str
    frame_open_path: str
    kind: str
    class_name: str
    subtype: str | None
    conf: float
    captured_at: dt.datetime | None
    lat: float | None
    lon: float | None
    distance_m: float | None
    outline: Ring | None
    footprint: Ring | None
    xyxy_px: tuple[float, float, float, float]
    recorded_crop: RecordedCrop | None = None
    pictures: Pictures = NOT_MADE


@dataclass(frozen=True)
class HashedFile:
    """A file the dossier shows or packs, with its sha256 and whether it was checked."""

    role: str  # 原始照片 / 证据截图 / …
    name: str
    sha256: str
    verified: bool
    path: str | None = None  # the original's path (opens it), for the zip


@dataclass(frozen=True)
class RecheckPicture:
    """A recorded recheck (复查) and its before/after picture: ``picture`` the JPEG bytes
    while the file still holds the sha256 recorded, else None and ``problem`` says why."""

    view: RecheckView
    picture: bytes | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Dossier:
    issue: IssueView
    sightings: tuple[Sighting, ...]
    history: tuple[AuditLog, ...]
    zone_rings: tuple[Ring, ...]
    subtype_labels: dict[str, str]
    made_at: dt.datetime
    tz: dt.tzinfo
    files: tuple[HashedFile, ...] = field(default=())
    rechecks: tuple[RecheckPicture, ...] = field(default=())


def zone_rings(zones: dict[str, Any] | None, zone_id: str | None) -> tuple[Ring, ...]:
    """The outer rings of zone ``zone_id`` in a zones FeatureCollection
    (:func:`pipeline.review.layers.load_zones_geojson`); none when either is missing."""
    if not zones or not zone_id:
        return ()
    return tuple(
        tuple((float(x), float(y)) for x, y, *_ in polygon[0])
        for feature in zones.get("features", ())
        if feature.get("properties", {}).get("zone_id") == zone_id
        for polygon in feature["geometry"]["coordinates"]
    )


def _rows(session: Session, code: str) -> list[tuple[Any, ...]]:
    query = (
        select(Detection, Frame, Flight.name, Evidence.kind, Evidence.distance_m)
        .join(Evidence, Evidence.detection_id == Detection.id)
        .join(Issue, Issue.id == Evidence.issue_id)
        .join(Frame, Frame.id == Detection.frame_id)
        .join(Flight, Flight.id == Evidence.flight_id)
        .where(Issue.code == code)
        .order_by(Frame.captured_at, Frame.id, Detection.id)
    )
    return [tuple(r) for r in session.execute(query)]


def _sighting(number: int, row: tuple[Any, ...], recorded: Any) -> Sighting:
    det, frame, flight, kind, distance = row
    return Sighting(
        number=number, detection_id=det.id, flight=flight, frame_name=frame.file_name,
        frame_sha256=frame.sha256, frame_open_path=frame.open_path, kind=kind,
        class_name=det.class_name, subtype=det.subtype, conf=det.conf,
        captured_at=det.captured_at or frame.captured_at, lat=det.lat_deg, lon=det.lon_deg,
        distance_m=distance, outline=lonlat_ring(det.footprint),
        footprint=lonlat_ring(frame.footprint),
        xyxy_px=(det.x0_px, det.y0_px, det.x1_px, det.y1_px),
        recorded_crop=None if recorded is None else RecordedCrop(
            recorded.path, recorded.sha256, recorded.watermark),
    )  # fmt: skip


def hashed_files(sightings: Sequence[Sighting]) -> tuple[HashedFile, ...]:
    """Every original frame (once) and every crop the dossier shows, with their sha256."""
    files: list[HashedFile] = []
    seen: set[str] = set()
    for s in sightings:
        if s.frame_sha256 not in seen:
            seen.add(s.frame_sha256)
            files.append(HashedFile("原始照片", s.frame_name, s.frame_sha256,
                                    s.pictures.original_ok, s.frame_open_path))  # fmt: skip
        if s.pictures.crop is not None:
            digest = hashlib.sha256(s.pictures.crop).hexdigest()
            files.append(HashedFile(f"证据截图 #{s.number}", s.pictures.crop_name, digest, True))
    return tuple(files)


def read_dossier(
    *,
    session: Session,
    code: str,
    zones: dict[str, Any] | None = None,
    subtype_labels: dict[str, str] | None = None,
    tz: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None,
) -> Dossier:
    """The dossier of issue ``code`` as the ledger holds it, pictures not yet made
    (:class:`~pipeline.ledger.errors.IssueNotFoundError` when there is none). ``zones``: the
    zones FeatureCollection whose ``zone_id`` the issue names; ``tz``: the office's time
    zone, for the audit history."""
    detail = issue_detail(session=session, code=code)
    rows = _rows(session, code)
    issue_id = session.scalar(select(Issue.id).where(Issue.code == code))
    recorded = {
        f.detection_id: f
        for f in evidence_files(session=session, detection_ids=[r[0].id for r in rows])
        if f.kind == "crop"
    }
    return Dossier(
        issue=detail.issue,
        sightings=tuple(_sighting(n, row, recorded.get(row[0].id))
                        for n, row in enumerate(rows, start=1)),
        history=detail.history,
        zone_rings=zone_rings(zones, detail.issue.zone_id),
        subtype_labels=dict(subtype_labels or {}),
        made_at=now or dt.datetime.now(dt.UTC),
        tz=tz,
        rechecks=tuple(RecheckPicture(v) for v in rechecks_of(session=session, issue_id=issue_id)),
    )  # fmt: skip


def with_pictures(dossier: Dossier) -> Dossier:
    """``dossier`` with each sighting's crop and thumbnail made, each recheck's before/after
    picture read (checked against its recorded sha256), and every file hashed."""
    code = dossier.issue.code
    sightings = [replace(s, pictures=sighting_pictures(s, code)) for s in dossier.sightings]
    rechecks = tuple(_recheck_picture(r.view) for r in dossier.rechecks)
    files = hashed_files(sightings) + tuple(
        HashedFile(f"复查对比图（{r.view.flight}）", Path(r.view.evidence_path or "").name,
                   r.view.evidence_sha256 or "", True)
        for r in rechecks if r.picture is not None
    )  # fmt: skip
    return replace(dossier, sightings=tuple(sightings), files=files, rechecks=rechecks)


def _recheck_picture(view: RecheckView) -> RecheckPicture:
    path = Path(view.evidence_path) if view.evidence_path else None
    if path is None or not path.is_file():
        return RecheckPicture(view, None, "对比图文件不存在")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != view.evidence_sha256:
        return RecheckPicture(view, None, "对比图文件与台账记录的 sha256 不符")
    return RecheckPicture(view, data)


def gather(*, session: Session, code: str, **options: Any) -> Dossier:
    """:func:`read_dossier` then :func:`with_pictures`, in one session."""
    return with_pictures(read_dossier(session=session, code=code, **options))


def original_paths(dossier: Dossier) -> list[tuple[str, Path, str]]:
    """``(archive name, path, sha256)`` of each verified original frame, for the zip."""
    return [
        (
            f"originals/{f.sha256[:12]}_{re.sub(r'[^0-9A-Za-z_.-]', '_', f.name)}",
            Path(f.path),
            f.sha256,
        )
        for f in dossier.files
        if f.path is not None and f.verified
    ]
