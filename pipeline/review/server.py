"""Running the app under uvicorn, in one process or several.

Everything the app keeps between requests lives in the database (sessions,
login attempts, the ledger), so worker processes need not share memory:
``serve(..., workers=N)`` starts N uvicorn workers, each building its app
once from the settings passed in ``$HEHU_REVIEW_SETTINGS`` (JSON written by
the entry point, never read at import time).
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV = "HEHU_REVIEW_SETTINGS"


def uvicorn_options(config: Any) -> dict[str, Any]:
    """How uvicorn must run the app: forwarding headers believed only from ``trusted_proxies``.

    uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise,
    which lets anyone on the machine pick the address the login limits count.
    """
    trusted = list(config.trusted_proxies)
    if not trusted:
        return {"proxy_headers": False, "access_log": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted, "access_log": False}


def app_from_env() -> Any:
    """uvicorn factory for worker processes: the app from ``$HEHU_REVIEW_SETTINGS``."""
    from pipeline.review.app import create_app, resolve_start_flight
    from pipeline.review.config import ReviewConfig
    from pipeline.review.store import open_db

    settings = json.loads(os.environ[ENV])
    config = ReviewConfig.model_validate(settings["config"])
    return create_app(config, open_db(settings["db_url"]), start_flight=resolve_start_flight())


def serve(
    config: Any,
    db_url: str,
    *,
    host: str,
    port: int,
    workers: int = 1,
    app: Any = None,
    log_level: str = "info",
) -> None:
    """Serve until interrupted. With ``workers`` 1, ``app`` (if given) is served as it is."""
    import uvicorn

    if workers <= 1:
        if app is None:
            from pipeline.review.app import create_app, resolve_start_flight
            from pipeline.review.store import open_db

            app = create_app(config, open_db(db_url), start_flight=resolve_start_flight())
        uvicorn.run(app, host=host, port=port, log_level=log_level, **uvicorn_options(config))
        return
    os.environ[ENV] = json.dumps({"config": config.model_dump(mode="json"), "db_url": db_url})
    uvicorn.run(
        "pipeline.review.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        **uvicorn_options(config),
    )
