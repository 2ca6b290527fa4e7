"""Prefect flows: thin layers over :mod:`pipeline` (records and paths between tasks).

Importing this package points Prefect at hehu's state folder (``$HEHU_HOME``, else
the per-user data folder: :mod:`pipeline.state`) unless ``PREFECT_HOME`` or
``PREFECT_API_URL`` is already set, so a first run needs no Prefect setup and
writes nothing to ``~/.prefect``, and turns off the temporary server's telemetry.
"""

from __future__ import annotations

import os

from pipeline.state import state_dir

if not os.environ.get("PREFECT_HOME") and not os.environ.get("PREFECT_API_URL"):
    os.environ["PREFECT_HOME"] = str(state_dir() / "prefect")
    (state_dir() / "prefect").mkdir(parents=True, exist_ok=True)
# No telemetry from the temporary server (these machines may have no network, and its
# first write races the server's own start-up on SQLite: "database is locked").
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
