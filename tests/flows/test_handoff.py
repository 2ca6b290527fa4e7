"""``hehu run`` handing its flight to a running ``hehu serve`` (flows.handoff)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from flows.handoff import FlightDesk, hand_off, run_handed_flight
from pipeline.errors import BadInputError, HehuError, RunStopped
from tests.flows.test_process_flight import ledger_rows


def counting_run(request, progress, stop, finished):
    for done in range(3):
        progress(done, 2)
    return {"frames": 2, "request": request}


@pytest.fixture
def sock_path(tmp_path: Path) -> Path:
    return tmp_path / "serve.sock"


@pytest.fixture
def desk(sock_path: Path):
    desks: list[FlightDesk] = []

    def start(run=counting_run) -> FlightDesk:
        d = FlightDesk(run, path=sock_path)
        assert d.start()
        desks.append(d)
        return d

    yield start
    for d in desks:
        d.close()


def test_a_handed_flight_comes_back_with_its_progress_and_summary(desk, sock_path, tmp_path):
    desk()
    progress: list[tuple[int, int]] = []
    said: list[str] = []
    summary = hand_off(tmp_path / "flight", "configs/hehu.yaml", {"ledger": {"url": "x"}},
                       lambda *p: progress.append(p), path=sock_path, say=said.append)  # fmt: skip
    assert progress == [(0, 2), (1, 2), (2, 2)]
    request = summary["request"]
    assert request["flight_dir"] == str((tmp_path / "flight").resolve())
    assert Path(request["config_path"]).is_absolute()  # the serve may resolve from elsewhere
    assert request["overrides"] == {"ledger": {"url": "x"}}
    assert summary["frames"] == 2
    assert "handed to hehu serve" in said[0]


def test_without_a_serve_the_run_stays_here(desk, sock_path, tmp_path) -> None:
    assert hand_off(tmp_path, None, {}, print, path=sock_path) is None  # no socket at all
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(sock_path))  # a socket file left by a serve that was killed
    left.close()
    assert hand_off(tmp_path, None, {}, print, path=sock_path) is None
    desk()  # a new serve takes the stale path over
    assert hand_off(tmp_path, None, {}, lambda d, t: None, path=sock_path)["frames"] == 2


def test_a_serve_that_does_not_answer_leaves_the_run_here(sock_path, tmp_path, monkeypatch):
    import flows.handoff

    monkeypatch.setattr(flows.handoff, "ANSWER_TIMEOUT_S", 0.2)
    hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hung.bind(str(sock_path))
    hung.listen()  # accepts connections, never reads or answers
    said: list[str] = []
    try:
        assert hand_off(tmp_path, None, {}, print, path=sock_path, say=said.append) is None
    finally:
        hung.close()
    assert "did not answer" in said[0] and "running it here" in said[0]


def test_a_second_serve_leaves_the_first_one_listening(desk, sock_path, tmp_path) -> None:
    first = desk()
    second = FlightDesk(counting_run, path=sock_path)
    assert not second.start()
    second.close()  # must not remove the first one's socket
    assert sock_path.exists()
    assert hand_off(tmp_path, None, {}, lambda d, t: None, path=sock_path)["frames"] == 2
    first.close()
    assert not sock_path.exists()


def test_a_serve_working_elsewhere_refuses_and_says_why(desk, sock_path, tmp_path) -> None:
    desk().cwd = "/somewhere/else"
    said: list[str] = []
    assert hand_off(tmp_path, None, {}, print, path=sock_path, say=said.append) is None
    assert "works in /somewhere/else" in said[0] and "running it here" in said[0]


def test_a_serve_on_another_prefect_api_refuses(desk, sock_path, tmp_path, monkeypatch) -> None:
    desk()
    said: list[str] = []
    monkeypatch.setenv("PREFECT_API_URL", "http://team-server:4200/api")  # this command's
    assert hand_off(tmp_path, None, {}, print, path=sock_path, say=said.append) is None
    assert "not http://team-server:4200/api" in said[0]


@pytest.mark.parametrize(
    ("raised", "expected", "match"),
    [
        (BadInputError("/f/x.JPG: not a JPEG; remove it"), BadInputError, "x.JPG: not a JPEG"),
        (ValueError("boom"), HehuError, "failed in hehu serve: ValueError: boom"),
    ],
)
def test_errors_come_back_as_hehu_errors(desk, sock_path, tmp_path, raised, expected, match):
    def failing(request, progress, stop, finished):
        raise raised

    desk(failing)
    with pytest.raises(expected, match=match):
        hand_off(tmp_path, None, {}, print, path=sock_path, say=lambda text: None)


def test_a_hehu_run_that_goes_away_stops_its_run(desk, sock_path, tmp_path) -> None:
    started, stopped = threading.Event(), threading.Event()

    def waiting(request, progress, stop, finished):
        started.set()
        if stop.wait(10):
            stopped.set()
        raise RunStopped("stopped")

    desk(waiting)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(sock_path))
    client.sendall(
        b'{"flight_dir": "/f", "overrides": {}, "cwd": "%s"}\n' % str(Path.cwd()).encode()
    )
    assert b"accepted" in client.recv(1024)
    assert started.wait(5)
    client.close()  # as when hehu run is interrupted or killed
    assert stopped.wait(5)


def test_a_serve_that_stops_stops_its_flights_first(desk, sock_path, tmp_path) -> None:
    started, ended = threading.Event(), threading.Event()

    def until_stopped(request, progress, stop, finished):
        started.set()
        stop.wait(10)
        ended.set()
        raise RunStopped("stopped on request after 3 of 18 frames")

    serve = desk(until_stopped)
    errors: list[Exception] = []

    def client() -> None:
        try:
            hand_off(tmp_path, None, {}, print, path=sock_path, say=lambda text: None)
        except RunStopped as e:
            errors.append(e)

    running = threading.Thread(target=client)
    running.start()
    assert started.wait(5)
    serve.close()  # as when hehu serve gets SIGTERM or Ctrl-C
    assert ended.is_set()  # close() waited for the run to end
    running.join(5)
    assert "after 3 of 18 frames" in str(errors[0])


def test_flights_wait_for_the_one_running(desk, sock_path, tmp_path) -> None:
    release, started = threading.Event(), threading.Event()
    order: list[str] = []

    def one_at_a_time(request, progress, stop, finished):
        order.append("start " + Path(request["flight_dir"]).name)
        started.set()
        release.wait(10)
        order.append("end " + Path(request["flight_dir"]).name)
        return {}

    desk(one_at_a_time)
    first = threading.Thread(target=hand_off, args=(tmp_path / "a", None, {}, print),
                             kwargs={"path": sock_path, "say": lambda text: None})  # fmt: skip
    first.start()
    assert started.wait(5)
    said: list[str] = []
    threading.Timer(0.5, release.set).start()
    hand_off(tmp_path / "b", None, {}, print, path=sock_path, say=said.append)
    first.join(5)
    assert order == ["start a", "end a", "start b", "end b"]
    assert "after the flight it is running now" in said[0]


def test_the_client_is_answered_when_the_run_says_finished(desk, sock_path, tmp_path) -> None:
    """What the run does after ``finished`` (Prefect's teardown) holds the next flight,
    not the client."""
    tidying, release = threading.Event(), threading.Event()

    def finishes_then_tidies(request, progress, stop, finished):
        finished({"frames": 1})
        tidying.set()
        release.wait(10)
        return {"frames": 999}  # never sent: the client has its answer

    d = desk(finishes_then_tidies)
    summary = hand_off(tmp_path / "a", None, {}, print, path=sock_path, say=lambda text: None)
    assert summary == {"frames": 1}
    assert tidying.wait(5) and d.busy.locked()  # the run has not returned
    release.set()


@pytest.fixture
def two_frames(sample_flight, tmp_path) -> Path:
    flight = tmp_path / "two-frames"
    flight.mkdir()
    for src in sorted(sample_flight.glob("*.JPG"))[:2]:
        # Trailing zero bytes: content of its own, so no other test's cached batches answer.
        (flight / src.name).write_bytes(src.read_bytes() + b"\0" * 3)
    return flight


@pytest.mark.slow
def test_a_handed_flight_fills_the_ledger_as_a_local_run(
    prefect_api, desk, sock_path, two_frames, tmp_path
) -> None:
    from flows.process_flight import run_process_flight

    calls: list[str] = []

    def noting(request, progress, stop, finished):
        summary = run_handed_flight(request, progress, stop,
                                    lambda s: calls.append("answered") or finished(s))  # fmt: skip
        calls.append("returned")
        return summary

    desk(noting)
    urls = {k: f"sqlite:///{tmp_path / (k + '.sqlite')}" for k in ("handed", "local")}
    progress: list[int] = []
    handed = hand_off(two_frames, None, {"ledger": {"url": urls["handed"]}},
                      lambda done, total: progress.append(done), path=sock_path,
                      say=lambda text: None)  # fmt: skip
    local = run_process_flight(str(two_frames), None, {"ledger": {"url": urls["local"]}})
    assert progress == [0, 1, 2]
    assert calls == ["answered", "returned"]  # from the completion hook, before Prefect's teardown
    assert handed["frames"] == local["frames"] == 2
    assert handed["created"] == local["created"]
    assert handed["detections"] == local["detections"] > 0  # the sample's cars, as context
    assert ledger_rows(urls["handed"]) == ledger_rows(urls["local"])


@pytest.mark.slow
def test_a_stopped_run_ends_cancelled_before_the_ledger(prefect_api, two_frames, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    for frame in two_frames.glob("*.JPG"):  # new content: no batch answered from the cache
        frame.write_bytes(frame.read_bytes() + b"\0" * 7)
    db = tmp_path / "ledger.sqlite"
    stop = threading.Event()
    request = {"flight_dir": str(two_frames), "overrides": {"ledger": {"url": f"sqlite:///{db}"}}}
    started = time.time()
    finished: list[dict] = []
    with pytest.raises(RunStopped, match="after 1 of 2 frames"):
        run_handed_flight(request, lambda done, total: stop.set() if done else None, stop,
                          finished.append)  # fmt: skip
    assert not db.exists()  # the ledger was never opened
    assert finished == []  # a Cancelled run is not answered as a summary
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
    assert runs[0].state.is_cancelled() and runs[0].start_time.timestamp() >= started - 1


def test_hehu_run_prints_the_summary_of_the_run_it_handed_over(
    capsys, tmp_path, sample_flight
) -> None:
    import json
    import shutil

    from flows.handoff import socket_path
    from pipeline.cli import main

    shutil.copy(min(sample_flight.glob("*.JPG")), tmp_path)  # a folder hehu would take

    summary = {"frames": 3, "quarantined": [], "detections": 4, "created": ["990101-2026-0001"],
               "recurred": [], "rebounded": [], "report": "/r.html"}  # fmt: skip
    requests: list[dict] = []
    desk = FlightDesk(
        lambda request, progress, stop, finished: requests.append(request) or summary,
        path=socket_path(),
    )  # fmt: skip  (the session's HEHU_HOME)
    assert desk.start()
    try:
        assert main(["run", str(tmp_path), "--db", "sqlite:///x.sqlite", "--json"]) == 0
    finally:
        desk.close()
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == summary
    assert requests[0]["overrides"] == {"ledger": {"url": "sqlite:///x.sqlite"}}


def test_hehu_serve_takes_flights_with_the_detectors_loaded(capsys) -> None:
    from flows.handoff import socket_path
    from flows.serve import flight_desk

    desk = flight_desk(None)
    try:
        assert desk.path == socket_path() and socket_path().exists()
        assert "hands its flights to this serve" in capsys.readouterr().out
    finally:
        desk.close()
    assert not socket_path().exists()


@pytest.mark.slow
def test_deployment_runs_run_warm_in_the_serve_once(prefect_api, two_frames, tmp_path):
    from prefect import get_client

    from flows.serve import deployments
    from flows.warm_runs import WarmRuns

    on_demand, _ = deployments()
    deployment_id = on_demand.apply()
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    params = {"flight_dir": str(two_frames), "overrides": {"ledger": {"url": url}}}
    with get_client(sync_client=True) as client:
        try:
            flow_run = client.create_flow_run_from_deployment(deployment_id, parameters=params)
            warm = WarmRuns(deployment_id, threading.Lock())
            assert warm.poll_once(client) == 1
            assert client.read_flow_run(flow_run.id).state.is_completed()
            assert warm.poll_once(client) == 0  # taken once
            broken = {**params, "config_path": str(tmp_path / "missing.yaml")}
            failed = client.create_flow_run_from_deployment(deployment_id, parameters=broken)
            assert warm.poll_once(client) == 1
            state = client.read_flow_run(failed.id).state
        finally:  # other tests expect a session without the deployment
            client.delete_deployment(deployment_id)
    assert state.is_failed() and "missing.yaml" in state.message  # not left Pending
    (counts,) = [r["counts"] for r in ledger_rows(url) if "counts" in r]
    assert counts["frame"] == 2 and counts["detection"] > 0  # the warm run filled the ledger


class _Run:
    def __init__(self, *states: str) -> None:
        self.states = list(states)

    def read(self):
        from prefect.client.schemas.objects import StateType
        from prefect.states import State

        return State(type=StateType(self.states.pop(0) if len(self.states) > 1 else self.states[0]))


def test_a_run_cancelled_in_prefect_is_stopped() -> None:
    from flows.warm_runs import watch_cancellation

    stop, done = threading.Event(), threading.Event()
    watch_cancellation(_Run("RUNNING", "RUNNING", "CANCELLING").read, stop, done, 0.01)
    assert stop.is_set()
    stop.clear()
    done.set()  # the run ended by itself
    watch_cancellation(_Run("RUNNING").read, stop, done, 0.01)
    assert not stop.is_set()
