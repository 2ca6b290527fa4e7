"""New changes (新增变化) filed as candidates: one issue of type ``change`` per changed region.

:func:`file_changes` files a flight's changed regions (:mod:`pipeline.change.new_changes`)
in one transaction under the assignment lock
(:func:`pipeline.ledger.assign.take_assignment_lock`): each becomes

- a detection of the region's box in the new frame (model :data:`CHANGE_MODEL`, class
  ``change``, no 四乱 type: pushes never file it, :mod:`pipeline.ledger.assign`), with
  confidence 0: no detector vouches for it, so in the review queue it sorts after the
  detectors' candidates and a confidence filter leaves it out (the type filter 新增变化
  lists them);
- its evidence file, kind ``change``: the watermarked before/after picture and its sha256;
- a candidate (待审核) issue of type ``change`` with the region's area in m² and its zone's
  river, reach and division, subtype empty until a reviewer confirms it as a 四乱 subtype;
- an audit-log entry naming the flight, both frames, the residual and the picture's sha256.

Filing is idempotent: a region already filed (its detection's natural key: frame, model,
class, quantised box) files nothing. A region whose centre lies within its own radius
(area as a disc) plus the issue's 1σ of an open issue's position is that issue's business
and is not filed. Everything of a flight commits together or not at all.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import BadInputError
from pipeline.geo.coords import degrees_around, haversine_m
from pipeline.ledger.assign import allocate_code, lon_window, take_assignment_lock
from pipeline.ledger.audit import record
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.db import ledger_may_be_away
from pipeline.ledger.evidence import add_evidence_file
from pipeline.ledger.flight_rows import quantise_box
from pipeline.ledger.models import Detection, Evidence, Flight, Frame, Issue, utc_now
from pipeline.ledger.vocab import CHANGE_TYPE, DISCOVERY_CHANGE, OPEN_STATUSES
from pipeline.ledger.zones import Zone, find_zone, zone_fields

#: The "model" of a change detection: the comparison of two flights, not a detector.
CHANGE_MODEL = "change-detection"
CHANGE_MODEL_SHA256 = hashlib.sha256(b"hehu change detection between flights").hexdigest()
CHANGE_CLASS = "change"


@dataclass(frozen=True)
class ChangeRecord:
    """One changed region as the ledger files it. ``xyxy_px`` is its box in the new frame."""

    new_frame_sha256: str
    earlier_frame_sha256: str
    xyxy_px: tuple[float, float, float, float]
    area_m2: float | None
    lat_deg: float
    lon_deg: float
    residual_px: float | None
    picture_path: str
    picture_sha256: str


@dataclass(frozen=True)
class FiledChanges:
    """What filing a flight's changes did: new codes, regions already filed, and the codes
    of the open issues that regions fell on (not filed), each sorted."""

    flight_key: str
    filed: tuple[str, ...]
    already: int
    overlapping: tuple[str, ...]


def overlapping_issue(session: Session, change: ChangeRecord) -> Issue | None:
    """The nearest open issue whose position lies within the region (see the module doc)."""
    radius_m = math.sqrt((change.area_m2 or 0.0) / math.pi)
    reach_m = radius_m + 50.0  # the search window; each issue's own σ decides below
    dlat, dlon = degrees_around(change.lat_deg, reach_m)
    query = select(Issue).where(
        Issue.status.in_(OPEN_STATUSES),
        Issue.lat_deg.between(change.lat_deg - dlat, change.lat_deg + dlat),
        lon_window(Issue.lon_deg, [change.lon_deg], dlon),
    )
    near = []
    for issue in session.scalars(query.order_by(Issue.id)):
        d = haversine_m(change.lat_deg, change.lon_deg, issue.lat_deg, issue.lon_deg)
        if d <= radius_m + (issue.sigma_m or 0.0):
            near.append((d, issue.id, issue))
    return min(near, key=lambda n: n[:2])[2] if near else None


def _filed_before(session: Session, frame: Frame, q: tuple[int, int, int, int]) -> bool:
    """Whether the region's detection (its natural key) is in the ledger already."""
    seen = select(Detection.id).where(
        Detection.frame_id == frame.id, Detection.model_sha256 == CHANGE_MODEL_SHA256,
        Detection.class_name == CHANGE_CLASS, Detection.qx0 == q[0], Detection.qy0 == q[1],
        Detection.qx1 == q[2], Detection.qy1 == q[3],
    )  # fmt: skip
    return session.scalar(seen) is not None


def _detection(session: Session, frame: Frame, change: ChangeRecord,
               q: tuple[int, int, int, int]) -> Detection:  # fmt: skip
    x0, y0, x1, y1 = change.xyxy_px
    det = Detection(frame_id=frame.id, model=CHANGE_MODEL, model_sha256=CHANGE_MODEL_SHA256,
                    class_name=CHANGE_CLASS, subtype=None, type=None, conf=0.0, x0_px=x0,
                    y0_px=y0, x1_px=x1, y1_px=y1, qx0=q[0], qy0=q[1], qx1=q[2], qy1=q[3],
                    lat_deg=change.lat_deg, lon_deg=change.lon_deg, area_m2=change.area_m2,
                    captured_at=frame.captured_at)  # fmt: skip
    session.add(det)
    session.flush()
    return det


def _new_issue(session: Session, flight: Flight, frame: Frame, change: ChangeRecord,
               zone: Zone | None, cfg: LedgerConfig) -> Issue:  # fmt: skip
    fields = zone_fields(zone, cfg.default_division_code)
    seen = frame.captured_at
    code = allocate_code(session=session, division_code=fields["division_code"],
                         year=seen.year if seen else utc_now().year)  # fmt: skip
    area = "?" if change.area_m2 is None else f"{change.area_m2:.0f}"
    issue = Issue(
        code=code, type=CHANGE_TYPE, subtype=None,
        description=f"{DISCOVERY_CHANGE}发现新增变化，面积约{area}平方米（待确认为四乱子类或误报）",
        **fields, lat_deg=change.lat_deg, lon_deg=change.lon_deg, area_m2=change.area_m2,
        discovered_at=seen, discovery_method=DISCOVERY_CHANGE, first_flight_id=flight.id,
        status="candidate", rebound=False, rebound_count=0,
    )  # fmt: skip
    session.add(issue)
    session.flush()
    return issue


def _note(flight: Flight, change: ChangeRecord) -> str:
    parts = [f"新增变化 flight {flight.name}",
             f"frame {change.new_frame_sha256[:12]} vs {change.earlier_frame_sha256[:12]}",
             None if change.area_m2 is None else f"area {change.area_m2:.0f} m²",
             None if change.residual_px is None else f"residual {change.residual_px:.2f} px",
             f"before/after sha256 {change.picture_sha256}"]  # fmt: skip
    return "; ".join(p for p in parts if p)


def _file_one(session: Session, flight: Flight, change: ChangeRecord, zones: Sequence[Zone],
              cfg: LedgerConfig, actor: str) -> tuple[str, str | None]:  # fmt: skip
    """``("filed", code)``, ``("already", None)`` or ``("overlap", code of the open issue)``."""
    frame = session.scalars(select(Frame).where(Frame.sha256 == change.new_frame_sha256)).first()
    if frame is None:
        raise BadInputError(f"frame {change.new_frame_sha256[:12]} is not in the ledger: push "
                            "the flight's frames before filing its changes")  # fmt: skip
    q = quantise_box(change.xyxy_px, cfg.box_quantum_px)
    if _filed_before(session, frame, q):
        return "already", None
    other = overlapping_issue(session, change)
    if other is not None:
        return "overlap", other.code
    det_id = _detection(session, frame, change, q).id
    issue = _new_issue(session, flight, frame, change,
                       find_zone(zones, change.lat_deg, change.lon_deg), cfg)  # fmt: skip
    session.add(Evidence(issue_id=issue.id, detection_id=det_id, flight_id=flight.id,
                         kind="first"))  # fmt: skip
    add_evidence_file(session=session, detection_id=det_id, kind="change",
                      path=change.picture_path, sha256=change.picture_sha256,
                      source_sha256=change.new_frame_sha256)  # fmt: skip
    record(session=session, actor=actor, entity="issue", entity_key=issue.code, field="status",
           old=None, new="candidate", note=_note(flight, change))  # fmt: skip
    return "filed", issue.code


def file_changes(
    *,
    session_factory: sessionmaker[Session],
    flight_key: str,
    changes: Sequence[ChangeRecord],
    zones: Sequence[Zone],
    cfg: LedgerConfig,
    actor: str = "hehu",
) -> FiledChanges:
    """File a flight's changes atomically (see the module doc); the flight must be pushed."""
    filed: list[str] = []
    overlapping: set[str] = set()
    already = 0
    with ledger_may_be_away(), session_factory.begin() as session:
        take_assignment_lock(session)
        flight = session.scalars(select(Flight).where(Flight.key == flight_key)).one_or_none()
        if flight is None:
            raise BadInputError(f"no flight with key {flight_key!r} in the ledger: push it first")
        for change in sorted(changes, key=lambda c: (c.new_frame_sha256, c.xyxy_px)):
            outcome, code = _file_one(session, flight, change, zones, cfg, actor)
            if outcome == "filed":
                filed.append(code or "")
            elif outcome == "overlap":
                overlapping.add(code or "")
            else:
                already += 1
    return FiledChanges(flight_key, tuple(sorted(filed)), already, tuple(sorted(overlapping)))
