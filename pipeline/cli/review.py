"""``hehu review``: serve the review web app on the ledger database.

``hehu review [--host 127.0.0.1] [--port 8765] [--db URL] [--config review.yaml] [--workers N]``

The ledger must be at the latest migration (``hehu ledger upgrade``) and hold
at least one account (``hehu users add NAME --role admin``). The app listens
on 127.0.0.1 by default; put it behind an HTTPS proxy (and set
``secure_cookies: true``) before opening it to a network.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="serve the review web app (queue, candidates, map, exports)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="ledger URL (default: $HEHU_DB_URL, else the state folder's)",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="review settings YAML (see pipeline/review/config.py)",
    )
    p.add_argument("--basemap", metavar="URL", default=None, help="XYZ tile URL template for maps")
    p.add_argument(
        "--zones", type=Path, default=None,
        help="zone GeoJSON file or folder drawn on maps (default: the run config's ledger.zones)",
    )  # fmt: skip
    p.add_argument(
        "--run-config", type=Path, default=None,
        help="hehu run config for the zones and display.timezone (default configs/hehu.yaml)",
    )  # fmt: skip
    p.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (state is in the DB)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from pipeline.ledger.db import check_schema, default_url
    from pipeline.review.app import create_app, resolve_start_flight
    from pipeline.review.config import load_review_config
    from pipeline.review.models import User
    from pipeline.review.server import serve
    from pipeline.review.store import open_db

    check_port(args.host, args.port)
    config = load_review_config(
        args.config, db_url=args.db, basemap_url=args.basemap, zones_dir=args.zones,
        run_config=args.run_config,
    )  # fmt: skip
    url = config.db_url or default_url()
    db = open_db(url)
    check_schema(db.engine)
    with db.read() as session:
        if not session.scalar(select(func.count(User.id))):
            log.warning("no accounts yet: create one with: hehu users add NAME --role admin")
    hook = resolve_start_flight()
    shown = db.engine.url.render_as_string(hide_password=True)
    print(f"hehu review on http://{args.host}:{args.port}/ (ledger {shown})")
    if args.workers > 1:
        db.dispose()
        serve(config, url, host=args.host, port=args.port, workers=args.workers)
        return 0
    app = create_app(config, db, start_flight=hook)
    serve(config, url, host=args.host, port=args.port, app=app)
    return 0


def check_port(host: str, port: int) -> None:
    """Raise :class:`~pipeline.errors.HehuError` (one line: the port, and ``--port``) when
    ``host:port`` cannot be listened on, before uvicorn tries and prints its bind error."""
    import errno
    import socket

    from pipeline.errors import HehuError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                why = f"port {port} on {host} is in use (another hehu review, or another program)"
            else:
                why = f"cannot listen on {host}:{port} ({e.strerror or e})"
            raise HehuError(f"{why}; choose another with --port, e.g. --port {port + 1}") from e
