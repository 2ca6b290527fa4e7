"""The process-flight flow: unit tests through ``.fn()``, then real runs on the sample flight."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from flows import process_flight as pf
from pipeline.config import load_config
from pipeline.errors import (
    BadInputError,
    ConfigError,
    RunStopped,
    TransientError,
    UnreadableFileError,
)
from pipeline.flight import PlannedFrame


def tree_digest(folder: Path) -> dict[str, tuple[str, float]]:
    """sha256 and mtime of every file under ``folder`` (to prove it was not touched)."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def ledger_rows(url: str) -> list[dict]:
    """The ledger's candidates without fields that depend on when they were written."""
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.queries import count_rows, list_issues

    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            issues = [dataclasses.asdict(i) for i in list_issues(session=session)]
            counts = count_rows(session=session)
    finally:
        engine.dispose()
    for row in issues:
        row.pop("last_seen_at", None)
    return [*issues, {"counts": {k: v for k, v in counts.items() if k != "audit_log"}}]


def test_ingest_task_plans_the_sample_flight(sample_flight) -> None:
    config = load_config(overrides={"ingest": {"yaw_check": False}})
    plan = pf.TASKS["ingest"].fn(sample_flight, config)
    assert len(plan.frames) == 5 and plan.quarantined == ()
    assert plan.key.startswith("sha256:")
    assert [len(b) for b in plan.batches(2)] == [2, 2, 1]


def test_frame_keys_follow_content_not_path_or_yaw(sample_flight) -> None:
    config = load_config(overrides={"ingest": {"yaw_check": False}})
    frame = pf.TASKS["ingest"].fn(sample_flight, config).frames[0]
    moved = dataclasses.replace(
        frame, meta=dataclasses.replace(frame.meta, path="/elsewhere/x.JPG")
    )
    turned = PlannedFrame(frame.meta, 180.0, "flipped")  # detections are in pixels
    other = dataclasses.replace(frame, meta=dataclasses.replace(frame.meta, sha256="0" * 64))
    assert pf.frame_keys((frame,)) == pf.frame_keys((moved,)) == pf.frame_keys((turned,))
    assert pf.frame_keys((frame,)) != pf.frame_keys((other,))


class _State:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def result(self, raise_on_failure: bool = True):
        raise self.error


@pytest.mark.parametrize(("error", "retry"), [(BadInputError("bad frame"), False),
                                              (UnreadableFileError("truncated"), False),
                                              (ConfigError("hehu.yaml: ledger.settings"), False),
                                              (RunStopped("stopped on request"), False),
                                              (ValueError("a bug"), False),
                                              (OSError("disk busy"), True),
                                              (ConnectionResetError("peer"), True),
                                              (TimeoutError("slow"), True),
                                              (TransientError("ledger away"), True)])  # fmt: skip
def test_only_transient_errors_are_retried(error, retry) -> None:
    assert pf.transient(None, None, _State(error)) is retry


def test_an_interrupted_run_stops_its_batches_after_their_current_frame() -> None:
    count = pf.FrameCount()
    count.start(3)
    count.frame_done()
    count.halt()  # what detect_all does when its wait for the batches is interrupted
    with pytest.raises(RunStopped, match="after 2 of 3 frames"):
        count.frame_done()
    with pytest.raises(RunStopped):
        count.check()  # a batch about to start
    count.start(3)  # the next run starts afresh
    count.check()
    count.frame_done()


@pytest.mark.slow
def test_sample_flight_twice_leaves_the_same_ledger(
    prefect_api, sample_flight, ledger_url, monkeypatch
) -> None:
    before = tree_digest(sample_flight)
    overrides = {"ledger": {"url": ledger_url}, "flow": {"frames_per_task": 2}}
    progress: list[int] = []
    monkeypatch.setattr(pf.FRAMES, "progress", lambda done, total: progress.append(done))
    first = pf.run_process_flight(str(sample_flight), None, overrides)
    assert progress == [0, 1, 2, 3, 4, 5]  # frame by frame on the thread runner
    rows = ledger_rows(ledger_url)
    progress.clear()
    second = pf.run_process_flight(str(sample_flight), None, overrides)
    assert progress == [0, 2, 4, 5]  # cached batches count when they answer
    assert ledger_rows(ledger_url) == rows
    assert first["frames"] == second["frames"] == 5
    assert set(first["seconds"]) == {"ingest", "detect", "ledger", "recheck", "evidence+report"}
    assert second["created"] == []
    assert Path(first["report"]).is_file()
    assert tree_digest(sample_flight) == before
    json.dumps(first)  # the flow's return value is JSON-ready


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_ledger_rows(
    prefect_api, sample_flight, tmp_path
) -> None:
    urls = {r: f"sqlite:///{tmp_path / (r + '.sqlite')}" for r in ("thread", "dask")}
    for runner, url in urls.items():
        flow = {"frames_per_task": 2, "task_runner": runner, "dask_workers": 2}
        overrides = {"ledger": {"url": url}, "flow": flow}
        pf.run_process_flight(str(sample_flight), None, overrides)
    assert ledger_rows(urls["dask"]) == ledger_rows(urls["thread"])
