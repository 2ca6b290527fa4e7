"""Deployment runs of ``process-flight`` executed in ``hehu serve``'s own, warm process.

Prefect's runner starts every deployment run in a fresh Python process, which
imports Prefect and the pipeline and loads the detectors again: 3–4 s before
the first frame. ``hehu serve`` instead polls for the scheduled runs of its
``process-flight`` deployment (``prefect deployment run …``, the UI's Run
button) and executes them here, one flight at a time together with the flights
``hehu run`` hands over (:mod:`flows.handoff`). A run cancelled in Prefect
stops after the current frame, before the ledger is touched, and ends
Cancelled.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

log = logging.getLogger(__name__)

#: Seconds between looks for scheduled runs (Prefect's runner default is 10).
POLL_S = 2.0
#: Seconds between looks, during a run, at whether it was cancelled in Prefect.
CANCEL_POLL_S = 2.0


def claim(client: Any, flow_run: Any) -> bool:
    """Move a scheduled run to Pending; False when another runner took it first."""
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.states import Pending

    try:
        result = client.set_flow_run_state(flow_run.id, Pending())
    except Exception:
        log.exception("could not take flow run %s", flow_run.id)
        return False
    return result.status == SetStateStatus.ACCEPT


def watch_cancellation(
    read_state: Callable[[], Any], stop: threading.Event, done: threading.Event, every_s: float
) -> None:
    """Set ``stop`` once the run's state (``read_state()``) is Cancelling or Cancelled."""
    while not done.wait(every_s):
        try:
            state = read_state()
        except Exception:  # the API is busy or restarting: look again later
            log.debug("could not read a run's state", exc_info=True)
            continue
        if state is not None and (state.is_cancelling() or state.is_cancelled()):
            stop.set()
            return


class WarmRuns:
    """Polls one deployment's scheduled runs and executes them in this process."""

    def __init__(
        self, deployment_id: UUID, busy: threading.Lock, *, poll_s: float = POLL_S
    ) -> None:
        self.deployment_id = deployment_id
        self.busy = busy
        self.poll_s = poll_s
        self._closed = threading.Event()
        self._stop: threading.Event | None = None

    def start(self) -> None:
        import contextvars

        context = contextvars.copy_context()  # Prefect's settings (API URL) for the thread
        threading.Thread(target=context.run, args=(self._loop,), name="hehu-warm-runs",
                         daemon=True).start()  # fmt: skip

    def close(self) -> None:
        self._closed.set()
        if self._stop is not None:
            self._stop.set()

    def _loop(self) -> None:
        from prefect import get_client

        with get_client(sync_client=True) as client:
            while not self._closed.wait(self.poll_s):
                try:
                    self.poll_once(client)
                except Exception:
                    log.exception("looking for scheduled process-flight runs failed")

    def poll_once(self, client: Any) -> int:
        """Run every due scheduled run of the deployment; returns how many ran."""
        due = client.get_scheduled_flow_runs_for_deployments(
            deployment_ids=[self.deployment_id], scheduled_before=dt.datetime.now(dt.UTC)
        )
        ran = 0
        for flow_run in sorted(due, key=lambda r: r.expected_start_time or r.created):
            if self._closed.is_set():
                break
            with self.busy:  # one flight at a time, handed ones included
                if claim(client, flow_run):
                    self.execute(client, flow_run)
                    ran += 1
        return ran

    def execute(self, client: Any, flow_run: Any) -> None:
        """The flow run, here; its outcome is recorded in Prefect, not raised."""
        from prefect.flow_engine import run_flow
        from prefect.states import Failed

        from flows.process_flight import FRAMES, configured_flow
        from pipeline.errors import HehuError

        params = dict(flow_run.parameters)
        stop, done = threading.Event(), threading.Event()
        self._stop = stop
        watcher = threading.Thread(
            target=watch_cancellation,
            args=(lambda: client.read_flow_run(flow_run.id).state, stop, done, CANCEL_POLL_S),
            daemon=True,
        )
        watcher.start()
        log.info(
            "running flow run %s (%s) in this process", flow_run.name, params.get("flight_dir")
        )
        try:
            try:
                flow = configured_flow(params.get("config_path"), params.get("overrides"))
            except HehuError as e:  # the run never starts: say why in Prefect
                client.set_flow_run_state(flow_run.id, Failed(message=str(e)), force=True)
                log.warning("flow run %s: %s", flow_run.name, e)
                return
            # run_flow (Prefect's engine, not its public API) runs the flow run the
            # deployment already created, here, as Prefect's runner would in a subprocess;
            # tests/flows/test_prefect_internals.py checks the arguments used here.
            with FRAMES.watching(None, stop):
                state = run_flow(flow, flow_run=flow_run, parameters=params, return_type="state")
            log.info("flow run %s: %s", flow_run.name, getattr(state, "type", state))
        except Exception:
            log.exception("flow run %s failed to start", flow_run.name)
        finally:
            done.set()
            self._stop = None
