"""``hehu serve``: register and serve the Prefect deployments.

- ``process-flight``: on demand, with parameters (``flight_dir``, ``config_path``),
  e.g. ``prefect deployment run process-flight/process-flight -p flight_dir=/data/f1``;
- ``sweep-inbox``: on the cron of ``inbox.cron`` in the configuration.

It keeps running and executes the runs itself; start it on each machine that
should take work (see the README for a cluster). ``process-flight`` runs, and
the flights ``hehu run`` on this machine hands over (:mod:`flows.handoff`),
run in this process, where Prefect and the detectors are already loaded
(:mod:`flows.warm_runs`), one at a time; the sweep runs in a process of its own
through Prefect's runner.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the Prefect deployments (on-demand flight, nightly inbox)"
    )
    p.add_argument("--config", help="run configuration (default: configs/hehu.yaml)")
    p.set_defaults(func=run)


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


def run(args: argparse.Namespace) -> int:
    from flows.server import connect, prefect_api
    from pipeline.cli.run import print_state

    api = prefect_api()  # starts now, while Prefect and the flows load
    from prefect import serve

    on_demand, inbox = deployments(args.config)
    print_state(args)  # the ledger and state folder its flights go to
    with connect(api):
        if api is not None:
            temporary_api_note(api.url)
        desk = flight_desk(args.config)
        warm = warm_runs(on_demand, desk)
        try:
            serve(inbox)  # Prefect's runner: the nightly sweep, in a process of its own
        finally:
            warm.close()
            desk.close()
    return 0


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
    from pipeline import run as stages
    from pipeline.config import load_config

    config = load_config(config_path)
    if config.flow.task_runner == "thread":
        stages.load_detectors(config)  # once: every handed flight reuses them
    desk = FlightDesk(run_handed_flight)
    if desk.start():
        print(f"hehu run on this machine (in {desk.cwd}) hands its flights to this serve "
              "(--local runs them in their own process)")  # fmt: skip
    return desk
