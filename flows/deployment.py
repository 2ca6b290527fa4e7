"""Asking the ``process-flight`` deployment for a run: the review app's processing hook.

The review app (``hehu review``) imports no Prefect: it looks :func:`start_flight`
up by name (``pipeline.review.app.resolve_start_flight``) and calls it with the
folder an operator picked.
"""

from __future__ import annotations

import os
from pathlib import Path

from flows.launch import check_prefect_folder
from pipeline.errors import HehuError
from pipeline.ingest.verdict import check_flight_folder

#: The Prefect deployment ``hehu serve`` registers for on-demand flights.
DEPLOYMENT = "process-flight/process-flight"


def start_flight(flight_dir: Path, *, config_path: str | None = None) -> str:
    """Ask the Prefect deployment to process ``flight_dir``; returns the flow run's id.

    Does not wait: the run goes to whichever ``hehu serve`` polls the Prefect
    server (``PREFECT_API_URL``). Raises HehuError when no server or deployment
    answers, with what to start.
    """
    check_prefect_folder(flight_dir, "process it with `hehu run --no-prefect` on the server")
    check_flight_folder(Path(flight_dir))  # an empty or wrong folder: one line, no flow run
    if not os.environ.get("PREFECT_API_URL"):
        raise HehuError("processing needs a Prefect server: start `prefect server start`, "
                        "export PREFECT_API_URL, and run `hehu serve`")  # fmt: skip
    from prefect.deployments import run_deployment

    try:
        parameters = {"flight_dir": str(flight_dir), "config_path": config_path}
        run = run_deployment(DEPLOYMENT, timeout=0, parameters=parameters)
    except Exception as e:  # the Prefect client raises many kinds; all mean "not served"
        raise HehuError(
            f"could not start {DEPLOYMENT} for {flight_dir}: {e}; "
            "is `hehu serve` running against this Prefect server?"
        ) from e
    return str(run.id)
