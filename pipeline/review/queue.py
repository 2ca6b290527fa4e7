"""The review queue: ledger issues filtered, sorted and cut into pages.

An issue's confidence is the highest confidence of the detections filed as
its evidence, kept in ``review_issue_conf`` by database triggers (revision
0002), so sorting 10,000 candidates by it is a plain-column sort; frame and
flight counts and the best detection (for the thumbnail) are read for the
rows of one page only. Filters map onto the indexes of revision 0002:
``(status, type)``, ``river_name``, ``zone_id`` and ``evidence(flight_id, issue_id)``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, case, distinct, exists, func, select
from sqlalchemy.orm import Session

from pipeline.ledger.models import Detection, Evidence, Flight, Issue
from pipeline.ledger.vocab import ISSUE_TYPE_LABELS, OPEN_STATUSES, STATUS_LABELS
from pipeline.review.models import IssueConf

SORTS = ("conf", "conf_asc", "severity", "area", "recent", "code")
STATUS_CHOICES = ("candidate", "open", "all", *STATUS_LABELS)


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. ``status``: a status code, ``open`` or ``all``."""

    status: str = "candidate"
    type: str | None = None
    river: str | None = None
    zone: str | None = None
    flight: int | None = None
    min_conf: float | None = None
    sort: str = "conf"

    def normalised(self) -> QueueFilter:
        """Unknown values dropped (a hand-edited URL never errors, it shows more)."""
        return replace(
            self,
            status=self.status if self.status in STATUS_CHOICES else "candidate",
            type=self.type if self.type in ISSUE_TYPE_LABELS else None,
            river=self.river or None,
            zone=self.zone or None,
            min_conf=None if self.min_conf is None else min(max(self.min_conf, 0.0), 1.0),
            sort=self.sort if self.sort in SORTS else "conf",
        )

    def query_params(self) -> dict[str, str]:
        """The non-default fields as URL query parameters."""
        out = {
            "status": self.status,
            "type": self.type,
            "river": self.river,
            "zone": self.zone,
            "flight": self.flight,
            "min_conf": self.min_conf,
            "sort": self.sort,
        }
        default = QueueFilter()
        return {k: str(v) for k, v in out.items() if v is not None and v != getattr(default, k)}


@dataclass(frozen=True)
class QueueRow:
    code: str
    type: str
    subtype: str | None
    status: str
    severity: str | None
    area_m2: float | None
    river_name: str | None
    zone_id: str | None
    discovered_at: dt.datetime | None
    lat: float
    lon: float
    version: int
    max_conf: float | None
    frames: int = 0
    flights: int = 0
    best_detection_id: int | None = None
    deadline: dt.date | None = None

    @property
    def overdue(self) -> bool:
        """逾期 today (:func:`pipeline.ledger.deadlines.is_overdue`)."""
        from pipeline.ledger.deadlines import is_overdue

        return is_overdue(self.status, self.deadline, dt.date.today())


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    total: int
    page: int
    pages: int
    size: int


def max_conf_expr() -> Any:
    """The issue's highest evidence confidence (use with :func:`issues_select`)."""
    return IssueConf.max_conf


def issues_select(*columns: Any) -> Select[Any]:
    """``SELECT columns FROM issue LEFT JOIN review_issue_conf`` (confidence beside each issue)."""
    return select(*columns).select_from(Issue).outerjoin(IssueConf, IssueConf.issue_id == Issue.id)


def _where(query: Select[Any], filt: QueueFilter, conf: Any) -> Select[Any]:
    if filt.status == "open":
        query = query.where(Issue.status.in_(sorted(OPEN_STATUSES)))
    elif filt.status != "all":
        query = query.where(Issue.status == filt.status)
    if filt.type:
        query = query.where(Issue.type == filt.type)
    if filt.river:
        query = query.where(Issue.river_name == filt.river)
    if filt.zone:
        query = query.where(Issue.zone_id == filt.zone)
    if filt.flight is not None:
        query = query.where(
            exists().where(Evidence.issue_id == Issue.id, Evidence.flight_id == filt.flight)
        )
    if filt.min_conf is not None:
        query = query.where(conf >= filt.min_conf)
    return query


def _order(filt: QueueFilter, conf: Any) -> list[Any]:
    severity_rank = case({"major": 3, "serious": 2, "general": 1}, value=Issue.severity, else_=0)
    orders = {
        "conf": [conf.desc(), Issue.code],
        "conf_asc": [conf.asc(), Issue.code],
        "severity": [severity_rank.desc(), func.coalesce(Issue.area_m2, 0).desc(), Issue.code],
        "area": [func.coalesce(Issue.area_m2, 0).desc(), Issue.code],
        "recent": [Issue.discovered_at.desc(), Issue.code],
        "code": [Issue.code],
    }
    return orders[filt.sort]


def queue_page(*, session: Session, filt: QueueFilter, page: int = 1, size: int = 50) -> QueuePage:
    """One page of the queue (pages count from 1; a page past the end shows the last)."""
    filt = filt.normalised()
    conf = max_conf_expr()
    total = session.scalar(_where(issues_select(func.count(Issue.id)), filt, conf)) or 0
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    # Sort narrow rows (id, confidence), then load the page's issues: SQLite's sorter
    # then carries two columns, not every column of every matching issue.
    query = _where(issues_select(Issue.id, conf.label("max_conf")), filt, conf)
    query = query.order_by(*_order(filt, conf)).limit(size).offset((page - 1) * size)
    ranked = session.execute(query).all()
    issues = {
        i.id: i for i in session.scalars(select(Issue).where(Issue.id.in_([r[0] for r in ranked])))
    }
    rows = [_row(issues[issue_id], mc) for issue_id, mc in ranked]
    return QueuePage(tuple(_with_evidence(session, rows)), total, page, pages, size)


def _row(issue: Any, max_conf: float | None) -> QueueRow:
    return QueueRow(
        code=issue.code,
        type=issue.type,
        subtype=issue.subtype,
        status=issue.status,
        severity=issue.severity,
        area_m2=issue.area_m2,
        river_name=issue.river_name,
        zone_id=issue.zone_id,
        discovered_at=issue.discovered_at,
        lat=issue.lat_deg,
        lon=issue.lon_deg,
        version=issue.version,
        max_conf=max_conf,
        deadline=issue.deadline,
    )


def _with_evidence(session: Session, rows: Sequence[QueueRow]) -> list[QueueRow]:
    if not rows:
        return []
    query = (
        select(Issue.code, Detection.id, Detection.frame_id, Detection.conf, Evidence.flight_id)
        .join(Evidence, Evidence.issue_id == Issue.id)
        .join(Detection, Detection.id == Evidence.detection_id)
        .where(Issue.code.in_([r.code for r in rows]))
    )
    frames: dict[str, set[int]] = defaultdict(set)
    flights: dict[str, set[int]] = defaultdict(set)
    best: dict[str, tuple[float, int]] = {}
    for code, det_id, frame_id, conf, flight_id in session.execute(query):
        frames[code].add(frame_id)
        flights[code].add(flight_id)
        if code not in best or (conf, -det_id) > (best[code][0], -best[code][1]):
            best[code] = (conf, det_id)
    return [
        replace(
            r,
            frames=len(frames[r.code]),
            flights=len(flights[r.code]),
            best_detection_id=best[r.code][1] if r.code in best else None,
        )
        for r in rows
    ]


def neighbour_code(*, session: Session, filt: QueueFilter, code: str, step: int = 1) -> str | None:
    """The code after (``step`` 1) or before (-1) ``code`` in the queue's order.

    ``code`` itself need not match the filter any more (it was just confirmed),
    so it is ranked together with the issues that do.
    """
    filt = filt.normalised()
    conf = max_conf_expr()
    matching = _where(issues_select(Issue.id), filt, conf)
    query = (
        issues_select(Issue.code)
        .where(Issue.id.in_(matching) | (Issue.code == code))
        .order_by(*_order(filt, conf))
    )
    codes = list(session.scalars(query))
    try:
        i = codes.index(code)
    except ValueError:
        return codes[0] if codes else None
    j = i + step
    return codes[j] if 0 <= j < len(codes) else None


@dataclass(frozen=True)
class FilterOptions:
    """Values offered by the queue's selects: rivers with their zones, and flights."""

    rivers: tuple[tuple[str, tuple[str, ...]], ...]
    flights: tuple[tuple[int, str], ...]


def filter_options(*, session: Session) -> FilterOptions:
    pairs = session.execute(
        select(Issue.river_name, Issue.zone_id)
        .where(Issue.river_name.is_not(None))
        .distinct()
        .order_by(Issue.river_name, Issue.zone_id)
    )
    rivers: dict[str, list[str]] = defaultdict(list)
    for river, zone in pairs:
        if zone:
            rivers[river].append(zone)
        else:
            rivers.setdefault(river, [])
    flights = session.execute(
        select(Flight.id, Flight.name)
        .where(exists().where(Evidence.flight_id == Flight.id))
        .order_by(Flight.created_at_utc.desc(), Flight.id.desc())
    )
    return FilterOptions(
        rivers=tuple((r, tuple(z)) for r, z in rivers.items()),
        flights=tuple((fid, name) for fid, name in flights),
    )


def count_by_status(*, session: Session) -> dict[str, int]:
    query = select(Issue.status, func.count(distinct(Issue.id))).group_by(Issue.status)
    return {status: n for status, n in session.execute(query)}


def matching_codes(*, session: Session, filt: QueueFilter) -> list[str]:
    """Every code the filter matches, in the queue's order (for exports)."""
    filt = filt.normalised()
    conf = max_conf_expr()
    query = _where(issues_select(Issue.code), filt, conf).order_by(*_order(filt, conf))
    return list(session.scalars(query))
