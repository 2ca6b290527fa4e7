"""``hehu serve``: register and serve the Prefect deployments (:mod:`flows.serve`).

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


def run(args: argparse.Namespace) -> int:
    from flows.serve import serve
    from pipeline.cli.run import print_state

    print_state(args)  # the ledger and state folder its flights go to
    serve(args.config)
    return 0
