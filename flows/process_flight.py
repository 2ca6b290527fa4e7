"""``process_flight``: one flight folder from photos to ledger, report and artifacts.

The flow walks :data:`pipeline.stages.STAGES` (ingest → yaw check → tiles to skip
→ detect in batches → place on the ground → push to the ledger → evidence crops
→ report), each stage a task of its name, then adds Prefect artifacts.

Detection batches (``flow.frames_per_task`` frames each) are cached on
content, not paths: frame sha256s, the weights' sha256s and the detection
settings' hash, plus the task's source (Prefect's INPUTS + TASK_SOURCE with
persisted results). Detections are kept in pixels, so a different yaw
correction does not invalidate them. A rerun after a crash recomputes only the
batches that had not finished; the ledger push is idempotent. Transient errors
are retried; bad input is set aside by the library and never retried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE
from prefect.states import Cancelled
from prefect.utilities.annotations import quote

from flows.artifacts import publish_artifacts
from flows.runners import task_runner_for
from pipeline.config import HehuConfig, load_config
from pipeline.detect.skip import SkipPlan
from pipeline.errors import RunStopped, is_transient
from pipeline.flight import BatchResult, FlightPlan, PlannedFrame
from pipeline.geo.laser import GroundSettings
from pipeline.run import merge_batches, summary_dict, weights_fingerprint
from pipeline.stages import STAGES, Stage, StageClock, summary_of

DETECT_CACHE = (INPUTS - "frames" - "config") + TASK_SOURCE


class FrameCount:
    """Frames detected so far in this run, reported to :attr:`progress`.

    ``progress(frames_done, frames_total)`` is called in this process only (the
    shell's progress bar, or a run handed to ``hehu serve``); never on workers.
    Batches on the thread runner run in this process and count each frame as it
    finishes; batches elsewhere (Dask workers, whose copy has no total) or
    answered from the cache count when their result arrives. Once :attr:`stop`
    is set, or :meth:`halt` called, the next frame raises :class:`RunStopped`
    (not retried), and so does a batch about to start.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done = self.total = 0
        self.progress: Callable[[int, int], None] | None = None
        self.stop: threading.Event | None = None
        self._halted = threading.Event()

    def halt(self) -> None:
        """Stop this process's batches after their current frame (the run was interrupted)."""
        self._halted.set()

    def check(self) -> None:
        """Raise :class:`RunStopped` if the run was asked to stop."""
        if self._halted.is_set() or (self.stop is not None and self.stop.is_set()):
            raise RunStopped(f"stopped on request after {self.done} of {self.total} frames")

    @contextmanager
    def watching(
        self, progress: Callable[[int, int], None] | None, stop: threading.Event | None = None
    ) -> Iterator[None]:
        """Report this process's runs to ``progress`` and stop them when ``stop`` is set."""
        self.progress, self.stop = progress, stop
        try:
            yield
        finally:
            self.progress = self.stop = None

    def start(self, total: int) -> None:
        with self._lock:
            self._halted.clear()
            self.done, self.total = 0, total
            self._report()

    def frame_done(self) -> None:
        with self._lock:
            if self.total:
                self.done = min(self.done + 1, self.total)
                self._report()

    def at_least(self, done: int) -> None:
        with self._lock:
            if done > self.done:
                self.done = done
                self._report()

    def _report(self) -> None:
        if self.progress is not None and self.total:
            self.progress(self.done, self.total)
        self.check()

    def __reduce__(self):  # sent to a Dask worker with the task: a fresh, silent count there
        return (FrameCount, ())


#: This process's frame count. A module global, not a task parameter: it would enter
#: the batches' cache key and be sent with every task. It works because Prefect runs the
#: thread runner's tasks on threads of this process (a Dask worker gets a fresh, silent
#: copy through ``__reduce__``); tests/flows/test_prefect_internals.py checks both.
FRAMES = FrameCount()


def transient(task, task_run, state) -> bool:
    """Retry only what may pass on its own (:func:`pipeline.errors.is_transient`)."""
    try:
        state.result(raise_on_failure=True)
    except Exception as e:
        return is_transient(e)
    return False


# The one per-batch stage, run by detect_batch (a second one would fail here, loudly).
(PER_BATCH,) = [stage for stage in STAGES if stage.per_batch]


@task(name=PER_BATCH.name, cache_policy=DETECT_CACHE, persist_result=True,
      retry_condition_fn=transient)  # fmt: skip
def detect_batch(
    frame_keys: tuple[str, ...],
    weights_key: str,
    config_key: str,
    frames: tuple[PlannedFrame, ...],
    config: HehuConfig,
    ground: GroundSettings,
    skips: SkipPlan | None = None,
) -> BatchResult:
    FRAMES.check()  # queued behind a batch that stopped: do not start
    return PER_BATCH.run(frames, config, on_frame=FRAMES.frame_done, ground=ground, skips=skips)


def stage_task(stage: Stage) -> Any:
    """A stage as a Prefect task of its name: the library function itself."""
    if stage.per_batch:
        return detect_batch
    retry = transient if stage.retried else None
    return task(name=stage.name, cache_policy=NO_CACHE, retry_condition_fn=retry)(stage.run)


#: Each stage's task, by stage name.
TASKS = {stage.name: stage_task(stage) for stage in STAGES}


def frame_keys(batch: tuple[PlannedFrame, ...]) -> tuple[str, ...]:
    """Content keys of a batch: each frame's sha256 (detections do not depend on yaw)."""
    return tuple(f.meta.sha256 for f in batch)


def detect_all(plan: FlightPlan, config: HehuConfig, skips: SkipPlan | None = None) -> BatchResult:
    """Submit every batch to the flow's task runner and merge the results in order; each
    batch's part of the skip plan is part of its cache key."""
    weights_key = weights_fingerprint(config)
    config_key = config.detection_hash()
    retrying = _retrying(PER_BATCH, config)
    batches = plan.batches(config.flow.frames_per_task)
    FRAMES.start(len(plan.frames))
    keywords = {name: getattr(plan, name) for name in PER_BATCH.batch_keywords}
    futures = [retrying.submit(frame_keys(b), weights_key, config_key, b, config, **keywords,
                               skips=skips.batch(frame_keys(b)) if skips else None)
               for b in batches]  # fmt: skip
    results, done = [], 0
    try:
        for batch, future in zip(batches, futures, strict=True):
            results.append(future.result())
            done += len(batch)
            FRAMES.at_least(done)
    except BaseException:
        # Ctrl-C, or Prefect's TerminationSignal for a SIGTERM (Prefect holds SIGTERM during
        # a flow run): the batches on the runner's threads would otherwise run to their end
        # before the flow could stop. They stop after their current frame instead.
        FRAMES.halt()
        raise
    return merge_batches(results, skips)


def walk_stages(flight_dir: str, config: HehuConfig, clock: StageClock) -> dict[str, Any]:
    """Every stage of :data:`~pipeline.stages.STAGES` as a task, in order; the values kept.
    A ``per_batch`` stage goes through :func:`detect_all`."""
    values: dict[str, Any] = {"flight_dir": Path(flight_dir), "config": config}
    for stage in STAGES:
        with clock(stage.clock):
            args = [values[name] for name in stage.takes]
            if stage.per_batch:
                shared = {name: values[name] for name in stage.batch_values}
                values[stage.gives] = detect_all(*args, **shared)
            else:
                # quote(): the task gets the object itself; Prefect does not walk its thousands
                # of records looking for futures (~1.8 s on an 18-frame flight with 1189
                # detections). Only for tasks called here: a quoted argument submitted to Dask
                # arrives as a tuple.
                values[stage.gives] = _retrying(stage, config)(*map(quote, args))
        if isinstance(values[stage.gives], FlightPlan):
            plan = values[stage.gives]
            get_run_logger().info("%s: %d frames, %d set aside", plan.name, len(plan.frames),
                                  len(plan.quarantined))  # fmt: skip
    return values


def _retrying(stage: Stage, config: HehuConfig) -> Any:
    if not stage.retried:
        return TASKS[stage.name]
    flow = config.flow
    return TASKS[stage.name].with_options(
        retries=flow.retries, retry_delay_seconds=flow.retry_delay_s
    )


@flow(name="process-flight", log_prints=False)
def process_flight(
    flight_dir: str, config_path: str | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Process one flight folder into the ledger; returns the run summary as a dict.

    ``config_path`` defaults to ``configs/hehu.yaml``; ``overrides`` are merged
    into it per section (``{"ledger": {"url": …}}``).
    """
    config = load_config(config_path, overrides)
    clock = StageClock()
    try:
        values = walk_stages(flight_dir, config, clock)
    except RunStopped as e:  # before the ledger is touched; finished batches stay cached
        get_run_logger().info("%s", e)
        return Cancelled(message=str(e))
    summary = summary_of(values, clock.seconds)
    publish_artifacts(summary, values["plan"], values["result"], config)
    return summary_dict(summary)


def configured_flow(config_path: str | None = None, overrides: dict[str, Any] | None = None):
    """The flow with the task runner its configuration asks for (thread pool or Dask);
    raises :class:`~pipeline.errors.ConfigError` when the configuration is wrong."""
    return process_flight.with_options(
        task_runner=task_runner_for(load_config(config_path, overrides))
    )


def run_process_flight(
    flight_dir: str,
    config_path: str | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    on_completion: Sequence[Callable[..., None]] = (),
) -> dict[str, Any]:
    """Run the flow with the task runner its configuration asks for.

    ``on_completion`` hooks (``hook(flow, flow_run, state)``) run once Prefect has
    recorded the run Completed, before its teardown.
    """
    flow = configured_flow(config_path, overrides)
    if on_completion:
        flow = flow.with_options(on_completion=list(on_completion))
    return flow(flight_dir, config_path, overrides)
