"""Builders and snapshots shared by the ledger tests and their spawned worker processes.

Inputs are made directly (no images): a detection is placed ``east_m``/``north_m``
metres from a base point on the Brighton Beach shore, inside the example zone.
"""

from __future__ import annotations

import hashlib
import math
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.records import FrameMeta, GpsFix, GroundDetection

BASE_LAT, BASE_LON = 46.84268, -91.99401  # middle of configs/zones/example_brighton_beach.geojson
OUTSIDE_LAT, OUTSIDE_LON = 46.8500, -91.9800  # ~1.3 km away: outside the example zone
ZONES_DIR = Path(__file__).resolve().parents[2] / "configs" / "zones"
MODEL_SHA = hashlib.sha256(b"test-model").hexdigest()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def offset(
    east_m: float, north_m: float, lat0: float = BASE_LAT, lon0: float = BASE_LON
) -> tuple[float, float]:
    """``(lat, lon)`` of a point ``east_m``, ``north_m`` from ``(lat0, lon0)``."""
    r = 6_371_008.8
    return (
        lat0 + math.degrees(north_m / r),
        lon0 + math.degrees(east_m / (r * math.cos(math.radians(lat0)))),
    )


DATELINE_LAT = 65.0


def dateline(east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    """``(lat, lon)`` ``east_m`` east of longitude 180° (west of it when negative), wrapped."""
    lat, lon = offset(east_m, north_m, DATELINE_LAT, 180.0)
    return lat, lon - 360.0 if lon > 180.0 else lon


def det(
    frame: str,
    east_m: float = 0.0,
    north_m: float = 0.0,
    *,
    subtype: str | None = "luandui.garbage_pile",
    conf: float = 0.8,
    box: tuple[float, float, float, float] = (100, 100, 160, 150),
    area_m2: float | None = 12.0,
    when: str = "2024-05-01T10:00:00",
    cls: str = "garbage",
    at: tuple[float, float] | None = None,
    georeferenced: bool = True,
) -> GroundDetection:
    """A detection in frame ``frame`` (a name; its sha256 is derived) at the given ground offset."""
    lat, lon = at or offset(east_m, north_m)
    return GroundDetection(
        frame_sha256=sha(frame),
        frame_path=f"/flights/{frame}.JPG",
        model="hehu-test-v1",
        model_sha256=MODEL_SHA,
        class_name=cls,
        subtype=subtype,
        conf=conf,
        xyxy_px=box,
        lat_deg=lat if georeferenced else None,
        lon_deg=lon if georeferenced else None,
        footprint=None,
        area_m2=area_m2,
        captured_at=when,
    )


def frame(
    name: str, east_m: float = 0.0, north_m: float = 0.0, when: str = "2024-05-01T10:00:00"
) -> FrameMeta:
    lat, lon = offset(east_m, north_m)
    return FrameMeta(
        path=f"/flights/{name}.JPG",
        sha256=sha(name),
        size_bytes=1000,
        media_type="image/jpeg",
        width_px=4000,
        height_px=2250,
        captured_at=when,
        model="FC300S",
        gps=GpsFix(lat, lon, 40.0),
    )


def flight_inputs(spec: str) -> tuple[Any, list[FrameMeta], list[GroundDetection]]:
    """Named test flights, rebuilt identically in any process.

    ``"A"``: two garbage piles 40 m apart (three frames see the first, two the
    second), an excavator beside the first, a context-only car and one box in
    a frame that could not be georeferenced.
    ``"R1"`` … ``"R4"``: four flights on four days, each seeing the same three
    objects from two frames, positions scattered by up to 3 m.
    """
    from pipeline.ledger.flight_rows import FlightRef

    if spec == "A":
        names = ["A_0001", "A_0002", "A_0003", "A_0004"]
        dets = [
            det("A_0001", 0.0, 0.0, conf=0.91),
            det("A_0002", 2.5, -1.0, conf=0.85),
            det("A_0003", -1.5, 2.0, conf=0.77, box=(10, 20, 80, 90)),
            det("A_0003", 40.0, 0.0, conf=0.66),
            det("A_0004", 41.0, 2.0, conf=0.7),
            det(
                "A_0002",
                1.0,
                1.0,
                subtype="luancai.excavator",
                cls="excavator",
                conf=0.8,
                area_m2=15.0,
            ),
            det("A_0001", 5.0, 5.0, subtype=None, cls="car", box=(300, 300, 340, 330)),
            det("A_0004", 0.0, 0.0, box=(5, 5, 9, 9), georeferenced=False),
        ]
        return FlightRef(key="flight-A", name="A"), [frame(n) for n in names], dets
    if spec in ("R1", "R2", "R3", "R4"):
        i = int(spec[1])
        when = f"2024-05-0{i}T10:00:00"
        jitter = [(0.0, 0.0), (2.0, -1.0), (-1.5, 2.5), (3.0, 0.5)][i - 1]
        dets = []
        for j, (east, north, sub) in enumerate(
            [
                (0, 0, "luandui.garbage_pile"),
                (60, 30, "luandui.garbage_pile"),
                (-50, -20, "luanjian.shed"),
            ]
        ):
            for k in range(2):
                name = f"{spec}_{j}{k}"
                dets.append(
                    det(
                        name,
                        east + jitter[0] + k,
                        north + jitter[1],
                        subtype=sub,
                        when=when,
                        conf=0.6 + 0.1 * k,
                        cls=sub.split(".")[1],
                    )
                )
        frames = [frame(d.frame_path.rsplit("/", 1)[1][:-4], when=when) for d in dets]
        return FlightRef(key=f"flight-{spec}", name=spec), frames, dets
    raise KeyError(spec)


TABLES = (
    "flight",
    "frame",
    "detection",
    "issue",
    "evidence",
    "evidence_file",
    "code_sequence",
    "audit_log",
)


def raw_snapshot(engine: Any) -> dict[str, list[tuple]]:
    """Every row of every table, ids and timestamps included."""
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1")]
            for t in TABLES
        }


def canonical_snapshot(engine: Any) -> dict[str, list[tuple]]:
    """Every table by natural keys: no surrogate ids, no wall-clock times (comparable)."""
    queries = {
        "flight": "SELECT key, name, source_dir, started_at, ended_at FROM flight",
        "frame": (
            "SELECT f.sha256, fl.key, f.path, f.captured_at, f.lat_deg, f.lon_deg "
            "FROM frame f JOIN flight fl ON fl.id = f.flight_id"
        ),
        "detection": (
            "SELECT f.sha256, d.model_sha256, d.class_name, d.qx0, d.qy0, d.qx1, d.qy1, "
            "d.subtype, d.conf, d.lat_deg, d.lon_deg, d.area_m2 "
            "FROM detection d JOIN frame f ON f.id = d.frame_id"
        ),
        "issue": (
            "SELECT i.code, i.type, i.subtype, i.status, i.lat_deg, i.lon_deg, i.area_m2, "
            "i.severity, i.in_zone, i.division_code, i.river_name, i.discovered_at, fl.key, "
            "i.rebound, i.version FROM issue i LEFT JOIN flight fl ON fl.id = i.first_flight_id"
        ),
        "evidence": (
            "SELECT i.code, f.sha256, d.class_name, d.qx0, d.qy0, fl.key, e.kind "
            "FROM evidence e JOIN issue i ON i.id = e.issue_id "
            "JOIN detection d ON d.id = e.detection_id "
            "JOIN frame f ON f.id = d.frame_id JOIN flight fl ON fl.id = e.flight_id"
        ),
        "code_sequence": "SELECT division_code, year, last_seq FROM code_sequence",
        "audit_log": (
            "SELECT actor, entity, entity_key, field, old_value, new_value, note FROM audit_log"
        ),
    }
    with engine.connect() as conn:
        return {
            t: sorted((tuple(r) for r in conn.exec_driver_sql(q)), key=repr)
            for t, q in queries.items()
        }


def issue_groups(engine: Any) -> set[tuple[str, frozenset[str]]]:
    """Each issue as (type, the frame names of its evidence): independent of push order."""
    sql = (
        "SELECT i.code, i.type, f.path FROM evidence e JOIN issue i ON i.id = e.issue_id "
        "JOIN detection d ON d.id = e.detection_id JOIN frame f ON f.id = d.frame_id"
    )
    groups: dict[tuple[str, str], set[str]] = {}
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(sql).all()
    for code, kind, path in rows:
        groups.setdefault((code, kind), set()).add(path.rsplit("/", 1)[1])
    return {(kind, frozenset(paths)) for (_, kind), paths in groups.items()}


# --- worker side (runs in spawned processes) --------------------------------------------

_BARRIER: Any = None


def init_worker(barrier: Any) -> None:
    global _BARRIER
    _BARRIER = barrier


def push_worker(url: str, spec: str, zones_dir: str) -> str | None:
    """Push one named flight after every worker is ready; returns a traceback on failure."""
    try:
        from pipeline.ledger.db import make_engine, make_session_factory
        from pipeline.ledger.push import push_flight
        from pipeline.ledger.zones import load_zones

        flight, frames, dets = flight_inputs(spec)
        zones = load_zones(zones_dir)
        engine = make_engine(url)
        try:
            _BARRIER.wait(timeout=60)
            push_flight(
                session_factory=make_session_factory(engine),
                flight=flight,
                frames=frames,
                detections=dets,
                zones=zones,
            )
        finally:
            engine.dispose()
    except Exception:
        return traceback.format_exc()
    return None


def upgrade_worker(url: str) -> str | None:
    """Run ``upgrade head`` after every worker is ready; returns a traceback on failure."""
    try:
        from pipeline.ledger.db import make_engine, upgrade

        engine = make_engine(url)
        try:
            _BARRIER.wait(timeout=60)
            upgrade(engine)
        finally:
            engine.dispose()
    except Exception:
        return traceback.format_exc()
    return None


def run_concurrently(pool: Any, url: str, specs: Sequence[str], zones_dir: str) -> None:
    """Run ``push_worker`` for each spec on the 4-process pool at once; raise on any failure."""
    results = [pool.apply_async(push_worker, (url, spec, zones_dir)) for spec in specs]
    errors = [e for e in (r.get(timeout=120) for r in results) if e]
    assert not errors, "\n".join(errors)
