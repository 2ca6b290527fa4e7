"""Filing a flight's new detections as evidence of issues, new or existing.

Runs in one transaction holding the ledger's **assignment lock**, so two
pushes never cluster against each other's half-written issues: on
PostgreSQL a transaction-scoped advisory lock (``pg_advisory_xact_lock``), on
SQLite the write lock every hehu transaction takes at ``BEGIN IMMEDIATE``.
Under the lock a push reads the committed ledger, picks the detections not
yet filed and not held (a detection backs at most one issue: unique
``evidence.detection_id``; held ones, :mod:`pipeline.ledger.plausible`, none),
associates them frame by frame with nearby issues and with each other
(:mod:`pipeline.ledger.cluster`: distinct boxes of a frame stay apart, gates
follow each position's error) and files each object's sightings, with the
distance and gate at which each joined:

- with an open issue of the same type (or a 误报 one): more evidence (recurrence);
- near a closed (已销号) one, seen on a day after it was closed: the issue is
  reopened as a 反弹 (rebound) candidate, flagged and audited; seen on or
  before that day it is filed as history;
- otherwise a new candidate (待审核) with a fresh code.

Every issue that got evidence then takes the uncertainty-weighted mean of
all its sightings as its position (:mod:`pipeline.ledger.position`).

Issue codes are ``<division>-<year>-<seq>`` (``990101-2016-0001``); the
sequence comes from an atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
on ``code_sequence``, safe with or without the lock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, SQLColumnExpression, func, or_, select, true
from sqlalchemy.orm import Session, defer

from pipeline.geo.coords import degrees_around, lon_arc_deg
from pipeline.ledger.audit import record
from pipeline.ledger.cluster import (
    Link,
    Sighting,
    Site,
    Track,
    associate,
    extent_radius_m,
    track_latlon,
)
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.flight_rows import Looked, dialect_insert
from pipeline.ledger.models import CodeSequence, Detection, Evidence, Flight, Frame, Issue, utc_now
from pipeline.ledger.plausible import covering_frames
from pipeline.ledger.position import refine_issue, weighted_position
from pipeline.ledger.vocab import DISCOVERY_DRONE, OPEN_STATUSES, TYPE_LABELS
from pipeline.ledger.zones import Zone, find_zone, zone_fields

ADVISORY_LOCK_KEY = 0x68656875_6C656467  # "hehu" "ledg"
SEARCH_MARGIN_M = 500.0  # how far around a flight's detections existing issues are loaded


@dataclass
class Assigned:
    """What one assignment did: issue codes by outcome, and detections left unfiled."""

    created: list[str] = field(default_factory=list)
    recurred: list[str] = field(default_factory=list)
    rebounded: list[str] = field(default_factory=list)
    dropped_outside_zone: int = 0
    held_single_view: int = 0


def take_assignment_lock(session: Session) -> None:
    """Serialise assignments (PostgreSQL advisory lock; SQLite already holds its write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))


def allocate_code(*, session: Session, division_code: str, year: int) -> str:
    """The next issue code for a division and year, e.g. ``990101-2016-0007``."""
    table = CodeSequence.__table__
    stmt = dialect_insert(session)(table).values(division_code=division_code, year=year, last_seq=1)
    upsert = stmt.on_conflict_do_update(
        index_elements=["division_code", "year"], set_={"last_seq": table.c.last_seq + 1}
    ).returning(table.c.last_seq)
    seq = session.execute(upsert).scalar_one()
    return f"{division_code}-{year}-{seq:04d}"


Row = tuple[Detection, Frame]
#: What the single-view hold counts: frames each model ran on whole, and ground other
#: frames looked at (:func:`assign_detections`).
_Looks = tuple[Mapping[str, Collection[str]] | None, Mapping[str, Sequence[Looked]] | None]


@dataclass
class _Push:
    """What every step of one assignment needs."""

    session: Session
    flight: Flight
    zones: Sequence[Zone]
    cfg: LedgerConfig
    actor: str
    out: Assigned


def _unfiled(session: Session, detection_ids: Sequence[int]) -> list[Row]:
    filed = select(Evidence.detection_id).where(Evidence.detection_id == Detection.id).exists()
    rows: list[Row] = []
    ids = sorted(detection_ids)
    for i in range(0, len(ids), 500):
        query = (
            select(Detection, Frame)
            .options(defer(Detection.footprint), defer(Frame.footprint))  # unused here
            .join(Frame, Detection.frame_id == Frame.id)
            .where(Detection.id.in_(ids[i : i + 500]), Detection.type.is_not(None))
            .where(Detection.lat_deg.is_not(None), Detection.lon_deg.is_not(None), ~filed)
            .where(Detection.hold_reason.is_(None))
        )
        rows.extend((d, f) for d, f in session.execute(query))
    return sorted(rows, key=lambda r: _natural_key(*r))


def _where(det: Detection) -> tuple[float, float]:
    """A filed detection's position (``_unfiled`` only returns georeferenced ones)."""
    assert det.lat_deg is not None and det.lon_deg is not None
    return det.lat_deg, det.lon_deg


def _type(det: Detection) -> str:
    assert det.type is not None  # ``_unfiled`` only returns 四乱 detections
    return det.type


def _natural_key(det: Detection, frame: Frame) -> tuple[object, ...]:
    return (frame.sha256, det.model_sha256, det.class_name, det.qx0, det.qy0, det.qx1, det.qy1)


def _nearby_issues(session: Session, kind: str, rows: list[Row]) -> list[Issue]:
    """Issues of one type around the rows, locked for this transaction (PostgreSQL)."""
    lats = [_where(d)[0] for d, _ in rows]
    lons = [_where(d)[1] for d, _ in rows]
    dlat, dlon = degrees_around(lats[0], SEARCH_MARGIN_M)
    query = (
        select(Issue)
        .where(Issue.type == kind, Issue.status != "merged")  # its sightings went elsewhere
        .where(Issue.lat_deg.between(min(lats) - dlat, max(lats) + dlat))
        .where(lon_window(Issue.lon_deg, lons, dlon))
        .order_by(Issue.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def lon_window(
    column: SQLColumnExpression[float], lons: Sequence[float], margin_deg: float
) -> ColumnElement[bool]:
    """``column`` (a longitude) within ``margin_deg`` of the arc holding ``lons``: two
    ranges when the window crosses the antimeridian."""
    west, span = lon_arc_deg(lons)
    lo, hi = west - margin_deg, west + span + margin_deg
    if hi - lo >= 360.0:
        return true()
    if lo < -180.0:
        return or_(column >= lo + 360.0, column <= hi)
    if hi > 180.0:
        return or_(column >= lo, column <= hi - 360.0)
    return column.between(lo, hi)


def _sigmas(cfg: LedgerConfig, sigma: float | None, rel: float | None) -> tuple[float, float]:
    """A position's absolute and same-flight 1σ; a fixed ``gate_m`` overrides both."""
    if cfg.gate_m is not None:
        fixed = cfg.gate_m / (cfg.gate_sigmas * math.sqrt(2.0))
        return fixed, fixed
    s = sigma if sigma and sigma > 0 else cfg.position_sigma_m
    return s, rel if rel and rel > 0 else s


def _site(issue: Issue, cfg: LedgerConfig) -> Site:
    rank = 0 if issue.status in OPEN_STATUSES else 1 if issue.status == "false_positive" else 2
    radius = extent_radius_m(issue.area_m2) if cfg.use_extent else 0.0
    sigma = _sigmas(cfg, issue.sigma_m, None)[0]
    return Site(issue.code, issue.lat_deg, issue.lon_deg, radius, rank, sigma)


def _sighting(det: Detection, frame: Frame, cfg: LedgerConfig) -> Sighting:
    sigma, rel = _sigmas(cfg, det.sigma_m, det.sigma_rel_m)
    hgt = det.sigma_bias_m or 0.0 if cfg.gate_m is None else 0.0
    when = det.captured_at or frame.captured_at
    order = (when is None, when or dt.datetime.min, frame.sha256)
    radius = extent_radius_m(det.area_m2) if cfg.use_extent else 0.0
    box = (det.x0_px, det.y0_px, det.x1_px, det.y1_px)
    lat, lon, up = frame.lat_deg, frame.lon_deg, frame.rel_alt_m
    camera = (lat, lon, up) if lat is not None and lon is not None and up and up > 0 else None
    return Sighting(_natural_key(det, frame), frame.id, order, *_where(det), sigma, rel, hgt,
                    radius, box, camera)  # fmt: skip


def _seen_at(rows: list[Row]) -> dt.datetime | None:
    known = [t for t in (d.captured_at or f.captured_at for d, f in rows) if t is not None]
    return min(known) if known else None


def _new_issue(
    p: _Push, at: tuple[float, float, float | None], rows: list[Row], zone: Zone | None
) -> Issue:
    leader = max(rows, key=lambda r: (r[0].conf, -r[0].id))[0]
    kind = _type(leader)
    area = max((d.area_m2 for d, _ in rows if d.area_m2 is not None), default=None)
    seen = _seen_at(rows)
    fields = zone_fields(zone, p.cfg.default_division_code)
    code = allocate_code(
        session=p.session,
        division_code=fields["division_code"],
        year=seen.year if seen else utc_now().year,
    )
    frames = len({f.id for _, f in rows})
    issue = Issue(
        code=code,
        type=kind,
        subtype=leader.subtype,
        description=f"{DISCOVERY_DRONE}发现疑似{TYPE_LABELS[kind]}问题，{frames}张照片",
        **fields,
        lat_deg=at[0],
        lon_deg=at[1],
        sigma_m=round(at[2], 3) if at[2] is not None else None,
        area_m2=area,
        severity=p.cfg.severity(leader.subtype, area),
        discovered_at=seen,
        discovery_method=DISCOVERY_DRONE,
        first_flight_id=p.flight.id,
        status="candidate",
        rebound=False,
        rebound_count=0,
    )
    p.session.add(issue)
    p.session.flush()
    record(
        session=p.session,
        actor=p.actor,
        entity="issue",
        entity_key=code,
        field="status",
        old=None,
        new="candidate",
        note=f"new candidate from flight {p.flight.name}",
    )
    return issue


def _rebound(p: _Push, issue: Issue, seen: dt.datetime | None) -> None:
    when = seen or "time unknown"
    note = f"反弹: flight {p.flight.name} saw it again ({when}) after 销号 on {issue.closed_on}"
    reopen_as_rebound(p.session, issue, p.actor, note)


def reopen_as_rebound(session: Session, issue: Issue, actor: str, note: str) -> None:
    """A closed (已销号) issue seen again becomes a 反弹 candidate: flagged, counted, audited."""
    changes = {
        "status": "candidate",
        "rebound": True,
        "rebound_count": issue.rebound_count + 1,
        "closed_on": None,
    }
    if issue.next_check_on is not None:  # its 回头看 found it back: nothing left to schedule
        changes["next_check_on"] = None
    for name, new in changes.items():
        record(
            session=session,
            actor=actor,
            entity="issue",
            entity_key=issue.code,
            field=name,
            old=getattr(issue, name),
            new=new,
            note=note,
        )
        setattr(issue, name, new)
    issue.updated_at_utc = utc_now()


def _file(p: _Push, issue: Issue, rows: list[Row], links: list[Link], kind: str) -> None:
    before = p.session.scalar(select(func.count()).where(Evidence.issue_id == issue.id)) or 0
    for (det, _), link in zip(rows, links, strict=True):
        p.session.add(
            Evidence(issue_id=issue.id, detection_id=det.id, flight_id=p.flight.id, kind=kind,
                     distance_m=link.distance_m, gate_m=link.gate_m)
        )  # fmt: skip
    record(
        session=p.session,
        actor=p.actor,
        entity="issue",
        entity_key=issue.code,
        field="evidence",
        old=before or None,
        new=before + len(rows),
        note=f"flight {p.flight.name}: {len(rows)} detection(s) filed as {kind}",
    )


def _kind_for(p: _Push, issue: Issue, seen: dt.datetime | None) -> str:
    """How a group near ``issue`` is filed (and reopen the issue on a rebound)."""
    if issue.status != "closed":
        if issue.first_flight_id == p.flight.id:
            return "first"
        p.out.recurred.append(issue.code)
        return "recurrence"
    if issue.closed_on is None or (seen or utc_now()).date() > issue.closed_on:
        _rebound(p, issue, seen)
        p.out.rebounded.append(issue.code)
        return "rebound"
    return "history"


def _place(p: _Push, track: Track, rows: list[Row], at: tuple[float, float],
           issues: list[Issue]) -> Issue | None:  # fmt: skip
    """File one object's sightings: with its issue, or as a new candidate (None: dropped)."""
    links = list(track.links)
    if track.site is not None:
        issue = issues[track.site]
        _file(p, issue, rows, links, _kind_for(p, issue, _seen_at(rows)))
        return issue
    zone = find_zone(p.zones, *at)
    if zone is None and p.cfg.outside_zone == "drop":
        p.out.dropped_outside_zone += len(rows)
        return None
    est = weighted_position(
        [(p.flight.id, *_where(d), d.sigma_m, d.sigma_rel_m) for d, _ in rows],
        p.cfg.position_sigma_m,
    )
    issue = _new_issue(p, est or (*at, None), rows, zone)
    p.out.created.append(issue.code)
    _file(p, issue, rows, links, "first")
    return issue


def _footprints(session: Session, flight_id: int) -> list[tuple[str, list[list[float]]]]:
    """``(frame sha256, footprint)`` of the flight's georeferenced frames."""
    query = select(Frame.sha256, Frame.footprint).where(
        Frame.flight_id == flight_id, Frame.footprint.is_not(None)
    )
    return [(sha, ring) for sha, ring in session.execute(query) if ring]


def _single_view(p: _Push, rows: list[Row], at: tuple[float, float],
                 coverage: list[tuple[str, list[list[float]]]], looks: _Looks) -> bool:  # fmt: skip
    """Hold a new object seen in one frame that other frames of its model looked at."""
    cfg = p.cfg
    model_frames, model_looks = looks
    if model_frames is None or cfg.single_view_covers is None:
        return False
    if len({f.sha256 for _, f in rows}) != 1:
        return False
    if any(d.subtype in cfg.moving_subtypes for d, _ in rows):
        return False
    models = {d.model for d, _ in rows}
    ran = {sha for m in models for sha in model_frames.get(m, ())}
    seen = {rows[0][1].sha256}
    usable: list[tuple[str, Sequence[Sequence[float]]]]
    usable = [(sha, ring) for sha, ring in coverage if sha in ran]
    usable += [look for m in models for look in (model_looks or {}).get(m, ())]
    if covering_frames(*at, usable, exclude=seen) < cfg.single_view_covers:
        return False
    for det, _ in rows:
        det.hold_reason = "single_view"
    p.out.held_single_view += len(rows)
    return True


def assign_detections(
    *,
    session: Session,
    flight_id: int,
    detection_ids: Sequence[int],
    zones: Sequence[Zone],
    config: LedgerConfig,
    actor: str,
    model_frames: Mapping[str, Collection[str]] | None = None,
    model_looks: Mapping[str, Sequence[Looked]] | None = None,
) -> Assigned:
    """File the unfiled ones of ``detection_ids`` (see the module docstring). Takes the lock.

    ``model_frames`` (model name → sha256 of the frames it ran on) enables the
    single-view hold: a new object seen in one frame only, although at least
    ``config.single_view_covers`` other frames of the flight that its model
    ran on covered its position, is held (``single_view``), not filed. ``model_looks``
    (model name → ``(sha256, ring)``) adds ground that frames left out of
    ``model_frames`` looked at (tiles that ran where others were skipped).
    """
    take_assignment_lock(session)
    flight = session.get_one(Flight, flight_id)
    p = _Push(session, flight, zones, config, actor, Assigned())
    rows = _unfiled(session, detection_ids)
    coverage = _footprints(session, flight_id) if model_frames is not None else []
    for kind in sorted({_type(d) for d, _ in rows}):
        of_kind = [r for r in rows if r[0].type == kind]
        sightings = [_sighting(d, f, config) for d, f in of_kind]
        issues = _nearby_issues(session, kind, of_kind)
        tracks = associate(sightings, [_site(i, config) for i in issues],
                           gate_sigmas=config.gate_sigmas)  # fmt: skip
        touched: list[Issue] = []
        for track in tracks:
            if not track.links:
                continue
            at = track_latlon(track, sightings)
            members = [of_kind[i] for i in track.members]
            looks = (model_frames, model_looks)
            if track.site is None and _single_view(p, members, at, coverage, looks):
                continue
            issue = _place(p, track, members, at, issues)
            if issue is not None and track.site is not None:
                touched.append(issue)
        session.flush()
        for issue in touched:
            refine_issue(session=session, issue=issue, default_sigma_m=config.position_sigma_m,
                         actor=actor, note=f"flight {flight.name}")  # fmt: skip
    return p.out
