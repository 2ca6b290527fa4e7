"""The read side: ledger rows as plain records for the CLI, exports and the web.

:class:`IssueView` is one ledger row with its evidence summarised (frames,
flights, photo paths); :func:`issue_detail` adds each piece of evidence and
the audit history. Positions are WGS-84; GCJ-02 is computed only for display
links (:func:`amap_link`), never stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.ingest.names import opened_name
from pipeline.ledger.audit import history
from pipeline.ledger.models import (
    AuditLog,
    Detection,
    Evidence,
    EvidenceFile,
    Flight,
    Frame,
    Issue,
)
from pipeline.ledger.vocab import ISSUE_TYPE_LABELS, SEVERITY_LABELS, STATUS_LABELS
from pipeline.ledger.workflow import get_issue


@dataclass(frozen=True)
class IssueView:
    """One ledger row. ``frames``/``flights`` count distinct evidence frames and flights."""

    code: str
    type: str
    subtype: str | None
    status: str
    severity: str | None
    lat: float
    lon: float
    area_m2: float | None
    in_zone: bool
    zone_id: str | None
    river_name: str | None
    river_code: str | None
    reach: str | None
    river_chief: str | None
    division_code: str
    description: str | None
    discovered_at: dt.datetime | None
    discovery_method: str
    last_seen_at: dt.datetime | None
    responsible_unit: str | None
    responsible_person: str | None
    rectification_measures: str | None
    deadline: dt.date | None
    progress: str | None
    closed_on: dt.date | None
    rebound: bool
    rebound_count: int
    version: int
    frames: int
    flights: int
    photos: tuple[str, ...]
    merged_into: str | None = None  # code of the issue this one was merged into (已合并)
    next_check_on: dt.date | None = None  # 挂账's next look or a closed issue's 回头看
    #: ``photos`` as links that open the files (``file://`` with the exact bytes of a name
    #: that is not UTF-8, percent-encoded); not in :meth:`to_json`
    photo_uris: tuple[str, ...] = ()

    @property
    def type_label(self) -> str:
        return ISSUE_TYPE_LABELS.get(self.type, self.type)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def severity_label(self) -> str | None:
        return SEVERITY_LABELS.get(self.severity) if self.severity else None

    @property
    def overdue(self) -> bool:
        """逾期 today: dispatched, not reported rectified, past its 整改时限."""
        from pipeline.ledger.deadlines import is_overdue

        return is_overdue(self.status, self.deadline, dt.date.today())

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO-8601 strings, labels beside codes."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, (dt.date, dt.datetime)):
                out[key] = value.isoformat()
        out["photos"] = list(self.photos)
        del out["photo_uris"]
        out |= {
            "type_label": self.type_label,
            "status_label": self.status_label,
            "severity_label": self.severity_label,
            "overdue": self.overdue,
        }
        return out


@dataclass(frozen=True)
class EvidenceView:
    """One detection filed as evidence, with the frame and flight it came from."""

    kind: str
    flight: str
    frame_path: str
    frame_sha256: str
    class_name: str
    model: str
    conf: float
    xyxy_px: tuple[float, float, float, float]
    lat: float | None
    lon: float | None
    area_m2: float | None
    captured_at: dt.datetime | None
    detection_id: int | None = None
    distance_m: float | None = None  # how far from its issue it joined (None: it opened it)
    gate_m: float | None = None  # the gate it was within
    sigma_m: float | None = None  # its position's 1σ


@dataclass(frozen=True)
class IssueDetail:
    issue: IssueView
    evidence: tuple[EvidenceView, ...]
    history: tuple[AuditLog, ...]


def amap_link(lat_deg: float, lon_deg: float, name: str) -> str:
    """An Amap marker link (GCJ-02, computed here)."""
    from pipeline.geo.coords import amap_marker_url

    return amap_marker_url(lat_deg, lon_deg, name)


def _evidence_summary(
    session: Session, issue_ids: Sequence[int]
) -> dict[int, tuple[int, int, Any, tuple[str, ...], tuple[str, ...]]]:
    query = (
        select(
            Evidence.issue_id,
            Evidence.flight_id,
            Frame.id,
            Frame.path,
            Frame.path_bytes,
            Detection.captured_at,
            Frame.captured_at,
        )
        .join(Detection, Evidence.detection_id == Detection.id)
        .join(Frame, Detection.frame_id == Frame.id)
        .where(Evidence.issue_id.in_(issue_ids))
    )
    frames: dict[int, dict[int, tuple[str, bytes | None]]] = defaultdict(dict)
    flights: dict[int, set[int]] = defaultdict(set)
    seen: dict[int, list[dt.datetime]] = defaultdict(list)
    for issue_id, flight_id, frame_id, path, raw, det_time, frame_time in session.execute(query):
        frames[issue_id][frame_id] = (path, raw)
        flights[issue_id].add(flight_id)
        when = det_time or frame_time
        if when is not None:
            seen[issue_id].append(when)
    photos = {i: sorted(frames[i].values(), key=lambda pair: pair[0]) for i in issue_ids}
    return {
        i: (
            len(frames[i]),
            len(flights[i]),
            max(seen[i], default=None),
            tuple(text for text, _ in photos[i]),
            tuple(photo_uri(opened_name(text, raw)) for text, raw in photos[i]),
        )
        for i in issue_ids
    }


def photo_uri(path: str) -> str:
    """A ``file://`` link that opens ``path`` (its bytes percent-encoded); a relative
    path as it is."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else path


def _merged_into(session: Session, issues: Sequence[Issue]) -> dict[int, str]:
    """Issue id → code of the issue it was merged into, for the merged ones among ``issues``."""
    targets = {i.merged_into_id for i in issues if i.merged_into_id is not None}
    if not targets:
        return {}
    codes = dict(session.execute(select(Issue.id, Issue.code).where(Issue.id.in_(targets))).all())
    return {i.id: codes[i.merged_into_id] for i in issues if i.merged_into_id in codes}


def _view(
    issue: Issue,
    summary: tuple[int, int, Any, tuple[str, ...], tuple[str, ...]],
    merged_into: str | None = None,
) -> IssueView:
    frames, flights, last_seen, photos, photo_uris = summary
    return IssueView(
        code=issue.code,
        type=issue.type,
        subtype=issue.subtype,
        status=issue.status,
        severity=issue.severity,
        lat=issue.lat_deg,
        lon=issue.lon_deg,
        area_m2=issue.area_m2,
        in_zone=issue.in_zone,
        zone_id=issue.zone_id,
        river_name=issue.river_name,
        river_code=issue.river_code,
        reach=issue.reach,
        river_chief=issue.river_chief,
        division_code=issue.division_code,
        description=issue.description,
        discovered_at=issue.discovered_at,
        discovery_method=issue.discovery_method,
        last_seen_at=last_seen,
        responsible_unit=issue.responsible_unit,
        responsible_person=issue.responsible_person,
        rectification_measures=issue.rectification_measures,
        deadline=issue.deadline,
        progress=issue.progress,
        closed_on=issue.closed_on,
        rebound=issue.rebound,
        rebound_count=issue.rebound_count,
        version=issue.version,
        frames=frames,
        flights=flights,
        photos=photos,
        merged_into=merged_into,
        next_check_on=issue.next_check_on,
        photo_uris=photo_uris,
    )


def list_issues(
    *,
    session: Session,
    status: str | None = None,
    since: dt.date | None = None,
    codes: Collection[str] | None = None,
) -> list[IssueView]:
    """Ledger rows by code; ``status``: only that status; ``since``: discovered on or after
    it; ``codes``: only those issues (looked up by code, not by reading the whole ledger)."""
    query = select(Issue).order_by(Issue.code)
    if status is not None:
        query = query.where(Issue.status == status)
    if since is not None:
        query = query.where(Issue.discovered_at >= dt.datetime.combine(since, dt.time()))
    if codes is None:
        issues = list(session.scalars(query))
    else:
        wanted = sorted(set(codes))
        issues = [
            issue
            for i in range(0, len(wanted), 500)
            for issue in session.scalars(query.where(Issue.code.in_(wanted[i : i + 500])))
        ]
        issues.sort(key=lambda issue: issue.code)
    summary: dict[int, Any] = {}
    for i in range(0, len(issues), 500):
        summary |= _evidence_summary(session, [x.id for x in issues[i : i + 500]])
    merged = _merged_into(session, issues)
    return [_view(x, summary[x.id], merged.get(x.id)) for x in issues]


def issue_detail(*, session: Session, code: str) -> IssueDetail:
    """One issue with every piece of evidence and its audit history."""
    issue = get_issue(session=session, code=code)
    query = (
        select(Evidence.kind, Evidence.distance_m, Evidence.gate_m, Flight.name, Frame, Detection)
        .join(Detection, Evidence.detection_id == Detection.id)
        .join(Frame, Detection.frame_id == Frame.id)
        .join(Flight, Evidence.flight_id == Flight.id)
        .where(Evidence.issue_id == issue.id)
        .order_by(Frame.captured_at, Frame.sha256, Detection.id)
    )
    evidence = tuple(
        EvidenceView(
            kind=kind,
            flight=flight,
            frame_path=frame.path,
            frame_sha256=frame.sha256,
            class_name=det.class_name,
            model=det.model,
            conf=det.conf,
            xyxy_px=(det.x0_px, det.y0_px, det.x1_px, det.y1_px),
            lat=det.lat_deg,
            lon=det.lon_deg,
            area_m2=det.area_m2,
            captured_at=det.captured_at or frame.captured_at,
            detection_id=det.id,
            distance_m=distance,
            gate_m=gate,
            sigma_m=det.sigma_m,
        )
        for kind, distance, gate, flight, frame, det in session.execute(query)
    )
    merged = _merged_into(session, [issue]).get(issue.id)
    view = _view(issue, _evidence_summary(session, [issue.id])[issue.id], merged)
    return IssueDetail(
        view, evidence, tuple(history(session=session, entity="issue", entity_key=code))
    )


def count_rows(*, session: Session) -> dict[str, int]:
    """Rows per table (for logs and tests)."""
    tables = {
        "flight": Flight,
        "frame": Frame,
        "detection": Detection,
        "issue": Issue,
        "evidence": Evidence,
        "audit_log": AuditLog,
    }
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in tables.items()
    }


def crop_paths(*, session: Session, codes: Collection[str]) -> dict[str, str]:
    """``{issue code: path}`` of each issue's evidence crop (the latest written, if several)."""
    query = (select(Issue.code, EvidenceFile.path)
             .join(Evidence, Evidence.issue_id == Issue.id)
             .join(EvidenceFile, EvidenceFile.detection_id == Evidence.detection_id)
             .where(Issue.code.in_(codes), EvidenceFile.kind == "crop")
             .order_by(EvidenceFile.id))  # fmt: skip
    return {code: path for code, path in session.execute(query)}


def flight_issues(*, session: Session, flight_key: str) -> tuple[list[IssueView], dict[str, str]]:
    """The candidates holding sightings of a flight, whichever run filed them, and how each
    relates to it: ``new`` (this flight opened it), ``rebound`` (it reopened a closed one)
    or ``recurring`` (an earlier flight opened it)."""
    flight_id = session.scalar(select(Flight.id).where(Flight.key == flight_key))
    if flight_id is None:
        return [], {}
    query = (select(Issue.code, Issue.first_flight_id, Evidence.kind)
             .join(Evidence, Evidence.issue_id == Issue.id)
             .where(Evidence.flight_id == flight_id))  # fmt: skip
    relations: dict[str, str] = {}
    for code, first_flight, kind in session.execute(query):
        if first_flight == flight_id:
            relations[code] = "new"
        elif kind == "rebound" or relations.get(code) == "rebound":
            relations[code] = "rebound"
        else:
            relations[code] = "recurring"
    return list_issues(session=session, codes=relations), relations
