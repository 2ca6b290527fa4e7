"""Recheck (复查) a new flight against the ledger: the verdict on each open issue it sees.

For each ledger issue in a status a recheck concerns (:data:`RECHECK_STATUSES`:
已确认, 已交办, 整改中, 已整改) whose position lies under one of the new flight's
footprints, the best earlier evidence is taken (the latest frame, then the most
confident box; ``against``: only from that flight), the earlier frame is placed on
the ground and scored against every new frame (:func:`pipeline.change.pairing.score_pair`),
the best pairs are registered with the geotags' prior
(:func:`pipeline.change.register.register_pair`) and the evidence box rechecked
by appearance (:func:`pipeline.change.recheck.recheck_box`). The first pair that
gives "still present" or "gone" decides; else the "cannot tell" of the pair that
covers most of the box stands. A detector (``DetectorUse``, ``hehu recheck --model``)
is asked on the issues whose class or subtype it knows, on the frames' own pixels
(not yet resampled to its card's scale); otherwise appearance alone decides.

Closed (已销号) issues are rechecked too: one found still present is a 反弹. Each
verdict's before/after picture is watermarked like other evidence and written with
its sha256; :meth:`IssueRecheck.to_record` is what the ledger records
(:func:`pipeline.ledger.rechecks.record_rechecks`); this module writes no row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.change.pairing import MIN_SHARE, FrameOnGround, place_frames, score_pair
from pipeline.change.recheck import CANNOT_TELL, RecheckVerdict
from pipeline.change.register import NADIR_DEG, Registration
from pipeline.records import FrameMeta

#: Issue statuses a recheck concerns (已确认, 已交办, 整改中, 已整改; 已销号 for 反弹).
RECHECK_STATUSES = ("confirmed", "assigned", "rectifying", "rectified", "closed")
#: Best-scored new frames tried per issue before "cannot tell" stands.
MAX_PAIRS = 3


@dataclass(frozen=True)
class EarlierEvidence:
    """An issue and the earlier box that rechecks it: ``frame_path`` opens the frame,
    ``box_px`` (x0, y0, x1, y1) in its stored pixels."""

    code: str
    status: str
    lat_deg: float
    lon_deg: float
    frame_path: str
    box_px: tuple[float, float, float, float]
    flight_name: str
    subtype: str | None = None
    class_name: str | None = None
    frame_sha256: str | None = None


@dataclass(frozen=True)
class IssueRecheck:
    """One issue's verdict, the registration it rests on and the new frame used."""

    evidence: EarlierEvidence
    verdict: RecheckVerdict
    registration: Registration | None = None
    new_path: str | None = None
    picture: str | None = None
    new_sha256: str | None = None
    new_captured_at: str | None = None
    picture_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        reg = self.registration
        return {
            "code": self.evidence.code,
            "status": self.evidence.status,
            "earlier_frame": self.evidence.frame_path,
            "earlier_flight": self.evidence.flight_name,
            "new_frame": self.new_path,
            **self.verdict.to_dict(),
            "residual_px": None if reg is None or not reg.ok else round(reg.residual_px, 2),
            "residual_m": None
            if reg is None or reg.residual_m is None
            else round(reg.residual_m, 3),
            "meets_2px_rule": None if reg is None else reg.meets_rule,
            "picture": self.picture,
            "picture_sha256": self.picture_sha256,
        }

    def to_record(self) -> Any:
        """The verdict as the ledger keeps it (:class:`~pipeline.ledger.rechecks.VerdictRecord`)."""
        from pipeline.ledger.rechecks import VerdictRecord, verdict_code

        reg, v = self.registration, self.verdict
        registered = reg is not None and reg.ok
        return VerdictRecord(
            self.evidence.code, verdict_code(v.verdict), v.reason,
            earlier_frame_sha256=self.evidence.frame_sha256, new_frame_sha256=self.new_sha256,
            residual_px=reg.residual_px if registered else None,
            residual_m=reg.residual_m if registered else None,
            meets_rule=reg.meets_rule if reg is not None else None, zncc=v.zncc,
            detector_conf=v.detector_conf, coverage=v.coverage, evidence_path=self.picture,
            evidence_sha256=self.picture_sha256,
        )  # fmt: skip


@dataclass
class FlightRecheck:
    """What a recheck of one flight found: ``considered`` issues in a recheck status with
    earlier evidence, ``results`` for those under the new flight's footprints."""

    flight_name: str
    considered: int
    results: list[IssueRecheck] = field(default_factory=list)


def earlier_evidence(
    session: Any, *, exclude_flight_key: str | None = None, against: str | None = None
) -> list[EarlierEvidence]:
    """Each issue in a recheck status with its best earlier evidence (see the module doc).

    ``against``: a flight key or name; only evidence from that flight counts (raises
    BadInputError when the ledger has no such flight).
    """
    from sqlalchemy import select

    from pipeline.ledger.models import Detection, Evidence, Flight, Frame, Issue

    query = (
        select(Issue, Detection, Frame, Flight)
        .join(Evidence, Evidence.issue_id == Issue.id)
        .join(Detection, Detection.id == Evidence.detection_id)
        .join(Frame, Frame.id == Detection.frame_id)
        .join(Flight, Flight.id == Frame.flight_id)
        .where(Issue.status.in_(RECHECK_STATUSES))
        .order_by(
            Issue.code, Frame.captured_at.desc().nulls_last(), Detection.conf.desc(), Detection.id
        )
    )
    if exclude_flight_key is not None:
        query = query.where(Flight.key != exclude_flight_key)
    if against is not None:
        query = query.where(Flight.id.in_(flight_ids(session, against)))
    best: dict[str, EarlierEvidence] = {}
    for issue, det, frame, flight in session.execute(query):
        if issue.code not in best:
            box = (det.x0_px, det.y0_px, det.x1_px, det.y1_px)
            best[issue.code] = EarlierEvidence(issue.code, issue.status, issue.lat_deg,
                                               issue.lon_deg, frame.open_path, box, flight.name,
                                               issue.subtype, det.class_name,
                                               frame.sha256)  # fmt: skip
    return list(best.values())


def flight_ids(session: Any, flight: str) -> list[int]:
    """The ledger's flights whose key or name is ``flight``; BadInputError when none is."""
    from sqlalchemy import or_, select

    from pipeline.errors import BadInputError
    from pipeline.ledger.models import Flight

    ids = list(session.scalars(select(Flight.id).where(or_(Flight.key == flight,
                                                           Flight.name == flight))))  # fmt: skip
    if not ids:
        raise BadInputError(f"no flight {flight!r} in the ledger (give its key or name)")
    return ids


def under_footprints(
    evidence: Sequence[EarlierEvidence], placed: Sequence[FrameOnGround]
) -> list[EarlierEvidence]:
    """The issues whose position lies inside at least one new frame's footprint."""
    from pipeline.geo.polygon import contains_lonlat

    rings = [[[(lon, lat) for lat, lon in f.georef.footprint()]] for f in placed]
    return [e for e in evidence if any(contains_lonlat(r, e.lon_deg, e.lat_deg) for r in rings)]


def place_new_flight(
    frames: Sequence[FrameMeta], yaw_offsets: Mapping[str, float] | None = None
) -> tuple[list[FrameOnGround], tuple[float, float]]:
    """The new flight's frames on the ground, and the plane's origin (its first geotag)."""
    origin = next(((m.gps.lat_deg, m.gps.lon_deg) for m in frames if m.gps), (0.0, 0.0))
    return place_frames(frames, origin, yaw_offsets)[0], origin


Loader = Callable[[str], np.ndarray]


@dataclass(frozen=True)
class DetectorUse:
    """A detector a recheck asks (see :func:`pipeline.change.recheck.recheck_box`):
    ``classes`` its class names, ``class_map`` class → ledger subtype, ``min_conf``."""

    name: str
    detector: Any
    classes: tuple[str, ...]
    class_map: Mapping[str, str | None]
    min_conf: float

    @classmethod
    def of(cls, loaded: Any) -> DetectorUse:
        """From a loaded model (:class:`pipeline.detect.engine.LoadedModel`)."""
        card = loaded.card
        class_map = loaded.class_map or card.class_map
        return cls(loaded.name, loaded.detector, tuple(card.classes), class_map,
                   card.thresholds.conf)  # fmt: skip

    def class_ids(self, ev: EarlierEvidence) -> tuple[int, ...]:
        """The classes that stand for ``ev``'s object: its class, or one mapped to its subtype."""
        wanted = {ev.class_name} | ({c for c, s in self.class_map.items() if s == ev.subtype}
                                    if ev.subtype else set())  # fmt: skip
        return tuple(i for i, c in enumerate(self.classes) if c in wanted)


def recheck_issue(
    ev: EarlierEvidence,
    placed: Sequence[FrameOnGround],
    origin: tuple[float, float],
    load: Loader,
    detector: DetectorUse | None = None,
) -> IssueRecheck:
    """The verdict on one issue against the new flight's frames placed in the plane at
    ``origin`` (see the module doc)."""
    from pipeline.errors import HehuError
    from pipeline.ingest import read_frame

    try:
        old_meta = read_frame(Path(ev.frame_path))
    except (OSError, HehuError) as e:
        return IssueRecheck(ev, RecheckVerdict(CANNOT_TELL, f"earlier frame unreadable: {e}"))
    olds, skipped = place_frames([old_meta], origin)
    if not olds:
        why = skipped[0][1] if skipped else "not placed"
        return IssueRecheck(
            ev, RecheckVerdict(CANNOT_TELL, f"earlier frame not on the ground: {why}")
        )
    old = olds[0]
    scored = sorted(((score_pair(n, old), n) for n in placed), key=lambda s: -s[0].score)
    tries = [n for p, n in scored if p.share >= MIN_SHARE][:MAX_PAIRS]
    if not tries:
        return IssueRecheck(ev, RecheckVerdict(CANNOT_TELL, "not covered"))
    undecided = []
    for new in tries:
        result = check_pair(ev, old, new, load, detector)
        if result.verdict.verdict != CANNOT_TELL:
            return result
        undecided.append(result)
    return max(undecided, key=lambda r: r.verdict.coverage)


def check_pair(
    ev: EarlierEvidence,
    old: FrameOnGround,
    new: FrameOnGround,
    load: Loader,
    detector: DetectorUse | None = None,
) -> IssueRecheck:
    """Register ``new`` onto ``old`` and recheck the evidence box there (with ``detector``
    when it knows the object's class)."""
    import cv2

    from pipeline.change.pairing import prior_homography
    from pipeline.change.recheck import recheck_box
    from pipeline.change.register import register_pair

    old_bgr, new_bgr = load(ev.frame_path), load(new.meta.path)
    gsd = old.gsd_cm_per_px if math.isfinite(old.gsd_cm_per_px) else None
    reg = register_pair(cv2.cvtColor(new_bgr, cv2.COLOR_BGR2GRAY),
                        cv2.cvtColor(old_bgr, cv2.COLOR_BGR2GRAY),
                        nadir=max(old.off_nadir_deg, new.off_nadir_deg) < NADIR_DEG,
                        gsd_cm_per_px=gsd, prior_new_to_old=prior_homography(new, old))  # fmt: skip
    ids = detector.class_ids(ev) if detector is not None else ()
    if ids:
        verdict = recheck_box(old_bgr, new_bgr, reg, ev.box_px, detector=detector.detector,
                              class_ids=ids, min_conf=detector.min_conf)  # fmt: skip
    else:
        verdict = recheck_box(old_bgr, new_bgr, reg, ev.box_px)
    return IssueRecheck(ev, verdict, reg, new.meta.path, new_sha256=new.meta.sha256,
                        new_captured_at=new.meta.captured_at)  # fmt: skip


def write_picture(result: IssueRecheck, load: Loader, out_dir: Path, flight: str) -> IssueRecheck:
    """The before/after picture of ``result``, watermarked (new frame's time, the issue's
    position, the new ``flight``, its code, the earlier flight), as ``out_dir/<code>.jpg``;
    the result with its path and sha256 (unchanged when there is no registered pair)."""
    import dataclasses
    import hashlib

    import cv2

    from pipeline.change.recheck import before_after
    from pipeline.evidence_crops import watermark_text, with_watermark
    from pipeline.fileio import write_atomic

    if result.registration is None or result.new_path is None:
        return result
    ev = result.evidence
    image = before_after(load(ev.frame_path), load(result.new_path), result.registration, ev.box_px)
    text = watermark_text(result.new_captured_at, ev.lat_deg, ev.lon_deg, flight, ev.code)
    text += f" | recheck of {ev.flight_name[:24]}"
    ok, data = cv2.imencode(".jpg", with_watermark(image, text), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        return result
    path = out_dir / f"{ev.code}.jpg"
    write_atomic(path, data.tobytes())
    digest = hashlib.sha256(data.tobytes()).hexdigest()
    return dataclasses.replace(result, picture=str(path), picture_sha256=digest)


def cached_loader() -> Loader:
    """Decodes each frame once (full resolution BGR, stored orientation)."""
    from pipeline.detect.engine import decode_frame

    images: dict[str, np.ndarray] = {}

    def load(path: str) -> np.ndarray:
        if path not in images:
            images[path] = decode_frame(path)
        return images[path]

    return load


def recheck_flight(
    session: Any,
    plan: Any,
    out_dir: Path,
    *,
    against: str | None = None,
    detector: DetectorUse | None = None,
    skip: Collection[str] = (),
) -> FlightRecheck:
    """Recheck every open issue under the flight ``plan`` (a :class:`pipeline.flight.FlightPlan`
    after the yaw check), pictures under ``out_dir``; nothing is written to the ledger.
    ``detector``: asked on the issues whose class it knows (else appearance alone); the
    issues in ``skip`` (codes) are left out."""
    evidence = earlier_evidence(session, exclude_flight_key=plan.key, against=against)
    evidence = [e for e in evidence if e.code not in skip]
    offsets = {f.meta.sha256: f.yaw_offset_deg for f in plan.frames}
    placed, origin = place_new_flight([f.meta for f in plan.frames], offsets)
    report = FlightRecheck(plan.name, len(evidence))
    if not placed:
        return report
    load = cached_loader()
    for ev in under_footprints(evidence, placed):
        report.results.append(
            write_picture(
                recheck_issue(ev, placed, origin, load, detector), load, out_dir, plan.name
            )
        )
    return report
