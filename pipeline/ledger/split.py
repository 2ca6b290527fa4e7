"""A reviewer splits a sighting off an issue into a new candidate, audited.

Association can still put two objects in one issue (a car that moved one
space, two piles within each other's error). :func:`split_sighting` moves
one piece of evidence to a new 待审核 candidate of the same type, at the
sighting's own position and error, with a fresh code. Both issues get an
audit entry naming the other and the detection; the old issue's position is
recomputed from the evidence it keeps. It runs under the assignment lock, so
a push cannot file against the old issue halfway through, and it checks the
``version`` the reviewer saw (:class:`ConflictError` otherwise).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.ledger.assign import allocate_code, take_assignment_lock
from pipeline.ledger.audit import record
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.models import Detection, Evidence, Issue, utc_now
from pipeline.ledger.position import refine_issue
from pipeline.ledger.vocab import STATUS_LABELS
from pipeline.ledger.workflow import check_starts_from, check_version, get_issue

#: Fields the new issue takes from the one it is split from (place and responsibility).
COPIED = ("river_name", "river_code", "reach", "river_chief", "responsible_unit", "division_code",
          "zone_id", "in_zone", "discovery_method")  # fmt: skip
#: Issues a sighting may be split off: all but closed ones (已销号 is the final record).
SPLITTABLE = frozenset(STATUS_LABELS) - {"closed", "merged"}  # a merged one holds no sighting


def split_sighting(
    *,
    session: Session,
    code: str,
    detection_id: int,
    expected_version: int,
    actor: str,
    note: str | None = None,
    config: LedgerConfig | None = None,
) -> Issue:
    """Move detection ``detection_id``'s evidence from issue ``code`` to a new candidate."""
    config = config or LedgerConfig()
    take_assignment_lock(session)
    issue = get_issue(session=session, code=code, for_update=True)
    check_version(session, issue, expected_version)
    check_starts_from(issue, SPLITTABLE, "splitting a sighting off")
    evidence = session.scalars(
        select(Evidence).where(Evidence.issue_id == issue.id, Evidence.detection_id == detection_id)
    ).one_or_none()
    if evidence is None:
        raise BadInputError(
            f"detection {detection_id} is not evidence of {code}; "
            f"see its sightings with: hehu ledger show {code}"
        )
    count = session.scalar(select(func.count()).where(Evidence.issue_id == issue.id)) or 0
    if count < 2:
        raise BadInputError(f"{code} has only this sighting: there is nothing to split it from")
    det = session.get_one(Detection, detection_id)
    if det.lat_deg is None or det.lon_deg is None:
        raise BadInputError(f"detection {detection_id} has no ground position to start an issue")
    seen = det.captured_at or issue.discovered_at
    year = seen.year if seen else utc_now().year
    new = Issue(
        code=allocate_code(session=session, division_code=issue.division_code, year=year),
        type=issue.type, subtype=det.subtype or issue.subtype,
        description=f"从{code}拆分：{note}" if note else f"从{code}拆分",
        lat_deg=det.lat_deg, lon_deg=det.lon_deg, sigma_m=det.sigma_m, area_m2=det.area_m2,
        severity=config.severity(det.subtype, det.area_m2), discovered_at=seen,
        first_flight_id=evidence.flight_id, status="candidate", rebound=False, rebound_count=0,
        **{name: getattr(issue, name) for name in COPIED},
    )  # fmt: skip
    session.add(new)
    session.flush()
    evidence.issue_id, evidence.kind = new.id, "split"
    evidence.distance_m = evidence.gate_m = None
    why = f"detection {detection_id} split off {code} into {new.code}" + (
        f": {note}" if note else ""
    )
    record(session=session, actor=actor, entity="issue", entity_key=new.code, field="status",
           old=None, new="candidate", note=why)  # fmt: skip
    record(session=session, actor=actor, entity="issue", entity_key=code, field="evidence",
           old=count, new=count - 1, note=why)  # fmt: skip
    session.flush()
    refine_issue(session=session, issue=issue, default_sigma_m=config.position_sigma_m,
                 actor=actor, note=f"split of detection {detection_id}")  # fmt: skip
    issue.updated_at_utc = utc_now()
    return new
