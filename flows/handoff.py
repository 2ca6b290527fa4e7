"""Hand a flight from ``hehu run`` to a ``hehu serve`` running on this machine.

A fresh ``hehu run`` pays for Prefect's import, its API, the flow run's
creation and the detectors' load every time: about 3–6 s, which is 20–30 %
of Brighton's 18 frames. ``hehu serve`` has all of that warm already, so it
listens on a Unix socket in hehu's state folder (:func:`socket_path`); a
``hehu run`` started with the same state folder and working directory finds
it there, sends the flight, and prints the progress and summary that come
back. The work is the same ``process-flight`` Prefect flow (in the Prefect UI
like any other run), executed in the serve's process, one flight at a time.

If the ``hehu run`` is interrupted while frames are being detected, the run
stops after the current frame, before the ledger is touched (the finished
batches stay cached, so running it again goes on from there).

The protocol is one JSON object a line. The request::

    {"flight_dir": "/abs/path", "config_path": "/abs/hehu.yaml" | null,
     "overrides": {...}, "cwd": "/abs/workdir", "prefect_api_url": "http://…/api" | null}

and the replies, in order: ``{"refused": reason}`` alone, or
``{"accepted": pid, "waiting": bool}``, any number of ``{"progress": [done,
total]}``, then ``{"summary": {...}}`` or ``{"error": message, "kind": name}``.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import json
import logging
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from pipeline import errors
from pipeline.state import state_dir

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
#: ``finished(summary)``: the run's outcome is final; answer the client now.
Finished = Callable[[dict[str, Any]], None]
#: ``run(request, progress, stop, finished) -> summary``: how the serve runs a handed
#: flight. It may call ``finished`` before it returns (when what is left is tidying up:
#: the client is answered then, and the next flight still waits for the return).
RunFlight = Callable[[dict[str, Any], Progress, threading.Event, Finished], dict[str, Any]]

#: Seconds a serve has to accept or refuse a flight before the run goes on here.
ANSWER_TIMEOUT_S = 10.0
#: Unix socket paths are limited to ~108 bytes; longer ones go to the temp folder.
MAX_SOCKET_PATH = 100


def socket_path() -> Path:
    """Where the ``hehu serve`` of this state folder listens."""
    path = state_dir() / "serve.sock"
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(state_dir())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hehu-serve-{digest}.sock"


def available() -> bool:
    return hasattr(socket, "AF_UNIX")


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message, ensure_ascii=False, default=str).encode() + b"\n")


def receive(stream: BinaryIO) -> dict[str, Any] | None:
    line = stream.readline()
    return json.loads(line) if line else None


# -- the client side: hehu run ------------------------------------------------------------


def hand_off(
    flight_dir: Path,
    config_path: str | None,
    overrides: dict[str, Any],
    progress: Progress,
    *,
    path: Path | None = None,
    say: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
) -> dict[str, Any] | None:
    """Run the flight in this machine's ``hehu serve``; its summary, or None when no serve
    takes it (none running, or one that works elsewhere): then run it here.

    Errors of the run come back as the same :class:`~pipeline.errors.HehuError`
    subclass it raised in the serve.
    """
    path = path or socket_path()
    if not available() or not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError:  # a socket left by a serve that was killed
        sock.close()
        return None
    request = {
        "flight_dir": str(flight_dir.resolve()),
        "config_path": str(Path(config_path).resolve()) if config_path else None,
        "overrides": overrides,
        "cwd": os.getcwd(),
        "prefect_api_url": os.environ.get("PREFECT_API_URL"),
    }
    with sock, sock.makefile("rb") as stream:
        sock.settimeout(ANSWER_TIMEOUT_S)
        try:
            send(sock, request)
            reply = receive(stream)
        except (OSError, ValueError) as e:  # TimeoutError is an OSError
            say(f"hehu serve at {path} did not answer ({e or type(e).__name__}); running it here")
            return None
        if reply is None or "refused" in reply:
            if reply is not None:
                say(f"hehu serve is running but cannot take this run ({reply['refused']}); "
                    "running it here")  # fmt: skip
            return None
        sock.settimeout(None)  # a flight takes as long as it takes, queued ones longer
        waiting = " (after the flight it is running now)" if reply.get("waiting") else ""
        say(f"handed to hehu serve (pid {reply['accepted']}){waiting}; "
            "Ctrl-C stops the run, --local runs it here")  # fmt: skip
        while (reply := _next_reply(stream)) is not None:
            if "progress" in reply:
                progress(*reply["progress"])
            elif "summary" in reply:
                return reply["summary"]
            elif "error" in reply:
                raise error_of(reply)
    raise errors.HehuError(f"hehu serve ({path}) closed the connection before the run ended; "
                           "see its log, or run with --local")  # fmt: skip


def _next_reply(stream: BinaryIO) -> dict[str, Any] | None:
    try:
        return receive(stream)
    except (OSError, ValueError):  # the serve died mid-line: as if it had closed
        return None


def error_of(reply: dict[str, Any]) -> errors.HehuError:
    """The error a reply names, as the same class where it is one of hehu's."""
    cls = getattr(errors, reply.get("kind", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, errors.HehuError)):
        cls = errors.HehuError
    return cls(reply["error"])


# -- the serve side -----------------------------------------------------------------------


class FlightDesk:
    """Takes flights handed over by ``hehu run`` and runs them one at a time with ``run``.

    Each connection is served on its own thread, in a copy of the context the
    desk was started in (Prefect's settings are context variables).
    """

    def __init__(self, run: RunFlight, path: Path | None = None) -> None:
        self.run = run
        self.path = path or socket_path()
        self.cwd = os.getcwd()
        self.api_url = os.environ.get("PREFECT_API_URL")  # where its runs are recorded
        self.busy = threading.Lock()  # one flight at a time (deployment runs share it)
        self._stops: set[threading.Event] = set()  # of the flights taken and not yet answered
        self._sock: socket.socket | None = None
        self._context = contextvars.copy_context()  # Prefect's settings for the run threads

    def start(self) -> bool:
        """Listen; False (with a warning) when another serve already listens here."""
        if not available():
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._bind(sock)
        except OSError as e:
            sock.close()
            log.warning("not taking flights from hehu run: %s", e)
            return False
        sock.listen()
        self._sock = sock
        threading.Thread(target=self._accept, name="hehu-flight-desk", daemon=True).start()
        log.info("taking flights from hehu run at %s", self.path)
        return True

    def _bind(self, sock: socket.socket) -> None:
        try:
            sock.bind(str(self.path))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            if listening(self.path):
                raise OSError(f"another hehu serve listens at {self.path}") from e
            self.path.unlink()  # left by a serve that was killed
            sock.bind(str(self.path))
        os.chmod(self.path, 0o600)  # this user's runs only

    def close(self, wait_s: float = 30.0) -> None:
        """Stop listening; stop the flights taken (a running one after its current frame)
        and wait up to ``wait_s`` for it to end, so that no run is cut off mid-write."""
        if self._sock is None:
            return
        self._sock.close()
        self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        for stop in list(self._stops):
            stop.set()
        if self.busy.acquire(timeout=wait_s):
            self.busy.release()
        else:
            log.warning("a handed flight was still running %.0f s after the serve stopped", wait_s)

    def _accept(self) -> None:
        while (sock := self._sock) is not None:
            try:
                conn, _ = sock.accept()
            except OSError:  # closed
                return
            context = self._context.copy()
            threading.Thread(target=context.run, args=(self._serve, conn), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn.makefile("rb") as stream:
                self._answer(conn, stream)
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # wakes the hang-up watcher
            conn.close()

    def _answer(self, conn: socket.socket, stream: BinaryIO) -> None:
        conn.settimeout(ANSWER_TIMEOUT_S)  # a client that connects and says nothing
        try:
            request = receive(stream)
        except (OSError, ValueError):
            return
        if request is None:
            return
        conn.settimeout(None)
        refusal = self.refusal(request)
        if refusal:
            _try_send(conn, {"refused": refusal})
            return
        stop = threading.Event()
        if not _try_send(conn, {"accepted": os.getpid(), "waiting": self.busy.locked()}):
            return
        threading.Thread(target=_wait_for_hangup, args=(conn, stop), daemon=True).start()
        self._stops.add(stop)
        try:
            with self.busy:
                if stop.is_set():
                    _try_send(conn, {"error": "hehu serve stopped before the flight's turn",
                                     "kind": "RunStopped"})  # fmt: skip
                    return
                answered = threading.Event()

                def finished(summary: dict[str, Any]) -> None:
                    if not answered.is_set():
                        answered.set()
                        _try_send(conn, {"summary": summary})

                outcome = self._outcome(request, conn, stop, finished)
                if not answered.is_set():
                    _try_send(conn, outcome)
        finally:
            self._stops.discard(stop)

    def refusal(self, request: dict[str, Any]) -> str | None:
        """Why this serve cannot run ``request`` as the shell would have, if it cannot."""
        if not isinstance(request.get("flight_dir"), str):
            return "the request names no flight folder"
        if not isinstance(request.get("overrides") or {}, dict):
            return "the request's overrides are not a mapping"
        if request.get("cwd") != self.cwd:
            # Relative paths in the configuration and the ledger URL would point elsewhere.
            return f"it works in {self.cwd}, this command in {request.get('cwd')}"
        wanted = request.get("prefect_api_url")
        if wanted and wanted != self.api_url:
            # The run would be recorded on another Prefect server than the one asked for.
            return f"it reports to the Prefect API {self.api_url or '(temporary)'}, not {wanted}"
        return None

    def _outcome(
        self, request: dict[str, Any], conn: socket.socket, stop: threading.Event,
        finished: Finished,
    ) -> dict[str, Any]:  # fmt: skip
        def progress(done: int, total: int) -> None:
            if not _try_send(conn, {"progress": [done, total]}):
                stop.set()

        try:
            return {"summary": self.run(request, progress, stop, finished)}
        except errors.HehuError as e:
            log.warning("handed flight %s: %s", request["flight_dir"], e)
            return {"error": str(e), "kind": type(e).__name__}
        except Exception as e:
            log.exception("handed flight %s failed", request["flight_dir"])
            return {"error": f"the run failed in hehu serve: {type(e).__name__}: {e}",
                    "kind": "HehuError"}  # fmt: skip


def listening(path: Path) -> bool:
    """Whether a process accepts connections on the Unix socket at ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def _try_send(sock: socket.socket, message: dict[str, Any]) -> bool:
    try:
        send(sock, message)
        return True
    except OSError:  # the hehu run went away
        return False


def _wait_for_hangup(conn: socket.socket, stop: threading.Event) -> None:
    """Set ``stop`` when the client closes its end (it sends nothing after the request)."""
    try:
        while conn.recv(1024):
            pass
    except OSError:
        pass
    stop.set()


def run_handed_flight(
    request: dict[str, Any], progress: Progress, stop: threading.Event, finished: Finished
) -> dict[str, Any]:
    """The serve's :data:`RunFlight`: the process-flight flow in this process.

    The client is answered from the flow's completion hook, which Prefect calls
    once the API has recorded the run Completed. What follows is Prefect's
    teardown, which can take up to 1 s because it waits for the heartbeat
    thread to wake from its 1 s sleep. The client does not wait for it.
    """
    from prefect.exceptions import CancelledRun

    from flows.process_flight import FRAMES, run_process_flight

    def answer(_flow, _flow_run, state) -> None:
        finished(state.result())

    with FRAMES.watching(progress, stop):
        try:
            return run_process_flight(
                request["flight_dir"],
                request.get("config_path"),
                request.get("overrides") or {},
                on_completion=[answer],
            )
        except CancelledRun as e:  # the flow ends Cancelled when it was stopped
            raise errors.RunStopped(str(e)) from None
