"""Migration 0009: the field_check table, one row per phone submission, and its downgrade."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from pipeline.ledger.db import current_revision, downgrade, make_engine, upgrade

ROW = (
    "INSERT INTO field_check (issue_id, verdict, actor, at_utc, sha256, stored_name, "
    "media_type, photo_status, client_key) VALUES ((SELECT min(id) FROM issue), :verdict, 'p', "
    "CURRENT_TIMESTAMP, 's', 'n', 'image/jpeg', :status, :key)"
)
ISSUE = (
    "INSERT INTO issue (code, type, division_code, lat_deg, lon_deg, discovery_method, status, "
    "version, rebound, rebound_count, in_zone, created_at_utc, updated_at_utc) VALUES "
    "('990101-2026-0001', 'luandui', '990101', 30, 120, 'drone', 'assigned', 1, false, 0, false, "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def test_0009_adds_field_checks_once_per_key_and_downgrades(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0009")
        assert "field_check" in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.execute(text(ISSUE))
            conn.execute(text(ROW), {"verdict": "rectified", "status": "verified", "key": "k1"})
        for values in ({"verdict": "problem", "status": "no_gps", "key": "k1"},  # same key
                       {"verdict": "maybe", "status": "no_gps", "key": "k2"},
                       {"verdict": "problem", "status": "near", "key": "k3"}):  # fmt: skip
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(ROW), values)
        downgrade(engine, "0008")
        assert "field_check" not in inspect(engine).get_table_names()
        assert current_revision(engine) == "0008"
    finally:
        engine.dispose()
