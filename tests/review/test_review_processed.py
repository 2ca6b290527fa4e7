"""A flight really processed by the shipped models can be reviewed end to end.

The other review tests run on hand-placed boxes (:mod:`review_helpers`), so they do
not depend on what a model happens to find on the sample flight; this one runs
``pipeline.stages.run_flight`` on the embedded sample and opens what it filed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.review.review_helpers import (
    add_users,
    candidate_codes,
    log_in,
    run_flight_available,
    run_sample_flight,
)


@pytest.mark.slow
@pytest.mark.skipif(not run_flight_available(), reason="needs the processing side and models")
def test_a_processed_sample_flight_is_reviewable(make_app, hasher, tmp_path: Path) -> None:
    from pipeline.ledger.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'processed.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    summary = run_sample_flight(url, tmp_path / "home")
    add_users(url, hasher)
    codes = candidate_codes(url)
    assert sorted(codes) == sorted(summary.created)
    # The sample is a lakeside park with no 四乱; its submerged rock is too faint to be
    # floating garbage, so nothing reaches the queue; the frames are in the ledger.
    assert codes == [] and summary.gates.dropped_faint == {"river-debris": 1}
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM frame").scalar() == 5
    engine.dispose()
    with TestClient(make_app(url), headers={"accept": "text/html"}) as client:
        assert log_in(client, "rev").status_code == 303
        queue = client.get("/queue")
        assert queue.status_code == 200 and "没有符合条件的问题" in queue.text
