"""Patrol grids (网格): who patrols which part of a management zone, and how often.

A grid is a GeoJSON feature in ``configs/grids/*.geojson`` (WGS-84, ``[lon, lat]``):
a ``Polygon``/``MultiPolygon``, or a river reach as a ``LineString``/
``MultiLineString`` with ``buffer_m`` (the reach's ground is the line grown by that
many metres, flat at its ends so that consecutive reaches abut). Properties (see
``configs/grids/README.md``): ``grid_id``, ``zone_id``, ``name``, ``patroller``
(巡查员), ``patroller_account`` (their review-app user name), ``patroller_phone``
and ``patrol_every_days`` (a drone pass at least this often).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import ConfigError
from pipeline.ledger.zones import check_unique, feature_properties, read_geojson

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

AREA_TYPES = ("Polygon", "MultiPolygon")
LINE_TYPES = ("LineString", "MultiLineString")


class GridProperties(BaseModel):
    """The properties of a grid feature (unknown keys are allowed and ignored)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    grid_id: str = Field(min_length=1, max_length=128)
    zone_id: str | None = Field(default=None, max_length=128)
    name: str | None = Field(default=None, max_length=128)
    patroller: str | None = Field(default=None, max_length=128)
    patroller_account: str | None = Field(default=None, max_length=64)
    patroller_phone: str | None = Field(default=None, max_length=32)
    patrol_every_days: int | None = Field(default=None, ge=1, le=3660)
    buffer_m: float | None = Field(default=None, gt=0, le=10_000)
    #: grid ids this grid may overlap on purpose (``hehu zones check`` reports any other)
    overlaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grid:
    """One grid: its properties and GeoJSON geometry (``[lon, lat]``)."""

    props: GridProperties
    geometry: dict[str, Any]

    @property
    def grid_id(self) -> str:
        return self.props.grid_id

    @cached_property
    def area(self) -> BaseGeometry:
        """The grid's ground, a shapely ``[lon, lat]`` polygon (a reach grown by ``buffer_m``)."""
        import shapely.geometry

        from pipeline.geo.plane import LocalPlane

        shape = shapely.geometry.shape(self.geometry)
        if self.geometry["type"] in AREA_TYPES and not self.props.buffer_m:
            return shape
        plane = LocalPlane.around(shape)
        grown = plane.to_en(shape).buffer(self.props.buffer_m or 0.0, cap_style="flat")
        return plane.to_lonlat(grown)

    def contains(self, lat_deg: float, lon_deg: float) -> bool:
        import shapely

        return bool(self.area.covers(shapely.Point(lon_deg, lat_deg)))


def find_grid(grids: Sequence[Grid], lat_deg: float, lon_deg: float) -> Grid | None:
    """The grid holding the point; where grids overlap, the first by ``grid_id``."""
    hits = [g for g in grids if g.contains(lat_deg, lon_deg)]
    return min(hits, key=lambda g: g.grid_id) if hits else None


def _geometry(feature: dict[str, Any], props: GridProperties, where: str) -> dict[str, Any]:
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in AREA_TYPES + LINE_TYPES:
        raise ConfigError(
            f"{where}: a grid is a Polygon, MultiPolygon, LineString or MultiLineString, "
            f"got {kind!r}"
        )
    if kind in LINE_TYPES and not props.buffer_m:
        raise ConfigError(f"{where}: a river-reach line needs buffer_m (metres either side)")
    assert isinstance(geometry, dict)
    return geometry


def parse_grids(data: dict[str, Any], *, source: str = "grids") -> tuple[Grid, ...]:
    """Grids from a parsed GeoJSON FeatureCollection (or a single Feature)."""
    found = feature_properties(data, GridProperties, source=source,
                               hint="see configs/grids/README.md")  # fmt: skip
    return tuple(
        Grid(props=props, geometry=_geometry(feature, props, where))
        for where, feature, props in found
    )


def load_grids(paths: Path | str | Iterable[Path | str]) -> tuple[Grid, ...]:
    """Grids from GeoJSON files or folders; ``grid_id`` must be unique across them."""
    grids = [g for file, data in read_geojson(paths, "grids")
             for g in parse_grids(data, source=str(file))]  # fmt: skip
    check_unique([g.grid_id for g in grids], "grid_id", "grid")
    return tuple(grids)
