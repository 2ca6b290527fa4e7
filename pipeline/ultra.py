"""The one place ultralytics is imported, with the network and $HOME kept out.

ultralytics reads ``YOLO_OFFLINE`` and ``YOLO_CONFIG_DIR`` at import time, so
they are set here first: offline (no hub, font or weight downloads) and a
settings folder inside hehu's own state folder (:mod:`pipeline.state`) instead of ``~/.config``.
"""

from __future__ import annotations

import os
from typing import Any

from pipeline.errors import MissingDependencyError
from pipeline.state import state_dir


def import_ultralytics() -> Any:
    """Import and return the ``ultralytics`` module, configured offline."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    config_dir = state_dir() / "ultralytics"
    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir))
    try:
        import ultralytics
    except ImportError as e:
        raise MissingDependencyError(
            "ultralytics is needed for training and the PyTorch backend: "
            "pip install 'ultralytics>=8.3'"
        ) from e
    return ultralytics
