"""A temporary Prefect API for one shell command, started before anything heavy loads.

Without ``PREFECT_API_URL`` Prefect starts a temporary server itself when the
first flow runs: it imports the whole server package into this process (~2 s
here), then waits ~3 s for the server subprocess to answer, all before the
first task. ``hehu run``, ``hehu demo`` and ``hehu serve`` instead launch the
same server (Prefect's app factory in ephemeral mode, UI off, no telemetry)
as their very first step, so its start-up runs on another core while this
process imports the pipeline and loads the detectors, and then point Prefect
at it. Like Prefect's own, it stops when the process exits, after Prefect has
sent its last logs and events. If it does not answer, Prefect's own temporary
server takes over, as before.

With an API URL configured (``PREFECT_API_URL``, a running ``prefect server
start``, or a test harness) nothing is launched.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import AbstractContextManager, nullcontext

log = logging.getLogger(__name__)

#: Seconds to wait for the server's health check (a first run creates Prefect's database).
STARTUP_TIMEOUT_S = 60.0
#: uvicorn's exit status when the port was taken after all: try another.
ADDRESS_IN_USE = 3


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryApi:
    """A Prefect API server subprocess on loopback for the life of one command."""

    def __init__(self) -> None:
        # Importing this module ran flows/__init__.py: PREFECT_HOME is hehu's state folder.
        self.port = free_port()
        self.process: subprocess.Popen | None = self._launch()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _launch(self) -> subprocess.Popen:
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            # Prefect's own temporary server sets these (internal names, read by
            # prefect.server.api.server.create_app): only the services a temporary server
            # needs. A Prefect that ignored them would run them all, slower to start;
            # tests/flows/test_prefect_internals.py fails when an upgrade renames them.
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error",
               "--lifespan", "on"]  # fmt: skip
        before_exec = _die_with_parent if sys.platform == "linux" else None
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                preexec_fn=before_exec)  # fmt: skip

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> bool:
        """Wait until the server answers its health check; False if it never does."""
        deadline = time.monotonic() + timeout_s
        while self.process is not None and time.monotonic() < deadline:
            status = self.process.poll()
            if status == ADDRESS_IN_USE:
                self.port = free_port()
                self.process = self._launch()
                continue
            if status is not None:
                log.warning("the temporary Prefect server exited with status %s", status)
                return False
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        log.warning("the temporary Prefect server did not answer within %.0f s", timeout_s)
        return False

    def connect(self) -> AbstractContextManager:
        """Point Prefect at this server (here and in subprocesses such as Dask workers).

        Returns the settings context to run flows in; when the server did not
        start, an empty one (Prefect then starts its own temporary server).
        """
        if not self.wait_ready():
            self.stop()
            return nullcontext()
        from prefect.settings import (
            PREFECT_API_URL,
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
            PREFECT_UI_URL,
            temporary_settings,
        )

        os.environ["PREFECT_API_URL"] = self.url
        # No UI is served and the server stops with the command: no "View at" links,
        # and no heartbeats (they tell a lasting server that a run died; ending a
        # flow run also waits up to 1 s for the heartbeat thread).
        updates = {PREFECT_API_URL: self.url, PREFECT_UI_URL: "",
                   PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}  # fmt: skip
        return temporary_settings(updates=updates)

    def stop(self, wait: bool = True) -> None:
        """Ask the server to shut down; ``wait`` for it (~0.4 s here) unless this process
        is exiting anyway."""
        if os.environ.get("PREFECT_API_URL") == self.url:
            del os.environ["PREFECT_API_URL"]
        if self.process is None:
            return
        self.process.terminate()
        if wait:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _die_with_parent() -> None:
    """In the server process before it starts (Linux): end when hehu does, even if hehu is
    killed with SIGKILL and its exit hooks never run."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def api_configured() -> bool:
    """True when Prefect already has an API URL (environment, or settings in this process)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect" not in sys.modules:  # settings can only come from the environment then
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def prefect_api() -> TemporaryApi | None:
    """Launch a :class:`TemporaryApi` now (stopped at exit); None when an API is configured."""
    if api_configured():
        return None
    api = TemporaryApi()
    # atexit hooks run after Prefect's log and event workers have drained (they
    # hook the earlier threading shutdown), so no log is left without a server.
    atexit.register(api.stop, wait=False)
    return api


def connect(api: TemporaryApi | None) -> AbstractContextManager:
    """The settings to run flows in: ``api``'s (:meth:`TemporaryApi.connect`), or as
    configured when :func:`prefect_api` launched nothing."""
    return api.connect() if api is not None else nullcontext()
