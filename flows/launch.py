"""``hehu run`` and ``hehu demo`` with Prefect: the command's one way into :mod:`flows`.

The flight goes to this machine's ``hehu serve`` when one takes it
(:mod:`flows.handoff`), else runs here as the ``process-flight`` flow, against
a temporary Prefect API launched first (:mod:`flows.server`) unless one is
configured. Imports nothing heavy before that API is launched.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flows.handoff import Progress, hand_off
from flows.server import connect, prefect_api
from pipeline.errors import BadInputError, RunStopped
from pipeline.ingest.names import display_path, is_utf8


def run_flight(
    flight_dir: Path,
    config_path: str | None,
    overrides: dict[str, Any],
    *,
    progress: Progress,
    stop: threading.Event | None = None,
    local: bool = False,
) -> dict[str, Any]:
    """Run one flight with Prefect; its summary dict. ``local``: never hand it over. Once
    ``stop`` is set, the flow's batches stop after their current frame."""
    check_prefect_folder(flight_dir, "run it with --no-prefect")
    if not local:
        summary = handed_off(flight_dir, config_path, overrides, progress)
        if summary is not None:
            return summary
    api = prefect_api()  # first, so that the server starts while the rest loads
    import flows.process_flight as pf
    from pipeline.config import load_config
    from pipeline.run import load_detectors

    config = load_config(config_path, overrides)
    if config.flow.task_runner == "thread":
        load_detectors(config)  # in this process: the detection task reuses them
    with connect(api), pf.FRAMES.watching(progress, stop):
        return pf.run_process_flight(str(flight_dir), config_path, overrides)


def handed_off(
    flight_dir: Path, config_path: str | None, overrides: dict[str, Any], progress: Progress
) -> dict[str, Any] | None:
    """The summary of the flight run by this machine's ``hehu serve``, if one takes it."""
    try:
        return hand_off(flight_dir, config_path, overrides, progress)
    except KeyboardInterrupt:
        raise RunStopped("interrupted: hehu serve stops the run after the current frame") from None


def check_prefect_folder(flight_dir: Path, instead: str) -> None:
    """Refuse a folder whose path is not UTF-8 before Prefect is asked to run it: Prefect's
    API takes a flow's parameters as UTF-8 text. ``instead`` says what to do."""
    if not is_utf8(flight_dir.resolve()):
        raise BadInputError(
            f"{display_path(flight_dir.resolve())}: the folder's path is not valid UTF-8 (bytes "
            f"shown as \\xNN) and Prefect keeps a flow's parameters as UTF-8 text; {instead} "
            "(the ledger keeps the path's exact bytes) or rename the folder"
        )
