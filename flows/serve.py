"""``hehu serve``'s work: register the Prefect deployments and run them in this process.

- ``process-flight``: on demand, with parameters (``flight_dir``, ``config_path``),
  e.g. ``prefect deployment run process-flight/process-flight -p flight_dir=/data/f1``;
  its runs, and the flights ``hehu run`` on this machine hands over
  (:mod:`flows.handoff`), run here, where Prefect and the detectors are already
  loaded (:mod:`flows.warm_runs`), one at a time;
- ``sweep-inbox``: on the cron of ``inbox.cron`` in the configuration, in a process
  of its own through Prefect's runner.

:func:`serve` is the command's one way in. Imports nothing heavy before the
temporary Prefect API is launched.
"""

from __future__ import annotations


def deployments(config_path: str | None = None) -> list:
    from prefect.schedules import Cron

    from flows.inbox import sweep_inbox
    from flows.process_flight import process_flight
    from pipeline.config import load_config

    config = load_config(config_path)
    return [
        process_flight.to_deployment(
            name="process-flight",
            parameters={"config_path": config_path},
            description="Process one flight folder into the ledger",
        ),
        sweep_inbox.to_deployment(
            name="sweep-inbox",
            schedule=Cron(config.inbox.cron, timezone=config.inbox.timezone),
            parameters={"config_path": config_path},
            description=f"Sweep {config.inbox.drop_dir} for new flights",
        ),
    ]


def serve(config_path: str | None = None) -> None:
    """Register both deployments and serve them until interrupted."""
    from flows.server import connect, prefect_api

    api = prefect_api()  # starts now, while Prefect and the flows load
    from prefect import serve as prefect_serve

    on_demand, inbox = deployments(config_path)
    with connect(api):
        if api is not None:
            temporary_api_note(api.url)
        desk = flight_desk(config_path)
        warm = warm_runs(on_demand, desk)
        try:
            prefect_serve(inbox)  # Prefect's runner: the nightly sweep, in a process of its own
        finally:
            warm.close()
            desk.close()


def temporary_api_note(url: str) -> None:
    """Say that runs are recorded on a temporary API, and where it is while it lasts."""
    import os

    if os.environ.get("PREFECT_API_URL") == url:  # it answered: Prefect reports to it
        where = (f" at {url}; reach it while this runs with PREFECT_API_URL={url} "
                 "(e.g. for `prefect deployment run`)")  # fmt: skip
    else:
        where = ""  # it did not answer: Prefect runs its own temporary server
    print(f"PREFECT_API_URL is not set: serving against a temporary Prefect server{where}. It "
          "stops with this command; for a lasting setup run `prefect server start` and export "
          "PREFECT_API_URL (see the README).")  # fmt: skip


def warm_runs(on_demand, desk):
    """Register ``process-flight`` and run its deployment runs in this process."""
    from flows.warm_runs import WarmRuns

    warm = WarmRuns(on_demand.apply(), desk.busy)
    warm.start()
    print(f"runs of {on_demand.flow_name}/{on_demand.name} (prefect deployment run, the UI) "
          "run in this process")  # fmt: skip
    return warm


def flight_desk(config_path: str | None):
    """Start taking flights from ``hehu run``, with this configuration's detectors loaded."""
    from flows.handoff import FlightDesk, run_handed_flight
    from pipeline.config import load_config
    from pipeline.run import load_detectors

    config = load_config(config_path)
    if config.flow.task_runner == "thread":
        load_detectors(config)  # once: every handed flight reuses them
    desk = FlightDesk(run_handed_flight)
    if desk.start():
        print(f"hehu run on this machine (in {desk.cwd}) hands its flights to this serve "
              "(--local runs them in their own process)")  # fmt: skip
    return desk
