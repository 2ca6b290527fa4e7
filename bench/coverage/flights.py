"""How long coverage takes over N flights: synthetic nadir frames over the example zone.

    python bench/coverage/flights.py --flights 50 --frames 60

Writes a temporary SQLite ledger with N flights, each a lawn-mower pattern of nadir
frames (100 m × 67 m footprints, 5472×3648 px, ≈ 1.8 cm/px) over the example zone
(``configs/zones``) and grids (``configs/grids``), one flight a week, and times
:func:`pipeline.coverage.coverage_report` over all of them (the ledger query included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from pipeline.config import resolve
from pipeline.coverage import areas_of, coverage_report
from pipeline.geo.coords import enu_to_geodetic
from pipeline.ledger.db import make_engine, make_session_factory, upgrade
from pipeline.ledger.grids import load_grids
from pipeline.ledger.models import Flight, Frame
from pipeline.ledger.zones import load_zones

LAT0, LON0 = 46.8427, -91.9940  # the example zone's middle


def ring(e: float, n: float) -> list[list[float]]:
    corners = [(e - 50, n - 33), (e + 50, n - 33), (e + 50, n + 33), (e - 50, n + 33)]
    out = []
    for ce, cn in [*corners, corners[0]]:
        lat, lon, _ = enu_to_geodetic(ce, cn, 0.0, lat0_deg=LAT0, lon0_deg=LON0)
        out.append([float(lat), float(lon)])
    return out


def fill(url: str, flights: int, frames: int) -> None:
    factory = make_session_factory(make_engine(url))
    with factory() as session:
        for k in range(flights):
            day = dt.datetime(2026, 1, 1) + dt.timedelta(days=7 * k)
            flight = Flight(key=f"f{k}", name=f"f{k}", started_at=day)
            session.add(flight)
            session.flush()
            for i in range(frames):
                e, n = -300 + (i % 10) * 60, -150 + (i // 10) * 50
                lat, lon, _ = enu_to_geodetic(e, n, 0.0, lat0_deg=LAT0, lon0_deg=LON0)
                session.add(Frame(
                    sha256=f"{k:06d}-{i:06d}".ljust(64, "0"), flight_id=flight.id, path=f"/{k}/{i}",
                    captured_at=day + dt.timedelta(seconds=i), lat_deg=float(lat),
                    lon_deg=float(lon), width_px=5472, height_px=3648, footprint=ring(e, n),
                ))  # fmt: skip
        session.commit()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--flights", type=int, default=50)
    p.add_argument("--frames", type=int, default=60)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.sqlite'}"
        upgrade(make_engine(url))
        fill(url, args.flights, args.frames)
        areas = areas_of(load_zones(resolve("configs/zones")), load_grids(resolve("configs/grids")))
        factory = make_session_factory(make_engine(url))
        t0 = time.perf_counter()
        with factory() as session:
            report = coverage_report(session=session, areas=areas, start=None,
                                     end=dt.date(2030, 1, 1), gsd_limit=5.0)  # fmt: skip
        seconds = time.perf_counter() - t0
    print(f"{args.flights} flights × {args.frames} frames, {len(areas)} areas: {seconds:.2f} s")
    for a in report.areas:
        print(f"  {a.area.kind} {a.area.code}: {a.seen_share:.1%} seen, {len(a.passes)} passes")


if __name__ == "__main__":
    main()
