"""Alembic environment for the ledger.

hehu calls Alembic through :func:`pipeline.ledger.db.upgrade`, which passes an
open connection in ``config.attributes["connection"]``. The ``alembic``
command line works too, with ``-c pipeline/ledger/alembic.ini`` and the URL in
``$HEHU_DB_URL`` (or ``-x url=…``).
"""

from __future__ import annotations

from alembic import context

import pipeline.review.models  # noqa: F401  (review tables and queue indexes join Base.metadata)
from pipeline.ledger.db import default_url, make_engine
from pipeline.ledger.models import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    context.configure(url=url or default_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = make_engine(url or default_url())
    try:
        with engine.connect() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
