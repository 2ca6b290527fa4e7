"""Everything the candidate page shows about one issue, read in one place.

:func:`candidate_detail` gathers the ledger row (:func:`pipeline.ledger.queries.issue_detail`),
every sighting with its detection and frame ids (for crops and frame views),
evidence files recorded for those detections (the crop seam), closure
attachments, recorded recheck (复查) verdicts, the before/after pictures of a new change
(新增变化, evidence files of kind ``change``), and the map's features as GeoJSON
(``[lon, lat]``, WGS-84): the issue point, each detection's ground outline and each
frame's footprint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.evidence import evidence_files
from pipeline.ledger.models import AuditLog, Detection, Evidence, Flight, Frame, Issue
from pipeline.ledger.queries import IssueView, issue_detail
from pipeline.ledger.rechecks import RecheckView, rechecks_of
from pipeline.review.layers import ring_lonlat
from pipeline.review.models import Attachment
from pipeline.video.ref import VideoSource, time_code, video_of_frame


@dataclass(frozen=True)
class Sighting:
    """One detection filed as evidence of the issue, with its frame."""

    detection_id: int
    frame_id: int
    frame_name: str
    frame_sha256: str
    flight: str
    kind: str
    class_name: str
    subtype: str | None
    type: str | None
    conf: float
    xyxy_px: tuple[float, float, float, float]
    captured_at: dt.datetime | None
    crop_file_id: int | None
    distance_m: float | None = None  # how far from its issue it joined (None: it opened it)
    gate_m: float | None = None  # the gate it was within
    sigma_m: float | None = None  # its position's 1σ
    frame_size_px: tuple[int, int] | None = None  # the original's (width, height), when known
    video: VideoSource | None = None  # the video a frame sampled from one comes from

    @property
    def video_code(self) -> str | None:
        """The frame's time in its video, ``00:01:23.456``."""
        return time_code(self.video.time_s) if self.video is not None else None


@dataclass(frozen=True)
class CandidateDetail:
    issue: IssueView
    sightings: tuple[Sighting, ...]
    history: tuple[AuditLog, ...]
    attachments: tuple[Attachment, ...]
    geojson: dict[str, Any]
    rechecks: tuple[RecheckView, ...] = ()  # recorded recheck verdicts, latest first
    #: ids of the before/after pictures of a new change (新增变化), oldest first
    change_pictures: tuple[int, ...] = ()


def _feature(kind: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"kind": kind, **props}}


def _features(view: IssueView, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    features = []
    frames_done: set[int] = set()
    for det, frame, *_ in rows:
        if frame.id not in frames_done and (ring := ring_lonlat(frame.footprint)):
            frames_done.add(frame.id)
            name = frame.file_name
            features.append(
                _feature("frame", {"type": "Polygon", "coordinates": [ring]}, name=name)
            )
        if ring := ring_lonlat(det.footprint):
            features.append(
                _feature("detection", {"type": "Polygon", "coordinates": [ring]}, conf=det.conf)
            )
        elif det.lat_deg is not None and det.lon_deg is not None:
            point = {"type": "Point", "coordinates": [det.lon_deg, det.lat_deg]}
            features.append(_feature("detection", point, conf=det.conf))
    point = {"type": "Point", "coordinates": [view.lon, view.lat]}
    features.append(_feature("issue", point, code=view.code, type=view.type))
    return {"type": "FeatureCollection", "features": features}


def candidate_detail(*, session: Session, code: str) -> CandidateDetail:
    """The issue ``code`` with its sightings, history, attachments and map features."""
    detail = issue_detail(session=session, code=code)
    query = (
        select(Detection, Frame, Flight.name, Evidence.kind, Evidence.distance_m, Evidence.gate_m)
        .join(Evidence, Evidence.detection_id == Detection.id)
        .join(Issue, Issue.id == Evidence.issue_id)
        .join(Frame, Frame.id == Detection.frame_id)
        .join(Flight, Flight.id == Evidence.flight_id)
        .where(Issue.code == code)
    )
    query = query.order_by(Detection.conf.desc(), Detection.id)
    rows = [tuple(r) for r in session.execute(query)]
    files = evidence_files(session=session, detection_ids=[d.id for d, *_ in rows])
    crops = {f.detection_id: f.id for f in files if f.kind == "crop"}
    sightings = tuple(
        Sighting(
            detection_id=det.id,
            frame_id=frame.id,
            frame_name=frame.file_name,
            frame_sha256=frame.sha256,
            flight=flight,
            kind=kind,
            class_name=det.class_name,
            subtype=det.subtype,
            type=det.type,
            conf=det.conf,
            xyxy_px=(det.x0_px, det.y0_px, det.x1_px, det.y1_px),
            captured_at=det.captured_at or frame.captured_at,
            crop_file_id=crops.get(det.id),
            distance_m=distance,
            gate_m=gate,
            sigma_m=det.sigma_m,
            frame_size_px=(frame.width_px, frame.height_px)
            if frame.width_px and frame.height_px
            else None,
            video=video_of_frame(frame.open_path),
        )
        for det, frame, flight, kind, distance, gate in rows
    )
    attachments = tuple(
        session.scalars(
            select(Attachment)
            .join(Issue, Issue.id == Attachment.issue_id)
            .where(Issue.code == code)
            .order_by(Attachment.id)
        )
    )
    issue_id = session.scalar(select(Issue.id).where(Issue.code == code))
    rechecks = tuple(rechecks_of(session=session, issue_id=issue_id)) if issue_id else ()
    return CandidateDetail(detail.issue, sightings, detail.history, attachments,
                           _features(detail.issue, rows), rechecks,
                           tuple(f.id for f in files if f.kind == "change"))  # fmt: skip
