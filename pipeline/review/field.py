"""Field checks (实地核查) on a phone: the patroller's issues, and photos checked by their EXIF.

A patroller (a grid's ``patroller_account``) sees the issues dispatched (已交办 and
later) inside their grids, nearest first. A field verdict carries a photo whose own
EXIF position and time are checked against the issue: verified when taken within
``field_max_distance_m`` of it and after its dispatch; a photo without GPS is accepted
but unverified. A 已整改 verdict with a verified photo is closure evidence
(:func:`verified_rectification`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError, HehuError
from pipeline.geo.coords import haversine_m
from pipeline.ledger.audit import record
from pipeline.ledger.models import AuditLog, Issue
from pipeline.ledger.workflow import get_issue
from pipeline.review.field_models import FIELD_VERDICTS, FieldCheck
from pipeline.review.uploads import StoredFile

log = logging.getLogger(__name__)

#: Statuses a patroller's list shows: dispatched (已交办) and on.
DISPATCHED = ("assigned", "rectifying", "rectified")


@dataclass(frozen=True)
class PhotoCheck:
    """What a photo's EXIF says about where and when it was taken, against the issue."""

    status: str  # one of field_models.PHOTO_STATUSES
    lat_deg: float | None = None
    lon_deg: float | None = None
    taken_at_utc: dt.datetime | None = None
    distance_m: float | None = None

    @property
    def verified(self) -> bool:
        return self.status == "verified"


def photo_label(status: str, distance_m: float | None, max_m: float, lang: str = "zh") -> str:
    """The line shown beside the photo: its distance from the issue, or a warning."""
    d = f"{distance_m:.0f} m" if distance_m is not None else ""
    zh = {
        "verified": f"拍摄位置距问题 {d}",
        "too_far": f"⚠ 拍摄位置距问题 {d}，超过 {max_m:.0f} m",
        "before_dispatch": f"⚠ 拍摄位置距问题 {d}，但拍摄于交办之前",
        "no_time": f"⚠ 拍摄位置距问题 {d}，照片无拍摄时间，未核验",
        "no_gps": "⚠ 照片无GPS位置，未核验",
    }
    en = {
        "verified": f"taken {d} from the issue",
        "too_far": f"⚠ taken {d} from the issue, over {max_m:.0f} m",
        "before_dispatch": f"⚠ taken {d} from the issue, but before the dispatch",
        "no_time": f"⚠ taken {d} from the issue; no capture time, unverified",
        "no_gps": "⚠ the photo has no GPS position: unverified",
    }
    return (zh if lang == "zh" else en)[status]


def photo_exif(data: bytes, tz: dt.tzinfo) -> tuple[tuple[float, float] | None, dt.datetime | None]:
    """The photo's EXIF ``(lat, lon)`` and UTC capture time (GPS time first, else the
    camera's DateTimeOriginal read in the office's zone ``tz``); ``None`` where absent."""
    from pipeline.ingest.exif import exif_info, read_exif_tags, read_gps

    try:
        tags = read_exif_tags(data)
    except HehuError as e:
        log.info("field photo: unreadable EXIF (%s): taken as without GPS", e)
        return None, None
    try:
        fix = read_gps(tags, source="field photo")
        position: tuple[float, float] | None = (fix.lat_deg, fix.lon_deg)
    except HehuError:
        position = None
    info = exif_info(tags)
    taken = None
    if info.gps_time_utc:
        taken = dt.datetime.fromisoformat(info.gps_time_utc).replace(tzinfo=dt.UTC)
    elif info.captured_at:
        taken = dt.datetime.fromisoformat(info.captured_at).replace(tzinfo=tz).astimezone(dt.UTC)
    return position, taken


def check_photo(
    data: bytes, *, issue: Issue, dispatched_at_utc: dt.datetime | None, tz: dt.tzinfo,
    max_distance_m: float,
) -> PhotoCheck:  # fmt: skip
    """The photo's EXIF position and time checked against ``issue`` and its dispatch."""
    position, taken = photo_exif(data, tz)
    if position is None:
        return PhotoCheck("no_gps", taken_at_utc=taken)
    lat, lon = position
    d = haversine_m(lat, lon, issue.lat_deg, issue.lon_deg)
    if d > max_distance_m:
        status = "too_far"
    elif taken is None:
        status = "no_time"
    elif dispatched_at_utc is not None and taken < dispatched_at_utc:
        status = "before_dispatch"
    else:
        status = "verified"
    return PhotoCheck(status, lat, lon, taken, d)


def dispatched_at(session: Session, code: str) -> dt.datetime | None:
    """When the issue was last dispatched (its audit entry: status to ``assigned``)."""
    return session.scalars(
        select(AuditLog.at_utc)
        .where(
            AuditLog.entity == "issue",
            AuditLog.entity_key == code,
            AuditLog.field == "status",
            AuditLog.new_value == "assigned",
        )
        .order_by(AuditLog.at_utc.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()


def record_field_check(
    session: Session, *, code: str, verdict: str, actor: str, note: str | None,
    photo: StoredFile, check: PhotoCheck, client_key: str,
) -> FieldCheck:  # fmt: skip
    """Store the verdict (once per ``client_key``: a retry returns the first row) and audit it."""
    if verdict not in FIELD_VERDICTS:
        raise BadInputError(f"field verdict must be one of {', '.join(FIELD_VERDICTS)}")
    if not 8 <= len(client_key) <= 64:
        raise BadInputError("the form lacks its submission key; reload the page")
    found = session.scalars(select(FieldCheck).where(FieldCheck.client_key == client_key)).first()
    if found is not None:
        return found
    issue = get_issue(session=session, code=code)
    if issue.status not in DISPATCHED:
        raise BadInputError(f"issue {code} is not dispatched (已交办): no field check yet")
    row = FieldCheck(
        issue_id=issue.id, verdict=verdict, actor=actor, note=note, sha256=photo.sha256,
        stored_name=photo.stored_name, media_type=photo.media_type,
        original_name=photo.original_name, photo_lat_deg=check.lat_deg,
        photo_lon_deg=check.lon_deg, photo_taken_at_utc=check.taken_at_utc,
        distance_m=check.distance_m, photo_status=check.status, client_key=client_key,
    )  # fmt: skip
    session.add(row)
    distance = f", {check.distance_m:.0f} m" if check.distance_m is not None else ""
    record(session=session, actor=actor, entity="issue", entity_key=code, field="field_check",
           old=None, new=f"{verdict} ({check.status}{distance})", note=note)  # fmt: skip
    session.flush()
    return row


def field_checks(session: Session, issue_id: int) -> list[FieldCheck]:
    return list(session.scalars(
        select(FieldCheck).where(FieldCheck.issue_id == issue_id).order_by(FieldCheck.id.desc())
    ))  # fmt: skip


def labelled_checks(
    session: Session, issue_id: int, max_m: float, lang: str
) -> list[dict[str, Any]]:
    """The issue's field checks, newest first, each with the line shown beside its photo."""
    return [{"c": c, "label": photo_label(c.photo_status, c.distance_m, max_m, lang)}
            for c in field_checks(session, issue_id)]  # fmt: skip


def verified_rectification(session: Session, issue_id: int) -> FieldCheck | None:
    """The latest 已整改 field check whose photo is verified (closure evidence), if any."""
    return session.scalars(
        select(FieldCheck)
        .where(
            FieldCheck.issue_id == issue_id,
            FieldCheck.verdict == "rectified",
            FieldCheck.photo_status == "verified",
        )
        .order_by(FieldCheck.id.desc())
        .limit(1)
    ).first()


def patroller_issues(
    session: Session, *, grids: Sequence[Any], account: str,
    here: tuple[float, float] | None = None,
) -> list[tuple[Issue, float | None]]:  # fmt: skip
    """Dispatched issues inside the grids whose ``patroller_account`` is ``account``, with
    their distance from ``here`` (lat, lon) and nearest first; by code without ``here``."""
    mine = [g for g in grids if g.props.patroller_account == account]
    if not mine:
        return []
    issues = session.scalars(select(Issue).where(Issue.status.in_(DISPATCHED))).all()
    inside = [i for i in issues if any(g.contains(i.lat_deg, i.lon_deg) for g in mine)]
    if here is None:
        return [(i, None) for i in sorted(inside, key=lambda i: i.code)]
    rows = [(i, haversine_m(here[0], here[1], i.lat_deg, i.lon_deg)) for i in inside]
    return sorted(rows, key=lambda r: (r[1], r[0].code))
