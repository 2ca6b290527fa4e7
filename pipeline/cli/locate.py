"""``hehu locate IMAGE --px U,V …``: place pixels of a frame on the ground.

Pixel coordinates are continuous (column, row) of the image as stored, with
(0, 0) the top-left corner of the top-left pixel, so the centre of a
1600×900 frame is ``--px 800,450``. The ground is a plane at take-off
elevation (DJI RelativeAltitude is the height above it), moved by
``--ground-offset`` metres.

``--json`` prints one object per pixel: ``u``, ``v``, ``lat``, ``lon``
(WGS-84), ``range_m`` (camera to ground point); ``lat``/``lon``/``range_m``
are null with a ``reason`` when the ray does not reach the ground.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.errors import BadInputError


def pixel(text: str) -> tuple[float, float]:
    try:
        u, v = (float(part) for part in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected U,V such as 800,450; got {text!r}") from e
    return u, v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("locate", help="place image pixels on the ground (WGS-84)")
    p.add_argument("image", type=Path)
    p.add_argument(
        "--px", type=pixel, action="append", metavar="U,V",
        help="pixel column,row (repeatable); default: the image centre",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="one JSON object per pixel")
    p.add_argument(
        "--ground-offset", type=float, default=0.0, metavar="M",
        help="ground plane height above take-off in metres (negative: below)",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from pipeline.geo.georef import georeference
    from pipeline.geo.ground import FlatGround
    from pipeline.ingest import read_frame

    if not args.image.is_file():
        raise BadInputError(f"{args.image}: no such file; give the path of a frame")
    meta = read_frame(args.image)
    georef = georeference(meta, ground=FlatGround(offset_m=args.ground_offset))
    uv = np.array(args.px or [(meta.width_px / 2, meta.height_px / 2)], dtype=float)
    points = georef.locate(uv)
    for i, (u, v) in enumerate(uv):
        hit = bool(points.hit[i])
        record = {
            "u": float(u),
            "v": float(v),
            "lat": round(float(points.lat_deg[i]), 8) if hit else None,
            "lon": round(float(points.lon_deg[i]), 8) if hit else None,
            "range_m": round(float(points.range_m[i]), 3) if hit else None,
        }
        if not hit:
            record["reason"] = points.reason
        if args.json:
            print(json.dumps(record))
        elif hit:
            where = f"{record['lat']:.7f}, {record['lon']:.7f}"
            print(f"({u:g}, {v:g}) -> {where}  range {record['range_m']:.1f} m")
        else:
            print(f"({u:g}, {v:g}) -> no ground point: {record['reason']}")
    return 0
