"""The review app's map, self-contained, for a flight report: zones, footprints, candidates.

:func:`flight_map_html` returns one HTML fragment (a ``<div>`` and inline
``<style>``/``<script>`` blocks: Leaflet, ``static/datum.js`` and
``static/maps.js`` as the review app serves them, and the layers as JSON) that a
report page can place anywhere; it needs no server, and nothing is fetched
unless a basemap URL is given. The layers come from
:func:`pipeline.review.layers.flight_layers`; a report renders it with::

    with session_factory() as session:
        layers = flight_layers(session=session, flight_id=flight.id, zones=zones)
    html = flight_map_html(layers=layers, basemap_url=config.report.basemap_url)
"""

from __future__ import annotations

from typing import Any

from pipeline.review.i18n import translator
from pipeline.review.layers import FeatureCollection
from pipeline.review.render import STATIC_DIR

_SCRIPTS = ("vendor/leaflet/leaflet.js", "datum.js", "maps.js")


def _json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (``<``, ``>``, ``&`` and ``'`` escaped)."""
    from jinja2.utils import htmlsafe_json_dumps

    return str(htmlsafe_json_dumps(value))


def flight_map_html(
    *,
    layers: dict[str, FeatureCollection],
    basemap_url: str | None = None,
    basemap_attribution: str = "",
    lang: str = "zh",
    height_px: int = 520,
) -> str:
    """The flight's map as a self-contained HTML fragment (see the module docstring)."""
    from pipeline.review.basemaps import layer_spec

    t = translator(lang)
    basemaps = [layer_spec(t("map.basemap"), basemap_url, attribution=basemap_attribution)] if (
        basemap_url
    ) else []  # fmt: skip
    config = {
        "basemaps": basemaps,
        "names": {key: t(f"map.layer.{key}") for key in ("none", "zones", "footprints", "issues")},
    }
    css = (STATIC_DIR / "vendor/leaflet/leaflet.css").read_text(encoding="utf-8")
    scripts = "".join(
        f"<script>{(STATIC_DIR / name).read_text(encoding='utf-8')}</script>\n" for name in _SCRIPTS
    )
    return (
        f"<style>{css}\n#flight-map{{height:{int(height_px)}px;background:#e5e7eb}}</style>\n"
        '<div class="map" id="flight-map"></div>\n'
        f'<script type="application/json" id="map-config">{_json(config)}</script>\n'
        f'<script type="application/json" id="flight-layers">{_json(layers)}</script>\n'
        f"{scripts}"
    )
