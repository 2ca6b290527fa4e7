"""Four real processes (spawned) pushing at once leave exactly the rows one push leaves.

The workers start together (a barrier), so on PostgreSQL their inserts
contend on the same unique-index entries and their assignments on the
advisory lock; on SQLite they queue on the write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from pipeline.ledger.db import make_engine, make_session_factory
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import list_issues
from tests.ledger.ledger_helpers import (
    ZONES_DIR,
    canonical_snapshot,
    issue_groups,
    run_concurrently,
)


def _sequential(url: str, specs, zones) -> None:
    from tests.ledger.ledger_helpers import flight_inputs

    engine = make_engine(url)
    factory = make_session_factory(engine)
    for spec in specs:
        flight, frames, dets = flight_inputs(spec)
        push_flight(
            session_factory=factory, flight=flight, frames=frames, detections=dets, zones=zones
        )
    engine.dispose()


def _snapshot(url: str):
    engine = make_engine(url)
    try:
        return canonical_snapshot(engine), issue_groups(engine)
    finally:
        engine.dispose()


def test_the_same_flight_from_four_processes(make_db, spawn_pool, zones) -> None:
    together, alone = make_db(), make_db()
    run_concurrently(spawn_pool, together, ["A"] * 4, str(ZONES_DIR))
    _sequential(alone, ["A"], zones)
    got, expected = _snapshot(together), _snapshot(alone)
    assert got == expected
    assert len(got[0]["issue"]) == 3 and len(got[0]["detection"]) == 8


def test_four_overlapping_flights_from_four_processes(make_db, spawn_pool, zones) -> None:
    """Four flights over the same three objects: three issues, each with all 8 frames, codes 1-3."""
    url = make_db()
    run_concurrently(spawn_pool, url, ["R1", "R2", "R3", "R4"], str(ZONES_DIR))
    snapshot, groups = _snapshot(url)
    assert sorted(kind for kind, _ in groups) == ["luandui", "luandui", "luanjian"]
    assert all(len(frames) == 8 for _, frames in groups)
    assert snapshot["code_sequence"] == [("990101", 2024, 3)]
    assert sorted(row[0] for row in snapshot["issue"]) == [f"990101-2024-000{i}" for i in (1, 2, 3)]
    kinds = sorted(row[-1] for row in snapshot["evidence"])
    assert kinds == ["first"] * 6 + ["recurrence"] * 18
    # the same grouping as any sequential order
    reference = make_db()
    _sequential(reference, ["R3", "R1", "R4", "R2"], zones)
    assert _snapshot(reference)[1] == groups
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        assert {v.flights for v in list_issues(session=session)} == {4}
    engine.dispose()


def test_four_processes_creating_the_database_at_once(empty_db_url, spawn_pool) -> None:
    from pipeline.ledger.db import check_schema
    from tests.ledger.ledger_helpers import upgrade_worker

    results = [spawn_pool.apply_async(upgrade_worker, (empty_db_url,)) for _ in range(4)]
    errors = [e for e in (r.get(timeout=120) for r in results) if e]
    assert not errors, "\n".join(errors)
    engine = make_engine(empty_db_url)
    check_schema(engine)
    engine.dispose()


def test_new_sqlite_files_opened_by_four_processes_at_once(tmp_path, spawn_pool) -> None:
    """Switching a new file to WAL races (SQLite answers "locked" at once, no busy wait).

    Before the switch was retried, about one round in four failed here; eight
    rounds make a regression all but certain to show.
    """
    from tests.ledger.ledger_helpers import upgrade_worker

    for round_ in range(8):
        url = f"sqlite:///{tmp_path / f'ledger{round_}.sqlite'}"
        results = [spawn_pool.apply_async(upgrade_worker, (url,)) for _ in range(4)]
        errors = [e for e in (r.get(timeout=120) for r in results) if e]
        assert not errors, f"round {round_}:\n" + "\n".join(errors)
