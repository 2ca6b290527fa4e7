"""``hehu feedback export OUT``: reviewed detections as a YOLO dataset for ``hehu train``.

Confirmed issues give positives labelled with the subtype as corrected in
review; issues rejected as 误报 give hard-negative background tiles;
unreviewed detections inside a tile are painted over. Tiles are cut from the
untouched original frames (checked by sha256). Writes ``OUT/images``,
``OUT/labels``, ``OUT/data.yaml``, ``OUT/classes.txt`` and ``OUT/feedback.json``;
then ``hehu train --data OUT --model NAME``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from pipeline.cli.ledger import db_option

    p = sub.add_parser("feedback", help="reviewed detections as training data (YOLO folder)")
    actions = p.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)
    ex = actions.add_parser("export", help="write a YOLO dataset from the reviewed detections")
    ex.add_argument("out", type=Path, help="output folder (created; must be empty if it exists)")
    ex.add_argument("--tile", type=int, default=640, help="tile side in pixels (default 640)")
    ex.add_argument(
        "--min-visible", type=float, default=0.5,
        help="a positive cut by a tile edge is labelled when this fraction is inside, else masked",
    )  # fmt: skip
    db_option(ex)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.errors import BadInputError
    from pipeline.ledger.db import check_schema, default_url
    from pipeline.review.feedback import export_feedback
    from pipeline.review.store import open_db

    if args.out.exists() and any(args.out.iterdir()):
        raise BadInputError(f"{args.out} is not empty; give a new folder for the dataset")
    if args.tile < 32:
        raise BadInputError(f"--tile must be at least 32 pixels, got {args.tile}")
    db = open_db(args.db or default_url())
    check_schema(db.engine)
    with db.read() as session:
        summary = export_feedback(
            session=session, out=args.out, tile_px=args.tile, min_visible=args.min_visible
        )
    print(json.dumps(summary.to_json(), ensure_ascii=False, indent=1))
    if summary.tiles:
        print(f"next: hehu train --data {args.out} --model NAME")
    else:
        print("no reviewed detections yet: confirm or reject candidates in hehu review first")
    return 0
