"""``pipeline.stages``: one list of a flight's stages, walked in order by ``run_flight``."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipeline import stages
from pipeline.stages import STAGES, Stage


def test_each_stage_takes_only_what_an_earlier_one_gives() -> None:
    given = {"flight_dir", "config"}
    for stage in STAGES:
        missing = set(stage.takes) - given
        assert not missing, f"{stage.name} takes {missing} before any stage gives it"
        assert stage.gives not in given, f"{stage.name} gives {stage.gives} again"
        given.add(stage.gives)
    assert {"plan", "result", "pushed", "evidence", "report"} <= given  # what summary_of reads


def test_names_are_unique_and_one_stage_runs_per_batch() -> None:
    names = [stage.name for stage in STAGES]
    assert len(names) == len(set(names))
    assert [s.name for s in STAGES if s.per_batch] == ["detect-batch"]
    assert {s.clock for s in STAGES} == {"ingest", "detect", "ledger", "recheck", "evidence+report"}


def _recorded(calls: list, name: str, out):
    def run(*args, on_frame=None, **keywords):
        calls.append((name, args, on_frame is not None, keywords))
        for _ in args[0] if on_frame else ():  # a batch: one call a frame
            on_frame()
        return out

    return run


def test_run_flight_walks_the_list_in_order_whatever_it_holds(monkeypatch, tmp_path) -> None:
    calls: list = []
    plan = SimpleNamespace(frames=(1, 2, 3), batches=lambda size: [(1, 2), (3,)][:size],
                           ground="the plan's ground")  # fmt: skip
    config = SimpleNamespace(flow=SimpleNamespace(frames_per_task=2))
    fake = (
        Stage("plan", "first", _recorded(calls, "plan", plan), ("flight_dir", "config"), "plan"),
        Stage(
            "each",
            "first",
            _recorded(calls, "each", "part"),
            ("plan", "config"),
            "parts",
            per_batch=True,
            batch_keywords=("ground",),
        ),
        Stage("new", "second", _recorded(calls, "new", "done"), ("parts",), "new"),
    )
    monkeypatch.setattr(stages, "STAGES", fake)
    monkeypatch.setattr(stages, "merge_batches", list)
    monkeypatch.setattr(stages, "summary_of", lambda values, seconds: (values, seconds))
    progress: list[tuple[int, int]] = []

    values, seconds = stages.run_flight(tmp_path, config, progress=lambda *p: progress.append(p))
    assert [call[0] for call in calls] == ["plan", "each", "each", "new"]
    assert calls[1][1] == ((1, 2), config) and calls[1][2]  # a batch's frames, with on_frame
    assert calls[1][3] == {"ground": "the plan's ground"}  # and the plan's fields it asks for
    assert calls[3][1] == (["part", "part"],)  # the batches merged in order
    assert values["new"] == "done" and set(seconds) == {"first", "second"}
    assert progress == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize("field", ["per_batch", "retried"])
def test_a_stage_is_plain_unless_told(field: str) -> None:
    assert getattr(Stage("x", "x", print, (), "x"), field) is False
