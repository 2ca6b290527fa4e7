"""``hehu export --format xlsx|csv|geojson|kml|kmz|gpkg|shp [--status S] [--since DATE] OUT``.

Writes the ledger as a 问题台账 spreadsheet (xlsx, Chinese headers), CSV
(UTF-8 with BOM for Excel), GeoJSON, KML (Google Earth, 奥维地图) or KMZ (the KML
with each issue's evidence crop inside, to send to others), or GIS layers (issues,
their ground outlines, the footprints of the flights' frames) as a GeoPackage or a zip of
Shapefiles (``OUT.zip``) with the CRS declared as CGCS2000 (EPSG:4490); with ``--since``
only flights started on or after DATE give footprints. ``--format geojson --layer outlines``
(or ``frames``) writes that GIS layer alone as GeoJSON (WGS-84). Times are shown in the
xlsx's format, in the office's time zone (``display.timezone`` of ``--config``).
OUT's folder must exist; a path that cannot be written is one line saying why.
Coordinates are WGS-84. ``--since`` keeps issues discovered on or after DATE.
Issues merged into another (已合并) are left out unless ``--status merged``
asks for them: their evidence and history belong to the issue that kept them.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

FORMATS = ("xlsx", "csv", "geojson", "kml", "kmz", "gpkg", "shp")
SUFFIXES = {"zip": "shp"}  # a zip of Shapefiles


def register(sub: argparse._SubParsersAction) -> None:
    from pipeline.cli.ledger import db_option

    p = sub.add_parser(
        "export", help="write the ledger as xlsx, csv, geojson, kml, kmz, gpkg or shp"
    )
    p.add_argument("out", type=Path, metavar="OUT", help="file to write")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from OUT's suffix")
    p.add_argument(
        "--status", help="only this status (code such as assigned, or label such as 已交办)"
    )
    p.add_argument(
        "--since", type=dt.date.fromisoformat, metavar="DATE", help="discovered on/after YYYY-MM-DD"
    )
    p.add_argument(
        "--config", help="run configuration, for display.timezone (default: configs/hehu.yaml)"
    )
    p.add_argument(
        "--layer", choices=("issues", "outlines", "frames"), default=None,
        help="with --format geojson: the issues' points (default), their ground outlines "
        "or the frames' footprints",
    )  # fmt: skip
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.cli.ledger import open_ledger, subtype_labels
    from pipeline.config import load_config
    from pipeline.errors import BadInputError
    from pipeline.ingest.names import display_path
    from pipeline.ledger.export import export_issues
    from pipeline.ledger.gis import FORMATS as GIS_FORMATS
    from pipeline.ledger.gis import ledger_shapes, needs_shapes
    from pipeline.ledger.queries import crop_paths, list_issues
    from pipeline.ledger.vocab import status_code

    suffix = args.out.suffix.lstrip(".").lower()
    fmt = args.format or SUFFIXES.get(suffix, suffix)
    if fmt not in FORMATS:
        raise BadInputError(
            f"cannot tell the format of {args.out}; add --format {'|'.join(FORMATS)}"
        )
    try:
        status = status_code(args.status) if args.status else None
    except ValueError as e:
        raise BadInputError(str(e)) from e
    timezone = load_config(args.config).display.timezone
    with open_ledger(args.db)() as session:
        issues = list_issues(session=session, status=status, since=args.since)
        if status is None:
            issues = [v for v in issues if v.status != "merged"]
        codes = [v.code for v in issues]
        crops = crop_paths(session=session, codes=codes) if fmt == "kmz" else {}
        gis = needs_shapes(fmt, args.layer)
        shapes = ledger_shapes(session=session, codes=codes, since=args.since) if gis else None
    out = export_issues(issues, fmt, args.out, labels=subtype_labels(), crops=crops,
                        timezone=timezone, shapes=shapes, layer=args.layer)  # fmt: skip
    inside = f", {len(crops)} evidence crop(s) inside" if fmt == "kmz" else ""
    if shapes is not None:
        crs = "EPSG:4490 (CGCS2000)" if fmt in GIS_FORMATS else "WGS-84"
        inside = (f", {len(shapes.outlines)} outline(s), {len(shapes.footprints)} frame "
                  f"footprint(s), CRS {crs}")  # fmt: skip
    print(f"{len(issues)} issue(s) → {display_path(out)}{inside}")
    return 0
