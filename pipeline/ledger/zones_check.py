"""``hehu zones check``: the problems of zone and grid files, one line each.

A file is a grid file when its features carry ``grid_id``, else a zone file. Each
file must state its CRS (a GeoJSON ``crs`` member naming WGS-84 lon/lat or
CGCS2000, which differs from WGS-84 by less than drone GPS error), every feature
must have valid properties and a valid geometry, ids must be unique across files of
a kind, and features of a kind must not overlap (by more than ``overlap_m2``) unless
a grid lists the other in ``overlaps``. A grid's ``zone_id`` must name a zone when
zone files are checked with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.ledger.grids import Grid, parse_grids
from pipeline.ledger.zones import Zone, geojson_files, parse_zones

#: CRS names taken as ``[lon, lat]`` degrees on WGS-84 (or CGCS2000, within centimetres).
LONLAT_CRS = (
    "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84",
    "EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "EPSG:4490", "urn:ogc:def:crs:EPSG::4490",
)  # fmt: skip
CRS_HINT = '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}'


@dataclass(frozen=True)
class Outline:
    """One checked feature: where it came from, its id and its ``[lon, lat]`` ground."""

    kind: str  # "zone" or "grid"
    where: str
    code: str
    area: Any  # shapely geometry
    overlaps_ok: tuple[str, ...] = ()
    zone_id: str | None = None


def crs_problem(data: dict[str, Any]) -> str | None:
    crs = data.get("crs")
    if crs is None:
        return f"CRS not stated: add {CRS_HINT} (WGS-84 lon/lat)"
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if name not in LONLAT_CRS:
        return f"CRS {name!r} is not WGS-84 or CGCS2000 lon/lat: reproject to CRS84"
    return None


def _geometry_problem(area: Any) -> str | None:
    from shapely.validation import explain_validity

    if area.is_empty:
        return "geometry is empty"
    if not area.is_valid:
        return f"geometry invalid: {explain_validity(area)}"
    return None


def _outlines(file: Path, data: dict[str, Any]) -> tuple[list[Outline], list[str]]:
    """The file's features as outlines, and its problems."""
    import shapely.geometry

    features = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    is_grid = any("grid_id" in (f.get("properties") or {}) for f in features or [])
    outlines, problems = [], []
    for i, feature in enumerate(features or []):
        where = f"{file} feature {i}"
        try:
            if is_grid:
                (grid,) = parse_grids(feature, source=str(file))
                outline = _grid_outline(grid, where)
            else:
                (zone,) = parse_zones(feature, source=str(file))
                outline = _zone_outline(zone, where, shapely.geometry)
        except ConfigError as e:
            problems.append(str(e).replace(f"{file} feature 0", where))
            continue
        if problem := _geometry_problem(outline.area):
            problems.append(f"{where} ({outline.code}): {problem}")
        else:
            outlines.append(outline)
    return outlines, problems


def _grid_outline(grid: Grid, where: str) -> Outline:
    return Outline("grid", where, grid.grid_id, grid.area, grid.props.overlaps, grid.props.zone_id)


def _zone_outline(zone: Zone, where: str, geometry: Any) -> Outline:
    shape = geometry.MultiPolygon([(poly[0], poly[1:]) for poly in zone.polygons])
    return Outline("zone", where, zone.zone_id, shape)


def _overlap_problems(outlines: list[Outline], overlap_m2: float) -> list[str]:
    from shapely.strtree import STRtree

    from pipeline.geo.plane import LocalPlane

    tree = STRtree([o.area for o in outlines])
    problems = []
    for i, a in enumerate(outlines):
        for j in tree.query(a.area):
            b = outlines[int(j)]
            if j <= i or a.kind != b.kind or b.code in a.overlaps_ok or a.code in b.overlaps_ok:
                continue
            common = a.area.intersection(b.area)
            if common.is_empty:
                continue
            m2 = LocalPlane.around(common).to_en(common).area
            if m2 > overlap_m2:
                problems.append(f"{a.where} ({a.code}): overlaps {a.kind} {b.code} by {m2:.1f} m²")
    return problems


def _id_problems(outlines: list[Outline]) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for o in outlines:
        first = seen.setdefault((o.kind, o.code), o.where)
        if first != o.where:
            problems.append(f"{o.where}: {o.kind} id {o.code!r} repeats {first}")
    zones = {o.code for o in outlines if o.kind == "zone"}
    if zones:
        problems += [
            f"{o.where} ({o.code}): zone_id {o.zone_id!r} names no zone in the files checked"
            for o in outlines
            if o.kind == "grid" and o.zone_id and o.zone_id not in zones
        ]
    return problems


def check_files(paths: Iterable[Path | str], *, overlap_m2: float = 1.0) -> list[str]:
    """Every problem of the zone and grid files (folders: their ``*.geojson``), one line each."""
    outlines: list[Outline] = []
    problems: list[str] = []
    files = geojson_files(list(paths))
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            problems.append(f"{file}: cannot read GeoJSON: {e}")
            continue
        if not isinstance(data, dict):
            problems.append(f"{file}: expected a GeoJSON FeatureCollection or Feature")
            continue
        if problem := crs_problem(data):
            problems.append(f"{file}: {problem}")
        found, bad = _outlines(file, data)
        outlines += found
        problems += bad
    if not files:
        problems.append("no zone or grid files found")
    return problems + _id_problems(outlines) + _overlap_problems(outlines, overlap_m2)
