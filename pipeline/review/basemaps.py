"""Tile basemaps for the maps: presets, the page's layer list, offline tiles served by the app.

Maps work with none (a plain background). :func:`basemap_layers` lists what the
layer switcher offers, each with the datum its tiles are drawn in
(``static/datum.js`` shifts every overlay onto a GCJ-02 or BD-09 layer).
Offline tiles (an XYZ folder or an ``.mbtiles`` file the office already has) are
read by :func:`read_tile` and served at ``/tiles/{index}/{z}/{x}/{y}``, so the
browser never leaves the app's origin for them.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.review.config import Basemap, ReviewConfig

_TIANDITU = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)
_AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
_OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
_IMAGE_TYPES = ((b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"RIFF", "image/webp"))


def layer_spec(name: str, url: str, **extra: Any) -> dict[str, Any]:
    spec = {"name": name, "url": url, "datum": "wgs84", "attribution": "", "subdomains": "abc",
            "maxNativeZoom": 18, "labels": None}  # fmt: skip
    return spec | extra


def _presets(config: ReviewConfig) -> list[dict[str, Any]]:
    out = []
    if key := config.tianditu_key:
        for name, base, labels in (("天地图 矢量", "vec", "cva"), ("天地图 影像", "img", "cia")):
            out.append(layer_spec(
                name, _TIANDITU.format(layer=base, key=key), subdomains="01234567",
                labels=_TIANDITU.format(layer=labels, key=key), attribution="© 天地图",
            ))  # fmt: skip
    if config.amap:
        amap = layer_spec("高德地图", _AMAP, datum="gcj02", subdomains="1234", attribution="© 高德")
        out.append(amap)
    if config.osm:
        out.append(layer_spec("OpenStreetMap", _OSM, maxNativeZoom=19,
                          attribution="© OpenStreetMap contributors"))  # fmt: skip
    return out


def _configured(index: int, b: Basemap) -> dict[str, Any]:
    url = b.url if b.url is not None else f"/tiles/{index}/{{z}}/{{x}}/{{y}}"
    return layer_spec(b.name, url, datum=b.datum, attribution=b.attribution,
                  subdomains=b.subdomains, maxNativeZoom=b.max_native_zoom)  # fmt: skip


def basemap_layers(config: ReviewConfig) -> list[dict[str, Any]]:
    """The basemaps the switcher offers, first shown first (empty: a plain background)."""
    layers = [_configured(i, b) for i, b in enumerate(config.basemaps)]
    if config.basemap_url:
        attribution = config.basemap_attribution
        layers.append(
            layer_spec("底图", config.basemap_url, attribution=attribution)
        )  # map.basemap
    return layers + _presets(config)


def tile_origins(config: ReviewConfig) -> list[str]:
    """Origins the pages may load tiles from (for the Content-Security-Policy)."""
    origins: list[str] = []
    for layer in basemap_layers(config):
        for url in (layer["url"], layer["labels"]):
            if url and not url.startswith("/"):
                origin = _origin(url)
                if origin not in origins:
                    origins.append(origin)
    return origins


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc
    if "{s}" in host:
        first, _, rest = host.partition(".")
        host = "*." + rest if first == "{s}" or "{s}" in first else host
    return f"{parts.scheme}://{host}"


def local_source(config: ReviewConfig, index: int) -> Path | None:
    """The offline tile folder or file of basemap ``index`` (``None``: not a local one)."""
    if 0 <= index < len(config.basemaps):
        return config.basemaps[index].path
    return None


def read_tile(source: Path, z: int, x: int, y: int) -> tuple[bytes, str] | None:
    """Tile ``z/x/y`` (XYZ numbering, y down) of an XYZ folder or ``.mbtiles`` file, with its
    media type; ``None`` when the set has no such tile."""
    if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    if source.is_dir():
        for ext in ("png", "jpg", "jpeg", "webp"):
            path = source / str(z) / str(x) / f"{y}.{ext}"
            if path.is_file():
                return _typed(path.read_bytes())
        return None
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as db:
        row = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, 2**z - 1 - y),  # MBTiles rows count from the bottom (TMS)
        ).fetchone()
    return _typed(bytes(row[0])) if row else None


def _typed(data: bytes) -> tuple[bytes, str] | None:
    for magic, media_type in _IMAGE_TYPES:
        if data.startswith(magic):
            return data, media_type
    return None
