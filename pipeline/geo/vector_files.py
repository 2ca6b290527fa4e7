"""GIS vector files: layers of points or polygons written by GDAL (pyogrio), built with shapely.

A :class:`VectorLayer` is plain data: a name, a geometry type, shapes in
``(lon_deg, lat_deg)`` and attribute columns. :func:`write_vector` writes layers as

- **GeoPackage** (``gpkg``): one file, every layer in it;
- **Shapefile** (``shp``): a zip holding one ``.shp/.shx/.dbf/.prj/.cpg`` set per layer,
  with a ``.cpg`` saying UTF-8 so Chinese attributes survive (field names must then be
  at most 10 ASCII characters, which :class:`VectorLayer` checks; dBase holds at most
  254 bytes of text a field, about 84 Chinese characters: GDAL cuts longer text there,
  on a character boundary, and warns; the GeoPackage keeps it whole);
- **GeoJSON** (``geojson``): one layer, RFC 7946 (WGS-84 ``[lon, lat]``, 7 decimals).

GeoPackage and Shapefile declare the CRS asked for; the ledger's exports ask for
CGCS2000 (EPSG:4490), which agrees with the WGS-84 the positions were measured in
to centimetres or decimetres, far below drone GPS error (1–3 m without RTK): the
coordinates are written unchanged, only the datum is named. GeoJSON is always
WGS-84, as its RFC requires.

shapely and pyogrio are imported inside the writer, so importing this module costs nothing.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import MissingDependencyError

#: CGCS2000 geographic (China Geodetic Coordinate System 2000), lon/lat in degrees.
CGCS2000 = "EPSG:4490"
WGS84 = "EPSG:4326"
FORMATS = ("gpkg", "shp", "geojson")
GEOMETRY_TYPES = ("Point", "Polygon")
FIELD_TYPES = ("int", "float", "str")
SHAPEFILE_MEMBERS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

Point = tuple[float, float]  # (lon_deg, lat_deg)
Ring = Sequence[Point]


@dataclass(frozen=True)
class VectorLayer:
    """One layer: ``shapes`` are ``(lon, lat)`` points or outer rings of ``(lon, lat)``
    (closed or not), per ``geometry_type``; ``columns`` maps each field name (ASCII, at
    most 10 characters: Shapefile's limit) to one value per shape (str, int, float or None;
    a column keeps one type). ``types`` names a column's type (``int``, ``float`` or ``str``)
    so the schema holds when the layer is empty or a column all None; others are read from
    their values."""

    name: str
    geometry_type: str
    shapes: tuple[Any, ...]
    columns: dict[str, tuple[Any, ...]]
    types: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if unknown := set(self.types.values()) - set(FIELD_TYPES):
            raise ValueError(f"field types must be among {FIELD_TYPES}, got {sorted(unknown)}")
        if self.geometry_type not in GEOMETRY_TYPES:
            raise ValueError(
                f"geometry_type must be one of {GEOMETRY_TYPES}, got {self.geometry_type!r}"
            )
        for name, values in self.columns.items():
            if not (name.isascii() and 0 < len(name) <= 10):
                raise ValueError(f"field name {name!r} must be 1-10 ASCII characters")
            if len(values) != len(self.shapes):
                raise ValueError(
                    f"column {name!r} has {len(values)} values for {len(self.shapes)} shapes"
                )


def _geometries(layer: VectorLayer) -> Any:
    """The layer's shapes as a WKB array (shapely)."""
    import numpy as np
    import shapely

    if layer.geometry_type == "Point":
        geoms = [shapely.Point(float(x), float(y)) for x, y in layer.shapes]
    else:
        geoms = [shapely.Polygon([(float(x), float(y)) for x, y in ring]) for ring in layer.shapes]
    return np.array(shapely.to_wkb(geoms), dtype=object)


def _kind(values: tuple[Any, ...]) -> str:
    """A column's type read from its values: ``int``, ``float`` (ints with a None) or ``str``."""
    present = [v for v in values if v is not None]
    numbers = present and all(isinstance(v, int | float) for v in present)
    if numbers and all(isinstance(v, int) for v in present) and len(present) == len(values):
        return "int"
    return "float" if numbers else "str"


def _column(values: tuple[Any, ...], kind: str) -> Any:
    """A numpy array for one field: int64, float64 (None as NaN) or strings (None kept null)."""
    import numpy as np

    if kind == "int":
        return np.array(values, dtype=np.int64)
    if kind == "float":
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


#: GeoPackage 1.2, which every GDAL since 2.2 reads without a warning (GDAL 3.12 writes 1.4
#: by default; Debian 12's GDAL 3.6 and the QGIS built on it warn that 1.4 "may only be
#: partially supported"); nothing these layers hold needs a later version.
GPKG_OPTIONS = {"VERSION": "1.2"}


def _write_layer(layer: VectorLayer, path: Path, *, driver: str, crs: str, **options: Any) -> None:
    try:
        from pyogrio.raw import write
    except ImportError as e:
        raise MissingDependencyError(
            "GIS exports need pyogrio and shapely: pip install 'pyogrio>=0.9' 'shapely>=2.0'"
        ) from e
    data = [_column(v, layer.types.get(k) or _kind(v)) for k, v in layer.columns.items()]
    write(
        str(path), _geometries(layer), data,
        list(layer.columns), layer=layer.name, driver=driver,
        geometry_type=layer.geometry_type, crs=crs, **options,
    )  # fmt: skip


def write_vector(
    layers: Sequence[VectorLayer], out: Path, fmt: str, *, crs: str = CGCS2000
) -> None:
    """Write ``layers`` to ``out`` as ``fmt`` (see the module docstring); ``crs`` is the
    CRS declared by GeoPackage and Shapefile (GeoJSON is always WGS-84)."""
    if fmt == "gpkg":  # written under a .gpkg name (GDAL checks it), then moved to ``out``
        with tempfile.TemporaryDirectory(prefix="hehu-gpkg-", dir=out.parent) as tmp:
            made = Path(tmp) / "layers.gpkg"
            for layer in layers:
                more = {"append": True} if made.exists() else {"dataset_options": GPKG_OPTIONS}
                _write_layer(layer, made, driver="GPKG", crs=crs, **more)
            os.replace(made, out)
    elif fmt == "shp":
        with tempfile.TemporaryDirectory(prefix="hehu-shp-") as tmp:
            for layer in layers:
                _write_layer(layer, Path(tmp) / f"{layer.name}.shp", driver="ESRI Shapefile",
                             crs=crs, encoding="UTF-8")  # fmt: skip
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for layer in layers:
                    for suffix in SHAPEFILE_MEMBERS:
                        member = f"{layer.name}{suffix}"
                        archive.write(Path(tmp) / member, member)
    elif fmt == "geojson":
        if len(layers) != 1:
            raise ValueError(f"a GeoJSON file holds one layer, got {len(layers)}")
        out.unlink(missing_ok=True)
        _write_layer(layers[0], out, driver="GeoJSON", crs=WGS84,
                     layer_options={"RFC7946": "YES", "WRITE_NAME": "NO"})  # fmt: skip
    else:
        raise ValueError(f"unknown vector format {fmt!r}; expected one of {', '.join(FORMATS)}")
