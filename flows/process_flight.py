"""``process_flight``: one flight folder from photos to ledger, report and artifacts.

ingest → yaw check → detect in batches (on Dask the check runs beside them)
→ place on the ground → cluster and push to the ledger → evidence crops →
report, then Prefect artifacts.

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
from pipeline import run as stages
from pipeline.config import HehuConfig, load_config
from pipeline.detect.skip import SkipPlan
from pipeline.errors import BadInputError, RunStopped

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


FRAMES = FrameCount()


def transient(task, task_run, state) -> bool:
    """Retry unless the failure is bad input (retrying cannot fix a user's file) or a stop."""
    try:
        state.result(raise_on_failure=True)
    except (BadInputError, RunStopped):
        return False
    except Exception:
        return True
    return False


@task(name="ingest", cache_policy=NO_CACHE)
def ingest(flight_dir: str, config: HehuConfig) -> stages.FlightPlan:
    return stages.plan_flight(Path(flight_dir), config)


@task(name="yaw-check", cache_policy=NO_CACHE)
def yaw_check(plan: stages.FlightPlan, config: HehuConfig) -> stages.FlightPlan:
    return stages.check_flight_yaw(plan, config)


@task(name="detect-batch", cache_policy=DETECT_CACHE, persist_result=True,
      retry_condition_fn=transient)  # fmt: skip
def detect_batch(
    frame_keys: tuple[str, ...],
    weights_key: str,
    config_key: str,
    frames: tuple[stages.PlannedFrame, ...],
    config: HehuConfig,
    skips: SkipPlan | None = None,
) -> stages.BatchResult:
    FRAMES.check()  # queued behind a batch that stopped: do not start
    return stages.detect_frames(frames, config, on_frame=FRAMES.frame_done, skips=skips)


@task(name="place-on-ground", cache_policy=NO_CACHE)
def place(plan: stages.FlightPlan, result: stages.BatchResult) -> stages.BatchResult:
    return stages.place_on_ground(plan, result)


@task(name="push-to-ledger", cache_policy=NO_CACHE, retry_condition_fn=transient)
def push(plan: stages.FlightPlan, result: stages.BatchResult, config: HehuConfig):
    return stages.push_to_ledger(plan, result, config)


@task(name="evidence-and-report", cache_policy=NO_CACHE)
def finish(
    plan: stages.FlightPlan, result: stages.BatchResult, pushed, config: HehuConfig
) -> tuple[int, str]:
    from pipeline.evidence import write_evidence
    from pipeline.report import write_report

    return write_evidence(plan, pushed, config), str(write_report(plan, result, pushed, config))


def frame_keys(batch: tuple[stages.PlannedFrame, ...]) -> tuple[str, ...]:
    """Content keys of a batch: each frame's sha256 (detections do not depend on yaw)."""
    return tuple(f.meta.sha256 for f in batch)


def detect_all(
    plan: stages.FlightPlan, config: HehuConfig, skips: SkipPlan | None = None
) -> stages.BatchResult:
    """Submit every batch to the flow's task runner and merge the results in order; each
    batch's part of the skip plan is part of its cache key."""
    weights_key = stages.weights_fingerprint(config)
    config_key = config.detection_hash()
    retrying = detect_batch.with_options(retries=config.flow.retries,
                                         retry_delay_seconds=config.flow.retry_delay_s)  # fmt: skip
    batches = plan.batches(config.flow.frames_per_task)
    FRAMES.start(len(plan.frames))
    futures = [retrying.submit(frame_keys(b), weights_key, config_key, b, config,
                               skips.batch(frame_keys(b)) if skips else None)
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
    return stages.merge_batches(results, skips)


@flow(name="process-flight", log_prints=False)
def process_flight(
    flight_dir: str, config_path: str | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Process one flight folder into the ledger; returns the run summary as a dict.

    ``config_path`` defaults to ``configs/hehu.yaml``; ``overrides`` are merged
    into it per section (``{"ledger": {"url": …}}``).
    """
    config = load_config(config_path, overrides)
    log = get_run_logger()
    clock = stages.StageClock()
    with clock("ingest"):
        plan = ingest(flight_dir, config)
    log.info("%s: %d frames, %d set aside", plan.name, len(plan.frames), len(plan.quarantined))
    # quote(): the task gets the object itself; Prefect does not walk its thousands of
    # records looking for futures (~1.8 s on an 18-frame flight with 1189 detections).
    # Only for tasks called here: a quoted argument submitted to Dask arrives as a tuple.
    with clock("detect"):
        # Submitted first: on the thread runner it runs before the batches, on Dask beside them.
        checked = yaw_check.submit(plan, config)
        skips = None
        if config.detect.skip:  # skipped tiles are planned on the ground: with the checked yaw
            plan = checked.result()
            skips = stages.plan_skips(plan, config)
        try:
            detected = detect_all(plan, config, skips)
        except RunStopped as e:  # before the ledger is touched; finished batches stay cached
            log.info("%s", e)
            return Cancelled(message=str(e))
        plan = checked.result()
        result = place(quote(plan), quote(detected))
    with clock("ledger"):
        pushed = push.with_options(retries=config.flow.retries)(quote(plan), quote(result), config)
    with clock("evidence+report"):
        evidence, report = finish(quote(plan), quote(result), quote(pushed), config)
    summary = stages.summarize(plan, result, pushed, report=report, evidence=evidence,
                               seconds=clock.seconds)  # fmt: skip
    publish_artifacts(summary, plan, result, config)
    return stages.summary_dict(summary)


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
