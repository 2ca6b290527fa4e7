"""The temporary Prefect API that `hehu run` starts before loading the pipeline."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest

from flows import server


def test_no_server_when_the_session_has_an_api(prefect_api) -> None:
    assert server.api_configured()
    assert server.prefect_api() is None


def test_no_server_when_the_environment_names_one(monkeypatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert server.prefect_api() is None


def exiting(status: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", f"raise SystemExit({status})"])


def test_a_server_that_exits_leaves_prefect_to_start_its_own(monkeypatch) -> None:
    monkeypatch.setattr(server.TemporaryApi, "_launch", lambda self: exiting(1))
    api = server.TemporaryApi()
    with api.connect():  # an empty context: nothing pointed at the dead server
        assert server.os.environ.get("PREFECT_API_URL") != api.url
    assert api.process is None


def test_a_taken_port_is_retried_on_another(monkeypatch) -> None:
    launches = []

    def launch(self):
        launches.append(self.port)
        return exiting(server.ADDRESS_IN_USE if len(launches) == 1 else 1)

    monkeypatch.setattr(server.TemporaryApi, "_launch", launch)
    assert not server.TemporaryApi().wait_ready(timeout_s=10)
    assert len(launches) == 2


@pytest.mark.slow
def test_the_server_answers_and_stops(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    api = server.TemporaryApi()
    try:
        assert api.wait_ready()
        with urllib.request.urlopen(api.url + "/health", timeout=5) as response:
            assert response.status == 200
        process = api.process
    finally:
        api.stop()
    assert process.poll() is not None
    assert api.process is None


@pytest.mark.slow  # starts a real Prefect server and waits for it to die
@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux only")
def test_the_server_ends_when_hehu_is_killed(tmp_path) -> None:
    import os
    import signal
    import time

    script = ("import time\nfrom flows.server import TemporaryApi\n"
              "print(TemporaryApi().process.pid, flush=True)\ntime.sleep(120)\n")  # fmt: skip
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    parent = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              cwd=server.__file__.rsplit("/flows/", 1)[0])  # fmt: skip
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the temporary Prefect server outlived the killed hehu process")
