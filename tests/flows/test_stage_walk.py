"""The ``process-flight`` flow walks ``pipeline.stages.STAGES``: one task per stage."""

from __future__ import annotations

from flows import process_flight as pf
from pipeline.stages import STAGES, Stage, StageClock


def test_every_stage_has_its_task_named_for_it_around_its_function() -> None:
    assert list(pf.TASKS) == [stage.name for stage in STAGES]
    for stage in STAGES:
        task = pf.TASKS[stage.name]
        assert task.name == stage.name
        if not stage.per_batch:
            assert task.fn is stage.run
    per_batch = next(stage for stage in STAGES if stage.per_batch)
    assert pf.TASKS["detect-batch"] is pf.detect_batch and pf.PER_BATCH.run is per_batch.run


def test_a_stage_added_to_the_list_runs_in_the_flow(prefect_api, monkeypatch) -> None:
    from prefect import flow

    def double(n: int) -> int:
        return 2 * n

    def plus_one(n: int) -> int:
        return n + 1

    fake = (
        Stage("side", "a", plus_one, ("flight_dir",), "side"),
        Stage("double", "a", double, ("side",), "doubled"),
        Stage("again", "b", double, ("doubled",), "again", retried=True),
    )
    monkeypatch.setattr(pf, "STAGES", fake)
    monkeypatch.setattr(pf, "TASKS", {stage.name: pf.stage_task(stage) for stage in fake})
    monkeypatch.setattr(pf, "Path", int)  # the walk starts from flight_dir: a number here
    config = type("Config", (), {"flow": type("Flow", (), {"retries": 0, "retry_delay_s": 0})})
    clock = StageClock()

    @flow
    def walk() -> dict:
        return pf.walk_stages("3", config, clock)

    values = walk()
    assert (values["side"], values["doubled"], values["again"]) == (4, 8, 16)
    assert set(clock.seconds) == {"a", "b"}
