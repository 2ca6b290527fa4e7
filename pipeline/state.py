"""Where hehu keeps its state: the SQLite ledger, evidence crops, reports, the inbox
record, Prefect's database, the review app's uploads and ultralytics' settings.

One folder, the first of:

1. ``state.dir`` in the run configuration (``--config FILE``; a relative path is
   taken from the configuration file's folder);
2. ``$HEHU_HOME``;
3. the user's data folder: ``$XDG_DATA_HOME/hehu``, else ``~/.local/share/hehu``.

So every command finds the same ledger from any working folder. This is the only
module that reads ``HEHU_HOME`` and ``XDG_DATA_HOME``. Things hehu sets up before it
reads a configuration (Prefect's database, the ``hehu serve`` socket, ultralytics'
settings, the review app) use 2 and 3.
"""

from __future__ import annotations

import os
from pathlib import Path


def state_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """hehu's state folder: ``configured`` (a configuration's ``state.dir``) if given,
    else ``$HEHU_HOME``, else ``$XDG_DATA_HOME/hehu`` or ``~/.local/share/hehu``."""
    if configured:
        return Path(configured).expanduser().resolve()
    home = os.environ.get("HEHU_HOME")
    if home:
        return Path(home).expanduser().resolve()
    data = os.environ.get("XDG_DATA_HOME")
    base = Path(data) if data and Path(data).is_absolute() else Path.home() / ".local" / "share"
    return (base / "hehu").resolve()


def where(configured: str | os.PathLike[str] | None = None) -> str:
    """One line saying which state folder is in use and why, for commands to print."""
    if configured:
        why = "state.dir in the configuration"
    elif os.environ.get("HEHU_HOME"):
        why = "$HEHU_HOME"
    else:
        why = "the per-user default; set $HEHU_HOME or state.dir to move it"
    return f"state folder: {state_dir(configured)} ({why})"
