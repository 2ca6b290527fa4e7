"""A flight's stages, defined once: every way of running a flight walks :data:`STAGES`.

A flight runs as the Prefect flow ``process-flight`` (:mod:`flows.process_flight`:
in ``hehu run``'s process, in a warm ``hehu serve`` it was handed to, or as a
deployment run) or without Prefect (:func:`run_flight`: ``hehu run --no-prefect``,
tests). Both walk the same list, so a stage added here runs on every path.

Each :class:`Stage` calls one library function with values named by earlier
stages (and ``flight_dir`` and ``config``, which every walk starts with) and
keeps its output under a name of its own. Records and paths only, never image
arrays.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.change.record import recheck_after_push
from pipeline.config import HehuConfig
from pipeline.evidence_crops import write_evidence
from pipeline.flight import FlightPlan, RunSummary
from pipeline.flight_report import write_report
from pipeline.run import (
    check_flight_yaw,
    detect_frames,
    merge_batches,
    place_on_ground,
    plan_flight,
    plan_skips,
    push_to_ledger,
    summarize,
)
from pipeline.second_look import look_again

#: ``progress(frames_done, frames_total)``
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Stage:
    """One stage: ``run(*values named in takes)``, its output kept as ``gives``.

    ``name`` is the Prefect task's; ``clock`` the entry of the run summary's
    ``seconds`` it counts towards. ``per_batch``: called once per batch of
    ``flow.frames_per_task`` frames, the batch's frames in place of the plan it
    takes first, with ``on_frame`` (called after each frame); the results are
    merged in order (:func:`~pipeline.run.merge_batches`); ``batch_keywords``: the
    plan's fields each batch call also gets, by name; ``batch_values``: values of
    earlier stages each batch call and the merge also get, by name (a runner may
    hand a batch only its own part: :meth:`~pipeline.detect.skip.SkipPlan.batch`).
    ``retried``: transient failures are retried (``flow.retries``).
    """

    name: str
    clock: str
    run: Callable[..., Any]
    takes: tuple[str, ...]
    gives: str
    per_batch: bool = False
    batch_keywords: tuple[str, ...] = ()
    batch_values: tuple[str, ...] = ()
    retried: bool = False


#: The stages in order. Detections are kept in pixels until ``place-on-ground``; the
#: tiles that cannot hold a candidate are planned on the ground with the checked yaw
#: (``plan-skips``, None with ``--no-skip``) before any frame is detected, and objects
#: one frame alone found are looked for again in frames whose tiles were skipped there
#: (``second-look``, :mod:`pipeline.second_look`).
# fmt: off
STAGES: tuple[Stage, ...] = (
    Stage("ingest", "ingest", plan_flight, ("flight_dir", "config"), "ingested"),
    Stage("yaw-check", "detect", check_flight_yaw, ("ingested", "config"), "plan"),
    Stage("plan-skips", "detect", plan_skips, ("plan", "config"), "skips"),
    Stage("detect-batch", "detect", detect_frames, ("plan", "config"), "pixels",
          per_batch=True, batch_keywords=("ground",), batch_values=("skips",), retried=True),
    Stage("place-on-ground", "detect", place_on_ground, ("plan", "pixels"), "placed"),
    Stage("second-look", "detect", look_again, ("plan", "placed", "skips", "config"), "result"),
    Stage("push-to-ledger", "ledger", push_to_ledger, ("plan", "result", "config"), "pushed",
          retried=True),
    Stage("recheck", "recheck", recheck_after_push, ("plan", "pushed", "config"), "rechecked",
          retried=True),
    Stage("evidence", "evidence+report", write_evidence, ("plan", "pushed", "config"), "evidence"),
    Stage("report", "evidence+report", write_report, ("plan", "result", "pushed", "config"),
          "report"),
)
# fmt: on


def summary_of(values: dict[str, Any], seconds: dict[str, float]) -> RunSummary:
    """The run summary from the values a walk of :data:`STAGES` ended with."""
    return summarize(values["plan"], values["result"], values["pushed"],
                     report=str(values["report"]), evidence=values["evidence"],
                     rechecked=dict(values["rechecked"].verdicts),
                     changes_filed=values["rechecked"].changes_filed, seconds=seconds)  # fmt: skip


class StageClock:
    """Wall seconds per named stage: ``with clock("detect"): …``; read ``clock.seconds``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - start
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + spent, 3)


def run_flight(
    flight_dir: Path,
    config: HehuConfig,
    *,
    progress: Progress | None = None,
) -> RunSummary:
    """Every stage of one flight in this process, in order, without Prefect.

    ``progress(frames_done, frames_total)`` is called after each detected frame.
    """
    values: dict[str, Any] = {"flight_dir": Path(flight_dir), "config": config}
    clock = StageClock()
    for stage in STAGES:
        with clock(stage.clock):
            args = [values[name] for name in stage.takes]
            if stage.per_batch:
                size = config.flow.frames_per_task
                shared = {name: values[name] for name in stage.batch_values}
                values[stage.gives] = _in_batches(stage, *args, shared=shared, size=size,
                                                  progress=progress)  # fmt: skip
            else:
                values[stage.gives] = stage.run(*args)
    return summary_of(values, clock.seconds)


def _in_batches(
    stage: Stage,
    plan: FlightPlan,
    *rest: Any,
    shared: dict[str, Any],
    size: int,
    progress: Progress | None,
) -> Any:
    done = 0

    def frame_done() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(plan.frames))

    keywords = {name: getattr(plan, name) for name in stage.batch_keywords} | shared
    return merge_batches([stage.run(batch, *rest, on_frame=frame_done, **keywords)
                          for batch in plan.batches(size)], **shared)  # fmt: skip
