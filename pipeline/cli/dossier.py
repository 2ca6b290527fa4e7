"""``hehu dossier CODE [--out FILE.pdf] [--zip]``: one issue's case dossier (案卷) for enforcement.

A PDF with the issue's ledger fields, its position in WGS-84 and CGCS2000 with a map
extract (management zone from ``ledger.zones`` of ``--config``, the frames' footprints,
the issue), every sighting's watermarked crop and full-frame thumbnail, the whole audit
history (times in ``display.timezone``) and the sha256 of every original and crop.
``--zip`` also writes ``FILE.zip`` beside it: the PDF, the original photos, the crops,
``SHA256SUMS`` (check with ``sha256sum -c SHA256SUMS``) and ``manifest.json``.
OUT defaults to ``CODE.pdf`` in the current folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from pipeline.cli.ledger import db_option

    p = sub.add_parser(
        "dossier", help="one issue's case dossier (案卷) as a PDF, --zip with photos"
    )
    p.add_argument("code", metavar="CODE", help="the issue's code (问题编号)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.pdf", help="default: CODE.pdf")
    p.add_argument(
        "--zip", action="store_true", help="also FILE.zip: the PDF, originals, crops, SHA256SUMS"
    )
    p.add_argument(
        "--config", help="run configuration, for ledger.zones and display.timezone (default: "
        "configs/hehu.yaml)",
    )  # fmt: skip
    db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time
    from zoneinfo import ZoneInfo

    from pipeline.cli.ledger import open_ledger, subtype_labels
    from pipeline.config import load_config, resolve
    from pipeline.dossier.content import read_dossier, with_pictures
    from pipeline.dossier.package import write_dossier
    from pipeline.errors import BadInputError
    from pipeline.ingest.names import display_path
    from pipeline.ledger.errors import IssueNotFoundError
    from pipeline.review.layers import load_zones_geojson

    started = time.perf_counter()
    config = load_config(args.config)
    zones = load_zones_geojson(resolve(config.ledger.zones)) if config.ledger.zones else None
    with open_ledger(args.db)() as session:
        try:
            found = read_dossier(session=session, code=args.code, zones=zones,
                                 subtype_labels=subtype_labels(),
                                 tz=ZoneInfo(config.display.timezone))  # fmt: skip
        except IssueNotFoundError as e:
            raise BadInputError(f"{e}; `hehu ledger list` shows the codes") from e
    dossier = with_pictures(found)
    out = args.out or Path(f"{args.code}.pdf")
    written = write_dossier(dossier, out, with_zip=args.zip)
    missing = sum(not s.pictures.original_ok for s in dossier.sightings)
    print(f"{args.code}: {len(dossier.sightings)} sighting(s), {len(dossier.history)} history "
          f"entries → {', '.join(display_path(p) for p in written)} "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    if missing:
        print(f"warning: {missing} original photo(s) missing or changed: shown as unavailable")
    return 0
