"""River management zones (河湖管理范围) from GeoJSON, and which zone holds a point.

Each feature of a ``configs/zones/*.geojson`` file is a Polygon or
MultiPolygon (WGS-84, GeoJSON ``[lon, lat]`` order) with properties (see
``configs/zones/README.md``): ``zone_id``, ``river_name``, ``river_code``,
``reach``, ``river_chief`` (河长), ``division_code`` (行政区划代码) and
``responsible_unit`` (责任单位). Point in polygon is
:func:`pipeline.geo.polygon.contains_lonlat` (holes included, antimeridian-safe).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError

P = TypeVar("P", bound=BaseModel)
Ring = tuple[tuple[float, float], ...]  # ((lon, lat), ...) closed or not
Polygon = tuple[Ring, ...]  # outer ring, then holes


class ZoneProperties(BaseModel):
    """The properties a zone feature must carry (unknown keys are kept out of the ledger)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    # Lengths are the issue table's columns (pipeline/ledger/models.py; a test checks them).
    zone_id: str = Field(min_length=1, max_length=128)
    river_name: str = Field(max_length=128)
    river_code: str | None = Field(default=None, max_length=64)
    reach: str | None = Field(default=None, max_length=128)
    river_chief: str | None = Field(default=None, max_length=128)
    division_code: str = Field(pattern=r"^\d{6}(\d{6})?$")
    responsible_unit: str | None = Field(default=None, max_length=255)


@dataclass(frozen=True)
class Zone:
    """One management zone: its properties and polygons (``[lon, lat]`` rings, WGS-84)."""

    props: ZoneProperties
    polygons: tuple[Polygon, ...]

    @property
    def zone_id(self) -> str:
        return self.props.zone_id

    def contains(self, lat_deg: float, lon_deg: float) -> bool:
        from pipeline.geo.polygon import contains_lonlat  # numpy: not for `hehu ledger --help`

        return any(contains_lonlat(poly, lon_deg, lat_deg) for poly in self.polygons)


def zone_fields(zone: Zone | None, default_division_code: str) -> dict[str, Any]:
    """The issue fields a new issue takes from the zone holding it (river, reach, 河长,
    responsible unit, division, zone id); outside every zone, only the default division."""
    props = zone.props if zone else None
    return {
        "river_name": props.river_name if props else None,
        "river_code": props.river_code if props else None,
        "reach": props.reach if props else None,
        "river_chief": props.river_chief if props else None,
        "responsible_unit": props.responsible_unit if props else None,
        "division_code": props.division_code if props else default_division_code,
        "zone_id": props.zone_id if props else None,
        "in_zone": zone is not None,
    }


def find_zone(zones: Sequence[Zone], lat_deg: float, lon_deg: float) -> Zone | None:
    """The zone holding the point; where zones overlap, the first by ``zone_id``."""
    hits = [z for z in zones if z.contains(lat_deg, lon_deg)]
    return min(hits, key=lambda z: z.zone_id) if hits else None


def _polygons(geometry: dict[str, Any], where: str) -> tuple[Polygon, ...]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if kind else None
    if kind == "Polygon":
        coords = [coords]
    elif kind != "MultiPolygon":
        raise ConfigError(f"{where}: geometry must be a Polygon or MultiPolygon, got {kind!r}")
    try:
        polygons = tuple(
            tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in poly)
            for poly in coords or ()
        )
    except (TypeError, ValueError, IndexError) as e:
        raise ConfigError(f"{where}: coordinates must be rings of [lon, lat] pairs ({e})") from e
    for poly in polygons:
        if not poly or any(len(ring) < 4 for ring in poly):
            raise ConfigError(
                f"{where}: every ring needs at least 4 positions (closed), see RFC 7946 §3.1.6"
            )
        bad = [p for ring in poly for p in ring if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90)]
        if bad:
            raise ConfigError(f"{where}: position {bad[0]} is not [lon, lat] in degrees")
    return polygons


def feature_properties(
    data: dict[str, Any], model: type[P], *, source: str, hint: str
) -> list[tuple[str, Any, P]]:
    """``(where, feature, properties)`` of each feature of a parsed GeoJSON
    FeatureCollection (or a single Feature), its properties checked by ``model``."""
    features = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    if not isinstance(features, list):
        raise ConfigError(f"{source}: expected a GeoJSON FeatureCollection or Feature")
    out = []
    for i, feature in enumerate(features):
        where = f"{source} feature {i}"
        try:
            props = model.model_validate(feature.get("properties") or {})
        except ValidationError as e:
            raise ConfigError.invalid(where, e, under="properties", hint=hint) from e
        out.append((where, feature, props))
    return out


def parse_zones(data: dict[str, Any], *, source: str = "zones") -> tuple[Zone, ...]:
    """Zones from a parsed GeoJSON FeatureCollection (or a single Feature)."""
    found = feature_properties(data, ZoneProperties, source=source,
                               hint="see configs/zones/README.md")  # fmt: skip
    return tuple(
        Zone(props=props, polygons=_polygons(feature.get("geometry"), where))
        for where, feature, props in found
    )


def geojson_files(paths: Path | str | Iterable[Path | str]) -> list[Path]:
    """Files given, and the ``*.geojson`` files of folders given."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.glob("*.geojson")) if path.is_dir() else [path])
    return files


def read_geojson(paths: Path | str | Iterable[Path | str], what: str) -> list[tuple[Path, Any]]:
    """Each file (folders: their ``*.geojson``) parsed, or a :class:`ConfigError` naming it."""
    out = []
    for file in geojson_files(paths):
        try:
            out.append((file, json.loads(file.read_text(encoding="utf-8"))))
        except (OSError, json.JSONDecodeError) as e:
            raise ConfigError(f"cannot read {what} from {file}: {e}") from e
    return out


def check_unique(ids: Sequence[str], key: str, what: str) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{key} must be unique across {what} files; repeated: {', '.join(dupes)}")


def load_zones(paths: Path | str | Iterable[Path | str]) -> tuple[Zone, ...]:
    """Zones from GeoJSON files or folders of ``*.geojson`` files; ``zone_id`` must be unique."""
    zones = [z for file, data in read_geojson(paths, "zones")
             for z in parse_zones(data, source=str(file))]  # fmt: skip
    check_unique([z.zone_id for z in zones], "zone_id", "zone")
    return tuple(zones)
