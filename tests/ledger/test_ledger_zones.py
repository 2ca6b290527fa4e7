"""Management zones from GeoJSON; the shipped example fits the embedded sample flight."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import ConfigError
from pipeline.ledger.zones import find_zone, load_zones, parse_zones
from tests.ledger.ledger_helpers import ZONES_DIR

# GPS positions of pipeline/data/sample_flight/DJI_0030…0034 (EXIF), and the far ends
# of the full 18-frame Brighton flight (DJI_0018, DJI_0023, DJI_0035).
SAMPLE_FLIGHT = [
    (46.842282, -91.994084),
    (46.842371, -91.993954),
    (46.842458, -91.993829),
    (46.842543, -91.993703),
    (46.842629, -91.993579),
    (46.842607, -91.994560),
    (46.843038, -91.993923),
    (46.842717, -91.993455),
]


def square(x0: float, y0: float, size: float) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def feature(zone_id: str, geometry: dict, division: str = "110101") -> dict:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"zone_id": zone_id, "river_name": "测试河", "division_code": division},
    }


def test_the_example_zone_holds_the_sample_flight() -> None:
    (zone,) = load_zones(ZONES_DIR)
    assert zone.zone_id == "example-brighton-beach"
    assert zone.props.model_extra["example"] is True
    assert all(zone.contains(lat, lon) for lat, lon in SAMPLE_FLIGHT)
    assert not zone.contains(46.8500, -91.9800)
    assert not zone.contains(46.8445, -91.9970)  # inland, beyond the strip's side


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [(0.5, 0.5, "a"), (2.5, 2.5, None), (5.5, 0.5, "b"), (1.5, 1.5, "a"), (-1, 0.5, None)],
)
def test_polygons_holes_and_multipolygons(lon: float, lat: float, expected: str | None) -> None:
    a = feature(
        "a", {"type": "Polygon", "coordinates": [square(0, 0, 4), square(2, 2, 1)]}
    )  # hole at 2..3
    b = feature(
        "b", {"type": "MultiPolygon", "coordinates": [[square(5, 0, 1)], [square(8, 0, 1)]]}
    )
    zones = parse_zones({"type": "FeatureCollection", "features": [a, b]})
    zone = find_zone(zones, lat, lon)
    assert (zone.zone_id if zone else None) == expected


@pytest.mark.parametrize(
    ("lon", "expected"),
    [(179.9995, "fiji"), (-179.9995, "fiji"), (180.0, "fiji"), (179.99, None), (0.0, None)],
)
def test_a_zone_across_180_degrees_holds_both_sides(lon: float, expected: str | None) -> None:
    ring = [[179.999, -16.501], [-179.999, -16.501], [-179.999, -16.499], [179.999, -16.499],
            [179.999, -16.501]]  # fmt: skip
    zones = parse_zones({"type": "FeatureCollection", "features": [
        feature("fiji", {"type": "Polygon", "coordinates": [ring]})]})  # fmt: skip
    zone = find_zone(zones, -16.5, lon)
    assert (zone.zone_id if zone else None) == expected


def test_overlapping_zones_pick_the_first_id() -> None:
    zones = parse_zones(
        {
            "type": "FeatureCollection",
            "features": [
                feature("z2", {"type": "Polygon", "coordinates": [square(0, 0, 2)]}),
                feature("z1", {"type": "Polygon", "coordinates": [square(1, 1, 2)]}),
            ],
        }
    )
    assert find_zone(zones, 1.5, 1.5).zone_id == "z1"


@pytest.mark.parametrize(
    ("feat", "match"),
    [
        (feature("x", {"type": "Point", "coordinates": [0, 0]}), "Polygon or MultiPolygon"),
        (
            feature("x", {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
            "at least 4",
        ),
        (
            feature("x", {"type": "Polygon", "coordinates": [square(0, 91, 1)]}),
            "not \\[lon, lat\\]",
        ),
        (
            feature("x", {"type": "Polygon", "coordinates": [square(0, 0, 1)]}, division="12"),
            "division_code",
        ),
        (feature("x" * 129, {"type": "Polygon", "coordinates": [square(0, 0, 1)]}), "zone_id"),
        (
            feature("x", {"type": "Polygon", "coordinates": [square(0, 0, 1)]})
            | {"properties": {"zone_id": "x", "river_name": "河" * 129, "division_code": "110101"}},
            "river_name",
        ),
    ],
)
def test_bad_zones_are_config_errors(feat: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_zones(feat)


def test_zone_ids_must_be_unique_across_files(tmp_path) -> None:
    f = feature("same", {"type": "Polygon", "coordinates": [square(0, 0, 1)]})
    for name in ("a.geojson", "b.geojson"):
        (tmp_path / name).write_text(json.dumps(f), encoding="utf-8")
    with pytest.raises(ConfigError, match="repeated: same"):
        load_zones(tmp_path)


def test_zone_property_lengths_are_the_issue_columns() -> None:
    from pipeline.ledger.models import Issue
    from pipeline.ledger.zones import ZoneProperties

    for name, field in ZoneProperties.model_fields.items():
        column = getattr(Issue, name).type
        limit = next((m.max_length for m in field.metadata if hasattr(m, "max_length")), None)
        assert limit == getattr(column, "length", None) or name == "division_code", name
