"""The dossier's map extract, drawn as vectors on the PDF page from the ledger's geometry.

No tiles, nothing fetched: the management zone, the footprints of the frames that saw
the issue, each sighting's ground outline and the issue's point, on a local plane
around the issue (metres east and north, north up), with a scale bar, a north arrow
and a legend. The detail map covers the footprints and outlines, at least
:data:`MIN_SPAN_M` across; the overview the zone around it (at most
:data:`OVERVIEW_MAX_M` across), the detail map's extent outlined on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pipeline.geo.coords import wrap_lon_deg

if TYPE_CHECKING:
    from pipeline.dossier.content import Dossier

EARTH_RADIUS_M = 6_371_008.8
MIN_SPAN_M = 80.0
OVERVIEW_MAX_M = 3000.0
PAD = 0.12  # of the span, on each side
ZONE = {"fill": (214, 234, 248), "draw": (40, 110, 190)}
FOOTPRINT = {"draw": (120, 120, 120)}
OUTLINE = {"fill": (250, 200, 190), "draw": (200, 30, 30)}
ISSUE = (200, 0, 0)


class LocalPlane:
    """Metres east/north of ``(lat0, lon0)`` (equirectangular: fine over a few kilometres)."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self.k = math.cos(math.radians(lat0))

    def en(self, lon: float, lat: float) -> tuple[float, float]:
        east = math.radians(wrap_lon_deg(lon - self.lon0)) * EARTH_RADIUS_M * self.k
        return east, math.radians(lat - self.lat0) * EARTH_RADIUS_M


def extent_m(
    plane: LocalPlane, rings: Iterable[Sequence[tuple[float, float]]]
) -> tuple[float, float, float, float]:
    """``(e0, n0, e1, n1)`` around the issue and ``rings``, padded, square, ≥ MIN_SPAN_M."""
    pts = [plane.en(x, y) for ring in rings for x, y in ring] + [(0.0, 0.0)]
    e0, e1 = min(p[0] for p in pts), max(p[0] for p in pts)
    n0, n1 = min(p[1] for p in pts), max(p[1] for p in pts)
    span = max(e1 - e0, n1 - n0, MIN_SPAN_M) * (1 + 2 * PAD)
    ce, cn = (e0 + e1) / 2, (n0 + n1) / 2
    return ce - span / 2, cn - span / 2, ce + span / 2, cn + span / 2


def scale_bar_m(span_m: float) -> float:
    """A round length near a fifth of ``span_m`` (1, 2 or 5 × 10^k metres)."""
    target = span_m / 5
    base = 10.0 ** math.floor(math.log10(target))
    return float(max(m * base for m in (1, 2, 5) if m * base <= target))


Extent = tuple[float, float, float, float]  # (e0, n0, e1, n1) metres on the local plane


def detail_extent(dossier: Dossier) -> Extent:
    """The detail map's extent: the footprints and outlines of the sightings, and the issue."""
    v = dossier.issue
    rings = [s.footprint for s in dossier.sightings if s.footprint]
    rings += [s.outline for s in dossier.sightings if s.outline]
    return extent_m(LocalPlane(v.lat, v.lon), rings)


def overview_extent(dossier: Dossier, detail: Extent) -> Extent:
    """The overview's extent: the zone and the detail map, at most :data:`OVERVIEW_MAX_M`
    across (centred on the issue when the zone is larger)."""
    v = dossier.issue
    plane = LocalPlane(v.lat, v.lon)
    e0, n0, e1, n1 = detail
    frame = ((e0, n0), (e1, n1))
    pts = [plane.en(x, y) for ring in dossier.zone_rings for x, y in ring] + list(frame)
    span = max(max(p[0] for p in pts) - min(p[0] for p in pts),
               max(p[1] for p in pts) - min(p[1] for p in pts)) * (1 + 2 * PAD)  # fmt: skip
    if span > OVERVIEW_MAX_M:
        half = OVERVIEW_MAX_M / 2
        return -half, -half, half, half
    ce = (max(p[0] for p in pts) + min(p[0] for p in pts)) / 2
    cn = (max(p[1] for p in pts) + min(p[1] for p in pts)) / 2
    return ce - span / 2, cn - span / 2, ce + span / 2, cn + span / 2


def draw_map(pdf: Any, dossier: Dossier, x: float, y: float, size: float, extent: Extent,
             *, inset: Extent | None = None) -> None:  # fmt: skip
    """Draw the map of ``extent`` in the ``size`` mm square whose top-left is ``(x, y)``;
    ``inset``: an extent outlined on it (the detail map's, on the overview)."""
    v = dossier.issue
    plane = LocalPlane(v.lat, v.lon)
    footprints = list({s.footprint for s in dossier.sightings if s.footprint})
    outlines = [s.outline for s in dossier.sightings if s.outline]
    e0, n0, e1, _ = extent
    mm_per_m = size / (e1 - e0)

    def page(lon: float, lat: float) -> tuple[float, float]:
        east, north = plane.en(lon, lat)
        return x + (east - e0) * mm_per_m, y + size - (north - n0) * mm_per_m

    pdf.set_fill_color(246, 246, 242)
    pdf.rect(x, y, size, size, style="F")
    with pdf.rect_clip(x, y, size, size):
        _rings(pdf, [[page(*p) for p in r] for r in dossier.zone_rings], ZONE, 0.5)
        _rings(pdf, [[page(*p) for p in r] for r in footprints], FOOTPRINT, 0.3)
        _rings(pdf, [[page(*p) for p in r] for r in outlines], OUTLINE, 0.35)
        if inset is not None:
            left, bottom = x + (inset[0] - e0) * mm_per_m, y + size - (inset[1] - n0) * mm_per_m
            width = (inset[2] - inset[0]) * mm_per_m
            pdf.set_draw_color(*ISSUE)
            pdf.set_line_width(0.3)
            pdf.rect(left, bottom - width, width, width)
    _issue_mark(pdf, *page(v.lon, v.lat), size / 40)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, size, size)
    _scale_and_north(pdf, x, y, size, e1 - e0)
    pdf.set_fill_color(255)


def _issue_mark(pdf: Any, px: float, py: float, r: float) -> None:
    pdf.set_draw_color(*ISSUE)
    pdf.set_line_width(0.5)
    pdf.circle(px, py, r, style="D")
    pdf.line(px - 1.6 * r, py, px + 1.6 * r, py)
    pdf.line(px, py - 1.6 * r, px, py + 1.6 * r)


def _rings(pdf: Any, rings: list[list[tuple[float, float]]], colours: dict[str, Any],
           width: float) -> None:  # fmt: skip
    pdf.set_line_width(width)
    pdf.set_draw_color(*colours["draw"])
    if "fill" in colours:
        pdf.set_fill_color(*colours["fill"])
    for ring in rings:
        if len(ring) >= 3:
            pdf.polygon(ring, style="DF" if "fill" in colours else "D")
    pdf.set_draw_color(0)


def _scale_and_north(pdf: Any, x: float, y: float, size: float, span_m: float) -> None:
    bar = scale_bar_m(span_m)
    bar_mm = bar * size / span_m
    bx, by = x + 5, y + size - 6
    pdf.set_fill_color(255)
    pdf.rect(bx - 2, by - 5, bar_mm + 16, 8, style="F")
    pdf.set_line_width(0.6)
    pdf.line(bx, by, bx + bar_mm, by)
    pdf.line(bx, by - 1.2, bx, by)
    pdf.line(bx + bar_mm, by - 1.2, bx + bar_mm, by)
    pdf.set_font_size(7)
    pdf.text(bx + bar_mm + 1.5, by + 0.8, f"{bar:g} m")
    nx, ny = x + size - 8, y + 5
    pdf.set_fill_color(0)
    pdf.polygon([(nx, ny), (nx - 2, ny + 6), (nx, ny + 4.5), (nx + 2, ny + 6)], style="F")
    pdf.text(nx - 1.1, ny + 10, "N")
    pdf.set_line_width(0.2)


def legend(pdf: Any, x: float, y: float) -> None:
    """The map's legend, one line per layer, from ``(x, y)`` down."""
    items = (
        ("管理范围（河湖管理范围线）", ZONE),
        ("看到该问题的照片覆盖范围", FOOTPRINT),
        ("各次发现的地面轮廓", OUTLINE),
    )
    pdf.set_font_size(8)
    for i, (label, colours) in enumerate(items):
        top = y + i * 6
        _rings(pdf, [[(x, top), (x + 6, top), (x + 6, top + 4), (x, top + 4)]], colours, 0.4)
        pdf.text(x + 8, top + 3.3, label)
    top = y + len(items) * 6 + 2
    _issue_mark(pdf, x + 3, top, 1.4)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.text(x + 8, top + 1.2, "问题点位")
    pdf.set_fill_color(255)
