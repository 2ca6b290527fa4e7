"""Patrol grids and ``hehu zones check``: reaches grown by their buffer, problems one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.geo.plane import LocalPlane
from pipeline.ledger.grids import find_grid, load_grids, parse_grids
from pipeline.ledger.zones_check import CRS_HINT, check_files

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_GRIDS = REPO / "configs" / "grids"
EXAMPLE_ZONES = REPO / "configs" / "zones"
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}


def square(lon: float, lat: float, d: float) -> list[list[float]]:
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def feature(geometry: dict, **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write(path: Path, features: list[dict], crs: dict | None = CRS) -> Path:
    data: dict = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        data["crs"] = crs
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_reach_line_is_grown_by_its_buffer_flat_at_the_ends() -> None:
    line = {"type": "LineString", "coordinates": [[120.0, 30.0], [120.0, 30.009]]}  # ~998 m
    (grid,) = parse_grids(feature(line, grid_id="r1", buffer_m=25))
    plane = LocalPlane.around(grid.area)
    area_m2 = plane.to_en(grid.area).area
    length_m = plane.to_en(grid.area).bounds[3] - plane.to_en(grid.area).bounds[1]
    assert length_m == pytest.approx(998.0, abs=1.5)  # flat caps: no 25 m beyond the ends
    assert area_m2 == pytest.approx(50 * length_m, rel=1e-3)
    assert grid.contains(30.0045, 120.0002)  # ~19 m east of the line
    assert not grid.contains(30.0045, 120.0004)  # ~38 m east


def test_a_line_without_a_buffer_is_refused() -> None:
    line = {"type": "LineString", "coordinates": [[120.0, 30.0], [120.0, 30.01]]}
    with pytest.raises(ConfigError, match="buffer_m"):
        parse_grids(feature(line, grid_id="r1"))


def test_example_grids_split_the_example_zone_and_find_their_patroller() -> None:
    grids = load_grids(EXAMPLE_GRIDS)
    assert {g.grid_id for g in grids} == {"example-brighton-west", "example-brighton-east"}
    west = find_grid(grids, 46.8417, -91.9955)
    east = find_grid(grids, 46.8435, -91.9915)
    assert west is not None and west.props.patroller_account == "patroller-west"
    assert east is not None and east.props.patrol_every_days == 7
    assert find_grid(grids, 46.85, -91.98) is None


def test_repeated_grid_ids_are_refused_on_load(tmp_path: Path) -> None:
    poly = {"type": "Polygon", "coordinates": [square(120.0, 30.0, 0.001)]}
    write(tmp_path / "a.geojson", [feature(poly, grid_id="g")])
    write(tmp_path / "b.geojson", [feature(poly, grid_id="g")])
    with pytest.raises(ConfigError, match="repeated: g"):
        load_grids(tmp_path)


def test_the_examples_have_no_problems() -> None:
    assert check_files([EXAMPLE_ZONES, EXAMPLE_GRIDS]) == []


def test_each_problem_is_one_line(tmp_path: Path) -> None:
    bowtie = [[120.0, 30.0], [120.001, 30.001], [120.001, 30.0], [120.0, 30.001], [120.0, 30.0]]
    a = {"type": "Polygon", "coordinates": [square(120.0, 30.0, 0.001)]}
    b = {"type": "Polygon", "coordinates": [square(120.0005, 30.0, 0.001)]}
    c = {"type": "Polygon", "coordinates": [square(120.003, 30.0, 0.001)]}
    write(tmp_path / "grids.geojson", [
        feature(a, grid_id="a", zone_id="nowhere"),
        feature(b, grid_id="b"),
        feature(c, grid_id="a"),
        feature({"type": "Polygon", "coordinates": [bowtie]}, grid_id="bow"),
        feature(b, grid_id="c", overlaps=["b", "a"]),
    ])  # fmt: skip
    write(tmp_path / "zones.geojson", [feature(c, zone_id="z", river_name="r",
                                               division_code="990101")], crs=None)  # fmt: skip
    problems = check_files([tmp_path])
    text = "\n".join(problems)
    assert all("\n" not in p for p in problems)
    assert "zones.geojson: CRS not stated" in text and CRS_HINT in text
    assert "(bow): geometry invalid: Self-intersection" in text
    assert "grid id 'a' repeats" in text
    assert "zone_id 'nowhere' names no zone" in text
    overlaps = [p for p in problems if "overlaps" in p]
    assert len(overlaps) == 1 and "(a): overlaps grid b by" in overlaps[0]  # c's are listed
    assert len(problems) == 5


def test_a_foreign_crs_and_bad_properties_are_problems(tmp_path: Path) -> None:
    web_mercator = {"type": "name", "properties": {"name": "EPSG:3857"}}
    poly = {"type": "Polygon", "coordinates": [square(120.0, 30.0, 0.001)]}
    write(tmp_path / "g.geojson", [feature(poly, grid_id="g", patrol_every_days=0)], web_mercator)
    problems = check_files([tmp_path / "g.geojson"])
    assert len(problems) == 2
    assert "'EPSG:3857' is not WGS-84" in problems[0]
    assert "feature 0" in problems[1] and "patrol_every_days" in problems[1]


def test_zones_check_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    assert main(["zones", "check", str(EXAMPLE_ZONES), str(EXAMPLE_GRIDS)]) == 0
    bad = write(tmp_path / "g.geojson", [feature({"type": "Point", "coordinates": [0, 0]},
                                                 grid_id="p")])  # fmt: skip
    assert main(["zones", "check", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith("got 'Point'")
