"""Helpers shared by the review tests: the sample ledger, accounts, log-in, actions, reads.

:func:`build_sample_ledger` fills a ledger with :func:`push_hand_labelled_sample_flight`,
which reads the five real frames of the embedded sample flight (real sha256,
EXIF/XMP, georeference and footprints), places hand-drawn boxes on things really
in them (the round shelter, the parked cars, the shore rocks, a bench, a tree
shadow) and pushes them with the example Brighton Beach zone, as ``push_flight``
would get them from a detector.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")
SAMPLE_FRAMES = REPO / "pipeline" / "data" / "sample_flight" / "brighton-beach"
ZONES_DIR = REPO / "configs" / "zones"
MODEL_SHA = hashlib.sha256(b"hand-labelled-sample").hexdigest()

#: (frame, box x0 y0 x1 y1 in stored pixels of the 1600×900 frames, class, subtype, conf)
SAMPLE_BOXES = (
    ("DJI_0030.JPG", (796, 20, 900, 200), "shed", "luanjian.shed", 0.82),
    ("DJI_0031.JPG", (800, 400, 900, 570), "shed", "luanjian.shed", 0.79),
    ("DJI_0032.JPG", (770, 730, 870, 900), "shed", "luanjian.shed", 0.74),
    ("DJI_0030.JPG", (980, 560, 1180, 900), "rubble", "luandui.construction_waste", 0.64),
    ("DJI_0031.JPG", (1240, 320, 1600, 600), "rubble", "luandui.construction_waste", 0.57),
    ("DJI_0031.JPG", (960, 160, 1140, 380), "truck", "luancai.heavy_vehicle", 0.61),
    ("DJI_0032.JPG", (930, 480, 1110, 700), "truck", "luancai.heavy_vehicle", 0.58),
    ("DJI_0030.JPG", (340, 624, 380, 684), "scrap", "luandui.scrap", 0.31),
    ("DJI_0032.JPG", (680, 380, 880, 600), "garbage", "luandui.garbage", 0.45),
    ("DJI_0034.JPG", (1160, 370, 1290, 610), "truck", "luancai.heavy_vehicle", 0.52),
)
USERS = {
    "admin": "admin",
    "rev": "reviewer",
    "rev2": "reviewer",
    "op": "operator",
    "view": "viewer",
}


def password_of(username: str) -> str:
    return f"pw-{username}-123456"


def _ground(georef: Any, box: tuple[float, float, float, float]) -> tuple[Any, ...]:
    """Centre (lat, lon), outline ring ((lat, lon), …) and area m² of a box, or Nones."""
    import numpy as np

    from pipeline.geo.coords import geodetic_to_enu

    x0, y0, x1, y1 = box
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    pts = georef.locate(np.array([*corners, ((x0 + x1) / 2, (y0 + y1) / 2)], dtype=float))
    if not pts.hit.all():
        return None, None, None, None
    ring = [(float(a), float(b)) for a, b in zip(pts.lat_deg[:4], pts.lon_deg[:4], strict=True)]
    e, n, _ = geodetic_to_enu(
        np.array(pts.lat_deg[:4]), np.array(pts.lon_deg[:4]), np.zeros(4),
        lat0_deg=ring[0][0], lon0_deg=ring[0][1], h0_m=0.0,
    )  # fmt: skip
    area = 0.5 * abs(float(np.sum(e * np.roll(n, -1) - np.roll(e, -1) * n)))
    return float(pts.lat_deg[4]), float(pts.lon_deg[4]), (*ring, ring[0]), area


def push_hand_labelled_sample_flight(
    db_url: str, frames_dir: Path = SAMPLE_FRAMES, renamed: Mapping[str, str] | None = None
) -> Any:
    """Push the sample flight with :data:`SAMPLE_BOXES` into the ledger at ``db_url``.

    ``renamed``: sample frame name -> the name its copy has in ``frames_dir``.
    """
    from pipeline.geo.georef import georeference
    from pipeline.ingest import read_frame
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.ledger.zones import load_zones
    from pipeline.records import GroundDetection

    metas = {p.name: read_frame(p) for p in sorted(frames_dir.glob("*.JPG"))}
    georefs = {name: georeference(m) for name, m in metas.items()}
    detections = []
    for name, box, cls, subtype, conf in SAMPLE_BOXES:
        copy = (renamed or {}).get(name, name)
        meta = metas[copy]
        lat, lon, ring, area = _ground(georefs[copy], box)
        detections.append(
            GroundDetection(
                frame_sha256=meta.sha256,
                frame_path=str(meta.path),
                model="hand-labelled",
                model_sha256=MODEL_SHA,
                class_name=cls,
                subtype=subtype,
                conf=conf,
                xyxy_px=box,
                lat_deg=lat,
                lon_deg=lon,
                footprint=ring,
                area_m2=area,
                captured_at=meta.captured_at,
            )
        )
    footprints = {m.sha256: georefs[n].footprint() for n, m in metas.items()}
    engine = make_engine(db_url)
    try:
        return push_flight(
            session_factory=make_session_factory(engine),
            flight=FlightRef(key="sample-brighton-2016-06-23", name="Brighton 2016-06-23"),
            frames=list(metas.values()),
            detections=detections,
            zones=load_zones(ZONES_DIR),
            footprints=footprints,
        )
    finally:
        engine.dispose()


def add_users(db_url: str, hasher: Any) -> None:
    from pipeline.review.accounts import create_user
    from pipeline.review.store import open_db

    db = open_db(db_url)
    try:
        with db.write() as session:
            for name, role in USERS.items():
                create_user(
                    session=session, hasher=hasher, username=name, role=role,
                    password=password_of(name), actor="test",
                )  # fmt: skip
    finally:
        db.dispose()


def run_flight_available() -> bool:
    """Whether the processing side (``pipeline.stages.run_flight``) and its models are here."""
    try:
        from pipeline.stages import run_flight  # noqa: F401
    except ImportError:
        return False
    return (REPO / "models").is_dir() and any((REPO / "models").glob("*/card.yaml"))


def run_sample_flight(db_url: str, state_dir: Path, frames_dir: Path = SAMPLE_FRAMES) -> Any:
    """``pipeline.stages.run_flight`` on the sample flight into ``db_url``, state in ``state_dir``.

    Evidence crops and the report land in ``state_dir`` (``$HEHU_HOME`` is set
    for the call and restored after).
    """
    import os

    from pipeline.config import load_config
    from pipeline.stages import run_flight

    overrides = {
        "ledger": {"url": db_url, "zones": str(ZONES_DIR)},
        "report": {"out_dir": str(state_dir / "reports")},
        # exact f32 on every CPU: OpenVINO's bf16 finds one more faint river-debris box
        "detect": {"backend": "onnx"},
    }
    before = os.environ.get("HEHU_HOME")
    os.environ["HEHU_HOME"] = str(state_dir)
    try:
        return run_flight(frames_dir, load_config(None, overrides))
    finally:
        if before is None:
            os.environ.pop("HEHU_HOME", None)
        else:
            os.environ["HEHU_HOME"] = before


def build_sample_ledger(db_url: str) -> None:
    """A migrated ledger at ``db_url`` holding the sample flight's hand-placed candidates.

    Hand-placed, not detected: what the shipped models find on the sample (ideally
    nothing: it holds no 四乱) must not decide what the review tests can test.
    ``run_sample_flight`` covers the really processed path
    (``test_review_processed.py``).
    """
    import pipeline.review.models  # noqa: F401  (the review tables are part of the schema)
    from pipeline.ledger.db import make_engine, upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    push_hand_labelled_sample_flight(db_url)


CSRF = re.compile(r'data-csrf="([^"]+)"')


def csrf_of(client: Any) -> str:
    """The CSRF token of the client's session, read from a page like a browser would."""
    match = CSRF.search(client.get("/queue").text)
    assert match, "no CSRF token on the queue page"
    return match.group(1)


def log_in(client: Any, username: str, password: str | None = None) -> Any:
    page = client.get("/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/login",
        data={"username": username, "password": password or password_of(username),
              "csrf_token": token, "next": "/queue"},
        follow_redirects=False,
    )  # fmt: skip


def read(db_url: str, query: Callable[[Any], T]) -> T:
    """``query(session)`` in a read transaction of the ledger at ``db_url``."""
    from pipeline.review.store import open_db

    db = open_db(db_url)
    try:
        with db.read() as session:
            return query(session)
    finally:
        db.dispose()


def candidate_codes(db_url: str) -> list[str]:
    from sqlalchemy import select

    from pipeline.ledger.models import Issue

    query = select(Issue.code).where(Issue.status == "candidate").order_by(Issue.code)
    return read(db_url, lambda session: list(session.scalars(query)))


def issue(db_url: str, code: str) -> Any:
    from pipeline.ledger.workflow import get_issue

    return read(db_url, lambda session: get_issue(session=session, code=code))


def issue_version(db_url: str, code: str) -> int:
    return int(issue(db_url, code).version)


def history(db_url: str, code: str) -> Any:
    from pipeline.ledger.audit import history as ledger_history

    return read(
        db_url, lambda session: ledger_history(session=session, entity="issue", entity_key=code)
    )


def act(client, db_url, code, action, version=None, files=None, **fields):
    data = {"csrf_token": client.csrf, **fields}
    data["version"] = issue_version(db_url, code) if version is None else version
    return client.post(f"/issues/{code}/{action}", data=data, files=files, follow_redirects=False)


def merged_issue(db_url: str) -> tuple[str, list[int]]:
    """A candidate with at least two sightings, and their detection ids."""
    from sqlalchemy import func, select

    from pipeline.ledger.models import Evidence, Issue

    def query(session: Any) -> tuple[str, list[int]]:
        code = session.scalars(
            select(Issue.code).join(Evidence, Evidence.issue_id == Issue.id)
            .where(Issue.status == "candidate").group_by(Issue.code)
            .having(func.count() >= 2).order_by(Issue.code)
        ).first()  # fmt: skip
        ids = session.scalars(
            select(Evidence.detection_id).join(Issue).where(Issue.code == code)
            .order_by(Evidence.detection_id)
        ).all()  # fmt: skip
        return code, list(ids)

    return read(db_url, query)
