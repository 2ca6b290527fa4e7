"""New change (新增变化) between flights: ground that differs, inside the management zones.

:func:`find_changes` pairs each frame of a new flight with the earlier frame (of
another flight in the ledger) that covers most of its ground
(:func:`pipeline.change.pairing.score_pair`), registers the pair with the geotags'
prior, and compares it (:func:`pipeline.change.compare.compare`, locally normalised
colours: blind to light, gain and offset). Pairs over the 2 px rule between dates
are not compared: misregistration would read as change. Changed regions of at least
``min_area_m2`` (100 m² by default, the offices' smallest mapped patch) whose centre
falls inside a management zone are kept, each with its position, area and a
watermarked before/after picture. :meth:`ChangeFound.to_record` is what the ledger
files as a 新增变化 candidate (:func:`pipeline.change.record.file_flight_changes`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.change.flight_recheck import Loader, place_new_flight
from pipeline.change.pairing import MIN_SHARE, FrameOnGround, place_frames, score_pair
from pipeline.change.regions import MIN_AREA_M2, ChangeRegion


@dataclass(frozen=True)
class ChangeFound:
    """One changed region of a new frame against an earlier one, inside a zone."""

    new_path: str
    old_path: str
    region: ChangeRegion
    lat_deg: float
    lon_deg: float
    zone_id: str
    residual_px: float
    picture: str | None = None
    picture_sha256: str | None = None
    new_sha256: str | None = None
    old_sha256: str | None = None

    def to_record(self) -> Any:
        """The change as the ledger files it (:class:`pipeline.ledger.changes.ChangeRecord`)."""
        from pipeline.ledger.changes import ChangeRecord

        if not (self.new_sha256 and self.old_sha256 and self.picture and self.picture_sha256):
            raise ValueError("a change is filed with both frames' sha256 and its picture")
        return ChangeRecord(self.new_sha256, self.old_sha256, self.region.xyxy_px,
                            self.region.area_m2, self.lat_deg, self.lon_deg, self.residual_px,
                            self.picture, self.picture_sha256)  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return {"new_frame": self.new_path, "earlier_frame": self.old_path,
                **self.region.to_dict(), "lat_deg": round(self.lat_deg, 7),
                "lon_deg": round(self.lon_deg, 7), "zone": self.zone_id,
                "residual_px": round(self.residual_px, 2), "picture": self.picture,
                "picture_sha256": self.picture_sha256}  # fmt: skip


def earlier_frames(session: Any, plan: Any, margin_deg: float = 0.01) -> list[Any]:
    """Readable frames of other flights in the ledger near the new flight's geotags."""
    from sqlalchemy import select

    from pipeline.errors import HehuError
    from pipeline.ingest import read_frame
    from pipeline.ledger.models import Flight, Frame

    fixes = [f.meta.gps for f in plan.frames if f.meta.gps is not None]
    if not fixes:
        return []
    lats, lons = [g.lat_deg for g in fixes], [g.lon_deg for g in fixes]
    query = (select(Frame).join(Flight, Flight.id == Frame.flight_id)
             .where(Flight.key != plan.key,
                    Frame.lat_deg.between(min(lats) - margin_deg, max(lats) + margin_deg),
                    Frame.lon_deg.between(min(lons) - margin_deg, max(lons) + margin_deg),
                    Frame.sha256.not_in([f.meta.sha256 for f in plan.frames]))
             .order_by(Frame.id))  # fmt: skip
    metas = []
    for frame in session.scalars(query):
        try:
            metas.append(read_frame(Path(frame.open_path)))
        except (OSError, HehuError):
            continue
    return metas


def best_earlier(new: FrameOnGround, olds: Sequence[FrameOnGround]) -> FrameOnGround | None:
    scored = [(score_pair(new, o), o) for o in olds]
    scored = [(p, o) for p, o in scored if p.share >= MIN_SHARE]
    return max(scored, key=lambda s: s[0].score)[1] if scored else None


def regions_of(new, old, load: Loader, zones, min_area_m2: float) -> tuple[Any, list]:
    """The registration of ``new`` onto ``old`` and its changed regions inside ``zones``,
    each with ``(lat, lon, zone id)``; no regions when the pair is over the 2 px rule."""
    import cv2

    from pipeline.change.compare import compare
    from pipeline.change.pairing import prior_homography
    from pipeline.change.regions import change_regions
    from pipeline.change.register import NADIR_DEG, register_pair
    from pipeline.ledger.zones import find_zone

    old_bgr, new_bgr = load(old.meta.path), load(new.meta.path)
    reg = register_pair(cv2.cvtColor(new_bgr, cv2.COLOR_BGR2GRAY),
                        cv2.cvtColor(old_bgr, cv2.COLOR_BGR2GRAY),
                        nadir=max(old.off_nadir_deg, new.off_nadir_deg) < NADIR_DEG,
                        gsd_cm_per_px=new.gsd_cm_per_px,
                        prior_new_to_old=prior_homography(new, old))  # fmt: skip
    if not reg.ok or not reg.meets_rule:
        return reg, []
    placed: dict[int, tuple[float, float, str]] = {}

    def inside(region: ChangeRegion) -> bool:
        pts = new.georef.locate(np.array([region.centroid_px]))
        if not pts.hit[0]:
            return False
        zone = find_zone(zones, float(pts.lat_deg[0]), float(pts.lon_deg[0]))
        if zone is None:
            return False
        placed[id(region)] = (float(pts.lat_deg[0]), float(pts.lon_deg[0]), zone.zone_id)
        return True

    cmp = compare(old_bgr, new_bgr, reg.new_to_old, gsd_cm_per_px=new.gsd_cm_per_px)
    regions = change_regions(cmp, gsd_cm_per_px=new.gsd_cm_per_px, min_area_m2=min_area_m2,
                             zone=inside)  # fmt: skip
    return reg, [(r, *placed[id(r)]) for r in regions]


def picture_of(found: ChangeFound, reg, load: Loader, out_dir: Path, flight: str, k: int):
    """``(path, sha256)`` of the watermarked before/after picture of one change."""
    import cv2

    from pipeline.change.recheck import before_after
    from pipeline.change.register import apply_h
    from pipeline.evidence_crops import watermark_text, with_watermark
    from pipeline.fileio import write_atomic

    x0, y0, x1, y1 = found.region.xyxy_px
    corners = apply_h(reg.new_to_old, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    box = (*corners.min(axis=0).tolist(), *corners.max(axis=0).tolist())
    image = before_after(load(found.old_path), load(found.new_path), reg, tuple(box))
    area = found.region.area_m2 or 0.0
    text = watermark_text(None, found.lat_deg, found.lon_deg, flight, f"change {k}")
    picture = with_watermark(image, f"{text} | {area:.0f} m2 in {found.zone_id[:24]}")
    data = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    path = out_dir / f"change-{k:03d}.jpg"
    write_atomic(path, data)
    return str(path), hashlib.sha256(data).hexdigest()


def find_changes(session: Any, plan: Any, zones: Sequence[Any], out_dir: Path, *,
                 min_area_m2: float = MIN_AREA_M2) -> list[ChangeFound]:  # fmt: skip
    """New changes of the flight ``plan`` against the ledger's earlier frames (module doc)."""
    import dataclasses

    from pipeline.change.flight_recheck import cached_loader

    offsets = {f.meta.sha256: f.yaw_offset_deg for f in plan.frames}
    placed, origin = place_new_flight([f.meta for f in plan.frames], offsets)
    olds = place_frames(earlier_frames(session, plan), origin)[0] if placed and zones else []
    load, found = cached_loader(), []
    for new in placed:
        old = best_earlier(new, olds)
        if old is None:
            continue
        reg, regions = regions_of(new, old, load, zones, min_area_m2)
        for region, lat, lon, zone_id in regions:
            change = ChangeFound(new.meta.path, old.meta.path, region, lat, lon, zone_id,
                                 reg.residual_px, new_sha256=new.meta.sha256,
                                 old_sha256=old.meta.sha256)  # fmt: skip
            path, digest = picture_of(change, reg, load, out_dir, plan.name, len(found) + 1)
            found.append(dataclasses.replace(change, picture=path, picture_sha256=digest))
    return found
