"""Exports of the issues the queue's filters select: xlsx 问题台账, GeoJSON, KML, CSV, and
GIS layers (GeoPackage, zipped Shapefiles; CRS CGCS2000) with the issues' outlines and the
footprints of the queue's flight, or of every flight when it names none. And one issue's
case dossier (案卷, :mod:`pipeline.dossier`): the PDF, or a zip with its original photos.

The files are written by :mod:`pipeline.ledger.export` into a temporary
folder and streamed back; nothing is kept on the server.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from pipeline.ledger.export import FORMATS, export_issues
from pipeline.ledger.gis import ledger_shapes, needs_shapes
from pipeline.ledger.queries import list_issues
from pipeline.review.deps import CanRead, StateDep
from pipeline.review.queue import QueueFilter, matching_codes
from pipeline.review.routes.queue import queue_filter

router = APIRouter(prefix="/export")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "kmz": "application/vnd.google-earth.kmz",
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
}
SUFFIXES = {"shp": "shp.zip"}


@router.get("/issues.{fmt}")
def export(
    fmt: str,
    filt: Annotated[QueueFilter, Depends(queue_filter)],
    state: StateDep,
    me: CanRead,
    layer: Literal["issues", "outlines", "frames"] | None = None,
) -> Response:
    """``layer``: with ``geojson``, that GIS layer instead of the issues' points."""
    if fmt not in FORMATS:
        raise HTTPException(status_code=404, detail=f"unknown format {fmt!r}; one of {FORMATS}")
    with state.db.read() as session:
        codes = matching_codes(session=session, filt=filt)
        rows = list_issues(session=session, codes=codes)
        flights = None if filt.flight is None else [filt.flight]
        gis = needs_shapes(fmt, layer)
        shapes = ledger_shapes(session=session, codes=codes, flight_ids=flights) if gis else None
    order = {c: i for i, c in enumerate(codes)}
    rows.sort(key=lambda v: order[v.code])
    labels = {s.id: s.zh for s in state.subtypes}
    with tempfile.TemporaryDirectory(prefix="hehu-export-") as tmp:
        out = export_issues(rows, fmt, Path(tmp) / f"issues.{fmt}", labels=labels, shapes=shapes,
                            layer=layer)  # fmt: skip
        data = out.read_bytes()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    name = f"hehu-issues-{stamp}.{SUFFIXES.get(fmt, fmt)}"
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/dossier/{code}.{fmt}")
def dossier(code: str, fmt: str, state: StateDep, me: CanRead) -> Response:
    """The case dossier of ``code`` as ``pdf`` or ``zip`` (PDF, originals, crops, SHA256SUMS)."""
    import io

    from pipeline.dossier.content import read_dossier, with_pictures
    from pipeline.dossier.package import pack, render
    from pipeline.ledger.errors import IssueNotFoundError

    if fmt not in ("pdf", "zip"):
        raise HTTPException(status_code=404, detail=f"unknown dossier format {fmt!r}; pdf or zip")
    labels = {s.id: s.zh for s in state.subtypes}
    with state.db.read() as session:
        try:
            read = read_dossier(session=session, code=code, zones=state.zones_geojson,
                                subtype_labels=labels, tz=state.tz)  # fmt: skip
        except IssueNotFoundError as e:
            raise HTTPException(status_code=404, detail=str(e)) from e
    found = with_pictures(read)  # the originals are read with no database session held
    pdf = render(found)
    if fmt == "zip":
        buffer = io.BytesIO()
        pack(found, pdf, buffer)
        data, media = buffer.getvalue(), "application/zip"
    else:
        data, media = pdf, "application/pdf"
    disposition = f"attachment; filename*=UTF-8''{quote(f'案卷-{code}.{fmt}')}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})
