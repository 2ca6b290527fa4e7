"""How long statistics take on a seeded ledger: compute, then write the xlsx.

Run from the checkout::

    PYTHONPATH=$PWD python bench/ledger/stats.py [--issues 1000] [--db URL]

Seeds a fresh SQLite ledger in a temporary folder (or ``--db``, which must be an
empty migrated database) with ``--issues`` issues found over 2026, each taken a
random way along the workflow with its audit history
(``tests/ledger/stats_seed.random_seeds``), then times ``ledger_stats`` for the
year by week and by river, and writing that as xlsx, CSV and the two PNG charts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.stats import ledger_stats
    from pipeline.ledger.stats_export import write_stats
    from pipeline.review.charts import closure_rate_png, found_by_type_png
    from tests.ledger.stats_seed import add_issues, random_seeds

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'ledger.sqlite'}")
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory.begin() as session:
            add_issues(session, random_seeds(args.issues))
        tz = ZoneInfo("Asia/Shanghai")
        for by in (None, "river"):
            t0 = time.perf_counter()
            with factory() as session:
                stats = ledger_stats(session=session, start=dt.date(2026, 1, 1),
                                     end=dt.date(2026, 12, 31), tz=tz, by=by,
                                     period="week")  # fmt: skip
            t1 = time.perf_counter()
            write_stats(stats, Path(tmp) / "stats.xlsx", "xlsx")
            t2 = time.perf_counter()
            write_stats(stats, Path(tmp) / "stats.csv", "csv")
            t3 = time.perf_counter()
            closure_rate_png(stats.closure_series)
            found_by_type_png(stats.found_by_type)
            t4 = time.perf_counter()
            print(f"{args.issues} issues, by week{' and ' + by if by else ''}: "
                  f"{len(stats.rows)} rows; compute {t1 - t0:.2f} s, xlsx {t2 - t1:.2f} s, "
                  f"csv {t3 - t2:.2f} s, two charts {t4 - t3:.2f} s; "
                  f"closure rate {stats.total.closure_rate:.1%}, "
                  f"median {stats.total.median_days_to_close} days")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
