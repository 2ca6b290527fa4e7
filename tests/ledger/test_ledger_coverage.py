"""Coverage per grid from the ledger's frames: shares, GSD, last seen, gaps, missed passes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.coverage import Area, areas_of, card_gsd_limit, coverage_per_grid, coverage_report
from pipeline.coverage.compute import _intervals, weighted_median
from pipeline.coverage.output import report_geojson, report_json, text_lines
from pipeline.geo.coords import enu_to_geodetic
from pipeline.ledger.models import Flight, Frame

LAT0, LON0 = 30.0, 120.0
D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 21)


def lonlat(e: float, n: float) -> tuple[float, float]:
    lat, lon, _ = enu_to_geodetic(e, n, 0.0, lat0_deg=LAT0, lon0_deg=LON0)
    return float(lon), float(lat)


def square(e0: float, n0: float, side: float) -> list[tuple[float, float]]:
    """A square (lon, lat) ring from its south-west corner in metres east/north of the origin."""
    corners = [(e0, n0), (e0 + side, n0), (e0 + side, n0 + side), (e0, n0 + side), (e0, n0)]
    return [lonlat(e, n) for e, n in corners]


def add_flight(session, key: str, day: dt.date, frames: list[tuple[float, float, int]]) -> None:
    """Nadir frames of 100 m squares at ``(east, north)`` south-west corners, ``px`` a side."""
    flight = Flight(key=key, name=key, started_at=dt.datetime.combine(day, dt.time(10)))
    session.add(flight)
    session.flush()
    for i, (e, n, px) in enumerate(frames):
        lon, lat = lonlat(e + 50, n + 50)
        ring = [[la, lo] for lo, la in square(e, n, 100)]
        session.add(Frame(
            sha256=f"{key}-{i}".ljust(64, "0"), flight_id=flight.id, path=f"/{key}/{i}.jpg",
            captured_at=dt.datetime.combine(day, dt.time(10, i)), lat_deg=lat, lon_deg=lon,
            width_px=px, height_px=px, footprint=ring,
        ))  # fmt: skip


@pytest.fixture
def ledger(session_factory):
    """A 200 m grid flown whole at 5 cm/px on D1, its west half at 20 cm/px on D2, and a
    frame 500 m off whose far footprint reaches the grid (clipped away at 300 m)."""
    with session_factory() as session:
        fine = [(0, 0, 2000), (100, 0, 2000), (0, 100, 2000), (100, 100, 2000)]
        add_flight(session, "a", D1, fine)
        add_flight(session, "b", D2, [(0, 0, 500), (0, 100, 500)])
        ring = [[la, lo] for lo, la in square(-100, -100, 400)]
        far = Frame(sha256="far".ljust(64, "0"), flight_id=1, path="/far.jpg",
                    captured_at=dt.datetime.combine(D2, dt.time(11)), width_px=4000,
                    height_px=4000, footprint=ring)  # fmt: skip
        far.lon_deg, far.lat_deg = lonlat(-500, 100)
        session.add(far)
        session.commit()
    return session_factory


def grid_area(every_days: int | None = 14) -> Area:
    import shapely

    return Area("grid", "g1", "示例网格", shapely.Polygon(square(0, 0, 200)), every_days, "甲")


def test_shares_gsd_last_seen_and_a_stale_grid(ledger) -> None:
    with ledger() as session:
        report = coverage_report(session=session, areas=[grid_area()], start=None,
                                 end=D2 + dt.timedelta(days=1), gsd_limit=6.0)  # fmt: skip
    (g,) = report.areas
    assert g.area_m2 == pytest.approx(40_000, rel=1e-3)
    assert g.seen_share == pytest.approx(1.0, abs=1e-3)
    assert g.fine_share == pytest.approx(1.0, abs=1e-3)
    assert g.gsd_cm_per_px == pytest.approx(5.0, abs=0.01)  # 4 fine frames outweigh 2 coarse
    assert [(p.day, round(p.seen_share, 3), round(p.fine_share, 3)) for p in g.passes] == [
        (D2, 0.5, 0.0), (D1, 1.0, 1.0),
    ]  # fmt: skip
    assert [(d, round(m2)) for d, _, m2 in g.last_seen] == [(D2, 20_000), (D1, 20_000)]
    assert [(r, round(m2)) for r, _, m2 in g.gaps] == [("stale", 40_000)]  # no fine pass in 14 d
    assert (g.longest_interval_days, g.missed) == (21, True)


def test_a_recent_fine_pass_keeps_the_interval_and_coarse_ground_is_a_gap(ledger) -> None:
    with ledger() as session:
        kept = coverage_report(session=session, areas=[grid_area(30)], start=None, end=D2,
                               gsd_limit=6.0).areas[0]  # fmt: skip
        coarse = coverage_report(session=session, areas=[grid_area(30)], start=D2, end=D2,
                                 gsd_limit=6.0).areas[0]  # fmt: skip
        unlimited = coverage_report(session=session, areas=[grid_area(None)], start=D2, end=D2,
                                    gsd_limit=None).areas[0]  # fmt: skip
    assert (kept.gaps, kept.missed, kept.longest_interval_days) == ((), False, 20)
    assert [(r, round(m2)) for r, _, m2 in coarse.gaps] == [("never", 20_000), ("coarse", 20_000)]
    assert coarse.fine_share == 0.0
    assert (coarse.missed, coarse.longest_interval_days) == (False, 0)  # a one-day period
    assert unlimited.fine_share == pytest.approx(0.5, abs=1e-3) and unlimited.missed is None


def test_exports_and_the_per_grid_rows(ledger, tmp_path) -> None:
    from openpyxl import load_workbook

    from pipeline.coverage.output import write_xlsx

    with ledger() as session:
        report = coverage_report(session=session, areas=[grid_area()], start=None, end=D2,
                                 gsd_limit=6.0)  # fmt: skip
    layers = report_geojson(report)
    json.dumps(layers)
    kinds = sorted((f["properties"]["layer"], f["properties"].get("age_days", -1))
                   for f in layers["features"])  # fmt: skip
    assert kinds == [("gap", -1), ("seen", 0), ("seen", 20)]
    assert report_json(report)["areas"][0]["gaps"] == {"stale": pytest.approx(40_000, rel=1e-3)}
    assert "grid g1: 100.0% seen" in text_lines(report)[1]
    write_xlsx(report, tmp_path / "c.xlsx")
    assert load_workbook(tmp_path / "c.xlsx")["覆盖统计"]["B2"].value == "g1"


def test_coverage_per_grid_takes_grid_records(ledger) -> None:
    from pipeline.config import resolve
    from pipeline.ledger.grids import load_grids

    grids = load_grids(resolve("configs/grids"))
    with ledger() as session:
        rows = coverage_per_grid(session=session, grids=grids, start=None, end=D2, gsd_limit=5.0)
    assert [(r["code"], r["seen_share"], r["missed"]) for r in rows] == [
        ("example-brighton-west", 0.0, True), ("example-brighton-east", 0.0, True),
    ]  # fmt: skip


def test_zones_become_reaches_and_cards_give_the_limit() -> None:
    from pipeline.config import resolve
    from pipeline.ledger.zones import load_zones

    areas = areas_of(load_zones(resolve("configs/zones")), ())
    assert [(a.kind, a.every_days) for a in areas] == [("zone", None)]
    from pipeline.detect.card import load_card
    from pipeline.detect.taxonomy import load_taxonomy

    names = load_taxonomy().enabled_models()
    cards = [load_card(resolve("models"), n, verify=False).train_gsd_cm_per_px for n in names]
    assert card_gsd_limit(resolve("models"), [*names, "missing"]) == min(c for c in cards if c)


@pytest.mark.parametrize(
    ("days", "start", "expected"),
    [
        ([], None, None),
        ([], dt.date(2026, 11, 1), 30),
        ([dt.date(2026, 11, 10)], None, 21),
        ([dt.date(2026, 11, 10)], dt.date(2026, 11, 1), 21),
        ([dt.date(2026, 11, 5), dt.date(2026, 11, 25)], dt.date(2026, 11, 1), 20),
    ],
)
def test_longest_interval(days, start, expected) -> None:
    assert _intervals(days, start, dt.date(2026, 12, 1)) == expected


def test_weighted_median() -> None:
    assert weighted_median([5.0, 20.0], [3.0, 1.0]) == 5.0
    assert weighted_median([5.0, 20.0], [1.0, 3.0]) == 20.0
    assert weighted_median([], []) is None


def test_hehu_coverage_prints_and_exports(ledger, db_url, tmp_path, capsys) -> None:
    from pipeline.cli import main

    grids = tmp_path / "grids.geojson"
    grids.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [square(0, 0, 200)]},
        "properties": {"grid_id": "g1", "patrol_every_days": 30}}]}), encoding="utf-8")  # fmt: skip
    base = ["coverage", "--db", db_url, "--grids", str(grids), "--to", D2.isoformat()]
    assert main(base) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("grid g1: 100.0% seen, 100.0% at ≤ limit, GSD 5.0 cm/px")
    assert lines[1].endswith("pass every 30 d kept")
    out = tmp_path / "c.geojson"
    assert main([*base, "--from", D2.isoformat(), "--format", "geojson", "--out", str(out)]) == 0
    features = json.loads(out.read_text())["features"]
    reasons = [f["properties"].get("reason") for f in features if f["properties"]["code"] == "g1"]
    assert reasons.count("never") == 1 and reasons.count("coarse") == 1
    assert main([*base, "--format", "xlsx"]) == 1  # xlsx needs --out


def test_the_text_says_why_an_interval_was_missed(ledger) -> None:
    with ledger() as session:
        late = coverage_report(session=session, areas=[grid_area(14)], start=None,
                               end=D2 + dt.timedelta(days=10), gsd_limit=6.0)  # fmt: skip
        never = coverage_report(session=session, areas=[grid_area(14)], start=None, end=D2,
                                gsd_limit=1.0)  # fmt: skip
    assert text_lines(late)[1].endswith("MISSED pass every 14 d (longest 30 d without one)")
    assert text_lines(never)[1].endswith("MISSED pass every 14 d (no pass saw 90% at ≤ limit)")


def test_statistics_carry_each_grids_coverage(ledger, tmp_path) -> None:
    from openpyxl import load_workbook

    from pipeline.config import resolve
    from pipeline.coverage import stats_with_coverage
    from pipeline.coverage.settings import Patrol
    from pipeline.ledger.grids import load_grids
    from pipeline.ledger.stats import ledger_stats
    from pipeline.ledger.stats_export import stats_json, write_stats

    grids = tuple(load_grids(resolve("configs/grids")))
    with ledger() as session:
        stats = ledger_stats(session=session, start=D1, end=D2, tz=dt.UTC, by=None,
                             period="week")  # fmt: skip
        assert stats_with_coverage(stats, session=session, patrol=Patrol()) is stats  # no grids
        stats = stats_with_coverage(stats, session=session, patrol=Patrol(grids, 5.0))
    assert [r["code"] for r in stats.coverage] == ["example-brighton-west", "example-brighton-east"]
    assert stats_json(stats)["coverage"][0]["missed"] is True
    sheet = load_workbook(write_stats(stats, tmp_path / "s.xlsx", "xlsx"))["网格巡查覆盖"]
    assert (sheet["A3"].value, sheet["A4"].value, sheet["L4"].value) == (
        "网格编号", "example-brighton-west", "是")  # fmt: skip
    assert sheet.freeze_panes == "D4"
