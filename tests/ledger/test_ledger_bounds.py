"""Strings from files are bounded to the ledger's columns: a push never fails on their length."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from pipeline.ledger.bounds import MARK, fit
from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.models import Detection, Flight, Frame, Issue
from pipeline.ledger.push import push_flight
from tests.ledger.ledger_helpers import det, frame, raw_snapshot

LONG_MODEL = "FC6310 " + "R" * 200  # an EXIF Model far over the frame table's 64 characters


def hostile_flight() -> tuple[FlightRef, list, list]:
    frames = [
        replace(frame("L_0001"), model=LONG_MODEL, make="DJI" * 100),
        replace(frame("L_0002", 3.0), model="FC6310\x00junk"),
    ]
    long_class = "垃" * 150
    dets = [
        replace(
            det("L_0001", subtype="luandui." + "x" * 300, cls=long_class + "a"),
            model="river-debris-" + "v" * 300,
        ),
        replace(det("L_0001", cls=long_class + "b"), model="river-debris-" + "v" * 300),
        det("L_0002", 3.0),
    ]
    flight = FlightRef(key="sha256:" + "f" * 200, name="航次" * 200, source_dir="/d/" + "x" * 900)
    return flight, frames, dets


def test_a_flight_with_overlong_strings_pushes(session_factory, zones, engine) -> None:
    flight, frames, dets = hostile_flight()
    push = dict(session_factory=session_factory, flight=flight, frames=frames, detections=dets)
    result = push_flight(**push, zones=zones, model_frames={dets[0].model: [frames[0].sha256]})
    assert result.detections == 3 and result.created
    before = raw_snapshot(engine)
    push_flight(**push, zones=zones)  # the same flight again: bounded keys still match
    assert raw_snapshot(engine) == before
    with session_factory() as session:
        models = session.scalars(select(Frame.camera_model).order_by(Frame.path)).all()
        classes = session.scalars(select(Detection.class_name)).all()
        names = session.scalars(select(Detection.model)).all()
        flights = session.execute(select(Flight.key, Flight.name, Flight.source_dir)).all()
        subtypes = session.scalars(select(Issue.subtype)).all()
    assert len(models[0]) == 64 and models[0].startswith("FC6310 RRR") and MARK in models[0]
    assert models[1] == "FC6310junk"  # PostgreSQL refuses NUL characters in text
    assert len(set(classes)) == 3 and all(len(c) <= 128 for c in classes)  # still distinct
    assert all(len(n) <= 128 for n in names) and all(len(s or "") <= 128 for s in subtypes)
    key, name, source_dir = flights[0]
    assert (len(key), len(name), source_dir) == (128, 255, flight.source_dir)  # Text: whole


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        (None, 8, None),
        ("FC6310", 8, "FC6310"),
        ("FC6310\x00", 8, "FC6310"),
        ("12345678", 8, "12345678"),
    ],
)
def test_fit_keeps_what_fits(value, limit, expected) -> None:
    assert fit(value, limit) == expected


def test_fit_cuts_with_a_marker_and_keeps_distinct_values_distinct() -> None:
    a, b = fit("x" * 100 + "a", 32), fit("x" * 100 + "b", 32)
    assert len(a) == len(b) == 32 and a != b
    assert a.startswith("x" * 16) and MARK in a
    assert fit("x" * 100 + "a", 32) == a  # the same value always gives the same cut


def test_a_whole_flight_with_an_overlong_camera_model_runs(db_url, tmp_path, monkeypatch) -> None:
    import pipeline.detect.engine as engine
    import pipeline.run as stages
    from pipeline.config import load_config
    from pipeline.stages import run_flight
    from tests.ingest.synth import write_jpeg

    flight = tmp_path / "flight"
    flight.mkdir()
    for i in range(3):
        write_jpeg(flight / f"DJI_{i:04d}.JPG", 400, 300, lat=30.5928, lon=114.3055 + i * 1e-5,
                   seed=i, make="DJI" * 40, model=LONG_MODEL)  # fmt: skip
    monkeypatch.setattr(stages, "load_detectors", lambda config: [])  # no model weights needed
    monkeypatch.setattr(engine, "detect_frame", lambda image, models, **kw: {})
    config = load_config(None, {"ledger": {"url": db_url}})
    summary = run_flight(flight, config)
    assert summary.frames == 3
    from pipeline.ledger.db import make_engine

    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            models = conn.exec_driver_sql("SELECT camera_model FROM frame").scalars().all()
    finally:
        eng.dispose()
    assert len(models) == 3 and all(len(m) == 64 and MARK in m for m in models)
