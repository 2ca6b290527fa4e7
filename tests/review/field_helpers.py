"""Field-check test helpers: a photo with EXIF GPS and time, points metres away, and a
client of the account that patrols the example zone as a grid."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.geo.coords import enu_to_geodetic
from tests.ingest.synth import jpeg_bytes
from tests.review.review_helpers import csrf_of, log_in

ZONE = Path(__file__).resolve().parents[2] / "configs" / "zones" / "example_brighton_beach.geojson"


def photo(lat: float | None, lon: float | None, when_utc: dt.datetime | None) -> bytes:
    """A small JPEG whose EXIF holds a GPS position and GPS time (or none)."""
    stamp = when_utc.strftime("%Y-%m-%dT%H:%M:%S") if when_utc else None
    return jpeg_bytes(64, 48, lat=lat, lon=lon, gps_time_utc=stamp, captured_at=None,
                      xmp_form=None)  # fmt: skip


def north_of(lat: float, lon: float, metres: float) -> tuple[float, float]:
    la, lo, _ = enu_to_geodetic(0.0, metres, 0.0, lat0_deg=lat, lon0_deg=lon)
    return float(la), float(lo)


def patroller_client(make_app: Any, tmp_path: Path) -> Iterator[Any]:
    """The app with one grid (the example zone) patrolled by the account ``rev``."""
    from fastapi.testclient import TestClient

    zone = json.loads(ZONE.read_text(encoding="utf-8"))["features"][0]
    grid = {"type": "Feature", "geometry": zone["geometry"],
            "properties": {"grid_id": "g-rev", "name": "测试网格", "patroller": "张三",
                           "patroller_account": "rev", "patrol_every_days": 14}}  # fmt: skip
    (tmp_path / "grids.geojson").write_text(json.dumps(grid), encoding="utf-8")
    run = tmp_path / "hehu.yaml"
    run.write_text(f"ledger:\n  grids: {tmp_path / 'grids.geojson'}\n", encoding="utf-8")
    client = TestClient(make_app(run_config=run), headers={"accept": "text/html"})
    assert log_in(client, "rev").status_code == 303
    client.csrf = csrf_of(client)
    yield client
    client.close()
