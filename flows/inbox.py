"""``sweep_inbox``: the scheduled flow that processes new flights in a drop folder.

Every flight folder that is new or changed since it was last processed (see
:mod:`pipeline.inbox`) runs through ``process_flight`` as a subflow; it is
recorded as processed only when that run succeeds, so a failed flight is
tried again at the next sweep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from flows.process_flight import process_flight
from pipeline.config import load_config, resolve
from pipeline.inbox import mark_processed, pending_flights


@flow(name="sweep-inbox")
def sweep_inbox(
    drop_dir: str | None = None,
    config_path: str | None = None,
    settle_s: float = 60.0,
    overrides: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Process each new or changed flight folder under ``drop_dir`` (default: the config's)."""
    config = load_config(config_path, overrides)
    folder = Path(drop_dir) if drop_dir else resolve(config.inbox.drop_dir)
    log = get_run_logger()
    if not folder.is_dir():
        log.warning("drop folder %s does not exist: nothing to sweep", folder)
        return []
    summaries = []
    for m in pending_flights(folder, settle_s=settle_s):
        log.info("new flight folder %s (%d files)", m.path, m.files)
        summary = process_flight(m.path, config_path, overrides)
        mark_processed(m)
        summaries.append(summary)
    return summaries
