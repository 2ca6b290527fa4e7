"""What hehu relies on inside Prefect, beyond its public API: an upgrade that changes any of
it fails here, by name, rather than making runs slower or silently losing progress."""

from __future__ import annotations

import inspect
import pickle
import threading


def test_the_temporary_server_still_reads_the_internal_switches_hehu_sets() -> None:
    from prefect.server.api import server

    from flows.server import TemporaryApi

    launched = inspect.getsource(TemporaryApi._launch)
    read = inspect.getsource(server.create_app)
    for name in ("PREFECT__SERVER_EPHEMERAL", "PREFECT__SERVER_FINAL"):
        assert name in launched
        assert f'os.getenv("{name}")' in read, f"Prefect's create_app no longer reads {name}"
    assert "prefect.server.api.server:create_app" in launched


def test_run_flow_still_runs_an_existing_flow_run_and_returns_its_state() -> None:
    from typing import Literal, get_type_hints

    from prefect.flow_engine import run_flow

    params = inspect.signature(run_flow).parameters
    assert list(params)[:3] == ["flow", "flow_run", "parameters"], list(params)
    return_type = get_type_hints(run_flow)["return_type"]
    assert return_type == Literal["state", "result"], return_type


def test_frame_count_reaches_thread_runner_tasks_and_a_worker_gets_a_fresh_one(
    prefect_api,
) -> None:
    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.process_flight import FRAMES, FrameCount

    seen: list[tuple[int, str]] = []

    @task
    def one_frame() -> str:
        FRAMES.frame_done()
        return threading.current_thread().name

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def two_frames() -> list[str]:
        FRAMES.start(2)
        return [one_frame.submit().result() for _ in range(2)]

    def progress(done: int, total: int) -> None:
        seen.append((done, threading.current_thread().name))

    with FRAMES.watching(progress):
        threads = two_frames()
    assert [done for done, _ in seen] == [0, 1, 2]
    assert all(name != threading.main_thread().name for name in threads)  # counted on workers

    copy = pickle.loads(pickle.dumps(FRAMES))  # what a Dask worker receives with a task
    assert isinstance(copy, FrameCount) and copy is not FRAMES
    assert copy.progress is None and copy.total == 0
