"""A reviewer merges two issues that are one real object, audited.

Association can still leave one object in two candidates: a pile seen from
two flights whose georeferencing disagreed by more than the gate, or from a
steep oblique frame and a nadir one. :func:`merge_issues` moves every
sighting of the absorbed issue to the kept one (``kind = merged``, with its
distance from the kept issue's position), sets the absorbed issue to
已合并 (``merged``) with ``merged_into_id`` pointing at the kept one, and
refines the kept issue's position from all its sightings. Both issues get
audit entries naming the other. Later pushes never file against a merged
issue; its code stays in the ledger so that nothing a reviewer once saw
disappears.

The absorbed issue must not have been handed over yet (待审核 or 已确认), and
the kept one must be one a sighting could join (open, or 误报: merging a
duplicate into a rejected issue rejects it too). Both must be of one 四乱
type. Two checks guard against a slip rather than a judgement, and
``force`` overrides them: the two are farther apart than ``merge_max_m``
(a mistyped code), or one photo shows both as separate boxes (two objects).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.geo.coords import degrees_around, haversine_m
from pipeline.ledger.assign import lon_window, take_assignment_lock
from pipeline.ledger.audit import record
from pipeline.ledger.cluster import same_object
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.models import Detection, Evidence, Frame, Issue, utc_now
from pipeline.ledger.position import refine_issue
from pipeline.ledger.vocab import OPEN_STATUSES, TYPE_LABELS
from pipeline.ledger.workflow import check_starts_from, check_version, get_issue

#: Statuses an issue may be merged away from: nobody has been handed it yet.
ABSORBABLE = frozenset({"candidate", "confirmed"})
#: Statuses an issue may take another's sightings in: those a push would file a sighting with.
KEEPERS = OPEN_STATUSES | {"false_positive", "historical"}

Box = tuple[float, float, float, float]


def _sightings(session: Session, issue: Issue) -> list[tuple[Evidence, Detection, Frame]]:
    query = (
        select(Evidence, Detection, Frame)
        .join(Detection, Detection.id == Evidence.detection_id)
        .join(Frame, Frame.id == Detection.frame_id)
        .where(Evidence.issue_id == issue.id)
        .order_by(Evidence.id)
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def shared_frames(
    kept: list[tuple[Evidence, Detection, Frame]], absorbed: list[tuple[Evidence, Detection, Frame]]
) -> list[str]:
    """Paths of frames that show a sighting of each issue as separate (non-overlapping) boxes."""

    def box(d: Detection) -> Box:
        return (d.x0_px, d.y0_px, d.x1_px, d.y1_px)

    boxes: dict[int, list[Box]] = {}
    for _, det, frame in kept:
        boxes.setdefault(frame.id, []).append(box(det))
    apart = {
        frame.path
        for _, det, frame in absorbed
        if frame.id in boxes and not any(same_object(box(det), b) for b in boxes[frame.id])
    }
    return sorted(apart)


def _check_pair(session: Session, issue: Issue, into: Issue) -> None:
    if issue.id == into.id:
        raise BadInputError(f"{issue.code} cannot be merged into itself")
    if into.status == "merged":
        target = session.get(Issue, into.merged_into_id) if into.merged_into_id else None
        raise BadInputError(
            f"{into.code} was itself merged (已合并)"
            + (f" into {target.code}: merge into that one" if target else "")
        )
    check_starts_from(issue, ABSORBABLE, "merging it into another (one handed over keeps its "
                      "own record)")  # fmt: skip
    check_starts_from(into, KEEPERS, "taking another issue's sightings (a closed problem seen "
                      "again reopens as a rebound on the next push)")  # fmt: skip
    if issue.type != into.type:
        raise BadInputError(
            f"{issue.code} is {TYPE_LABELS.get(issue.type, issue.type)} and {into.code} is "
            f"{TYPE_LABELS.get(into.type, into.type)}: one object has one 四乱 type; "
            "correct the subtype of one of them first"
        )


def merge_issues(
    *,
    session: Session,
    code: str,
    into: str,
    expected_version: int,
    actor: str,
    into_version: int | None = None,
    note: str | None = None,
    force: bool = False,
    config: LedgerConfig | None = None,
) -> Issue:
    """Merge issue ``code`` (at ``expected_version``) into issue ``into``; returns the kept one.

    ``into_version``, when given, is checked too (the reviewer saw both).
    """
    config = config or LedgerConfig()
    take_assignment_lock(session)
    issue = get_issue(session=session, code=code, for_update=True)
    kept = get_issue(session=session, code=into, for_update=True)
    check_version(session, issue, expected_version)
    if into_version is not None:
        check_version(session, kept, into_version)
    _check_pair(session, issue, kept)
    apart = haversine_m(issue.lat_deg, issue.lon_deg, kept.lat_deg, kept.lon_deg)
    moving = _sightings(session, issue)
    staying = _sightings(session, kept)
    both = shared_frames(staying, moving)
    if not force and apart > config.merge_max_m:
        raise BadInputError(
            f"{code} and {into} are {apart:.0f} m apart (more than {config.merge_max_m:.0f} m): "
            "check the codes; if they really are one object, merge with force"
        )
    if not force and both:
        raise BadInputError(
            f"{code} and {into} are separate boxes in {len(both)} photo(s) ({both[0]}): "
            "they look like two objects; if they really are one, merge with force"
        )
    why = f"{code} merged into {into} ({apart:.1f} m apart)" + (f": {note}" if note else "")
    for evidence, det, _ in moving:
        evidence.issue_id, evidence.kind, evidence.gate_m = kept.id, "merged", None
        evidence.distance_m = (
            round(haversine_m(det.lat_deg, det.lon_deg, kept.lat_deg, kept.lon_deg), 3)
            if det.lat_deg is not None and det.lon_deg is not None
            else None
        )
    record(session=session, actor=actor, entity="issue", entity_key=code, field="status",
           old=issue.status, new="merged", note=why)  # fmt: skip
    record(session=session, actor=actor, entity="issue", entity_key=into, field="evidence",
           old=len(staying), new=len(staying) + len(moving), note=why)  # fmt: skip
    issue.status, issue.merged_into_id, issue.updated_at_utc = "merged", kept.id, utc_now()
    _take_earliest(session, kept, issue, actor, why)
    session.flush()
    refine_issue(session=session, issue=kept, default_sigma_m=config.position_sigma_m,
                 actor=actor, note=f"merge of {code}")  # fmt: skip
    kept.updated_at_utc = utc_now()
    session.flush()
    return kept


def _take_earliest(session: Session, kept: Issue, other: Issue, actor: str, why: str) -> None:
    """The kept issue was discovered when the earlier of the two was (台账: 发现时间)."""
    earliest = min(
        (d for d in (kept.discovered_at, other.discovered_at) if d is not None),
        default=None,
    )
    if earliest is None or earliest == kept.discovered_at:
        return
    record(session=session, actor=actor, entity="issue", entity_key=kept.code,
           field="discovered_at", old=kept.discovered_at, new=earliest, note=why)  # fmt: skip
    kept.discovered_at = earliest
    if other.first_flight_id is not None:
        kept.first_flight_id = other.first_flight_id


def merge_targets(
    *, session: Session, code: str, config: LedgerConfig | None = None, limit: int = 10
) -> list[tuple[str, str, float]]:
    """Issues ``code`` could be merged into, nearest first: ``(code, status, metres apart)``.

    Same type, a status that can take sightings, within ``merge_max_m``; empty
    when ``code`` itself cannot be merged away.
    """
    config = config or LedgerConfig()
    issue = get_issue(session=session, code=code)
    if issue.status not in ABSORBABLE:
        return []
    dlat, dlon = degrees_around(issue.lat_deg, config.merge_max_m)
    query = select(Issue.code, Issue.status, Issue.lat_deg, Issue.lon_deg).where(
        Issue.type == issue.type,
        Issue.status.in_(sorted(KEEPERS)),
        Issue.id != issue.id,
        Issue.lat_deg.between(issue.lat_deg - dlat, issue.lat_deg + dlat),
        lon_window(Issue.lon_deg, [issue.lon_deg], dlon),
    )
    near = [
        (other, status, haversine_m(issue.lat_deg, issue.lon_deg, lat, lon))
        for other, status, lat, lon in session.execute(query)
    ]
    near = [t for t in near if t[2] <= config.merge_max_m]
    return sorted(near, key=lambda t: (t[2], t[0]))[:limit]
