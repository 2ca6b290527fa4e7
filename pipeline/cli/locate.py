"""``hehu locate IMAGE --px U,V …``: place pixels of a frame on the ground, as the flow does.

Pixel coordinates are continuous (column, row) of the image as stored, with
(0, 0) the top-left corner of the top-left pixel, so the centre of a
1600×900 frame is ``--px 800,450``; pixels outside ``0..width × 0..height`` are
refused.

The frame is placed as ``hehu run`` places it:

- **yaw**: the flow checks each frame's recorded yaw against the image motion of
  its neighbours in the flight (:mod:`pipeline.geo.yaw_check`) and turns frames
  whose yaw is recorded 180° off. ``locate`` runs the same check on the frame and
  its neighbours in ``--flight`` (default: the image's folder, scanned as the flow
  scans it) and applies the correction, or says why it cannot (a frame alone has
  no neighbour to be checked against). ``--no-yaw-check`` uses the recorded yaw.
- **ground**: the config's ``geo`` settings: its DEM where one is named and covers
  the frame, else level through the frame's laser target where its rangefinder
  reading is valid, else level at take-off height;
  ``--ground-offset M`` sets a level ground M metres above take-off instead.

The text output starts with a ``yaw:`` and a ``ground:`` line. ``--json`` prints
one object per pixel: ``u``, ``v``, ``lat``, ``lon`` (WGS-84), ``range_m`` (camera to
ground point), ``yaw_check``, ``yaw_offset_deg``, ``yaw_check_detail``, ``ground``;
``lat``/``lon``/``range_m`` are null with a ``reason`` when the ray does not reach
the ground. ``--footprint`` adds the frame's ground outline, cut at the config's
``geo.footprint_max_range_m`` from the camera's nadir for frames that look near or
above the horizon (JSON: one more object, ``{"footprint": [[lat, lon], …], …}``).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import BadInputError

if TYPE_CHECKING:
    from pipeline.config import HehuConfig
    from pipeline.geo.georef import Georef
    from pipeline.geo.laser import GroundSettings
    from pipeline.geo.yaw_check import YawVerdict
    from pipeline.records import FrameMeta


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
        "--ground-offset", type=float, default=None, metavar="M",
        help="level ground M metres above take-off (negative: below) instead of the frame's own",
    )  # fmt: skip
    p.add_argument(
        "--flight", type=Path, metavar="DIR",
        help="the frame's flight folder, whose neighbours check its yaw (default: its folder)",
    )  # fmt: skip
    p.add_argument("--no-yaw-check", action="store_true", help="use the recorded yaw as is")
    p.add_argument("--footprint", action="store_true", help="also print the ground outline")
    p.add_argument("--config", help="run configuration (default: configs/hehu.yaml)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from pipeline.config import load_config
    from pipeline.geo.dem_tie import calibrated
    from pipeline.geo.georef import georeference
    from pipeline.geo.ground import FlatGround
    from pipeline.ingest import read_frame

    if not args.image.is_file():
        raise BadInputError(f"{args.image}: no such file; give the path of a frame")
    config = load_config(args.config)
    meta = read_frame(args.image)
    uv = np.array(args.px or [(meta.width_px / 2, meta.height_px / 2)], dtype=float)
    check_inside(uv, meta)
    flight = functools.cache(lambda: flight_frames(args, config))
    settings = config.geo.ground_settings()
    if settings.dem_offset_auto:  # the DEM's offset is measured on the whole flight
        settings, tie = calibrated(flight(), settings)
        if tie is not None:
            print(tie.note, file=sys.stderr)
    check = yaw_verdict(meta, args, config, flight, settings)
    ground = None if args.ground_offset is None else FlatGround(offset_m=args.ground_offset)
    georef = georeference(meta, ground=ground, yaw_offset_deg=check.yaw_offset_deg,
                          settings=settings)  # fmt: skip
    common = {"yaw_check": check.status, "yaw_offset_deg": check.yaw_offset_deg,
              "yaw_check_detail": check.detail, "ground": ground_note(georef)}  # fmt: skip
    if not args.json:
        print(f"yaw: {check.status}, {check.detail}; " + (
            f"recorded yaw turned by {check.yaw_offset_deg:+g}°" if check.yaw_offset_deg
            else "recorded yaw used"))  # fmt: skip
        print(f"ground: {common['ground']}")
    points = georef.locate(uv)
    for i, (u, v) in enumerate(uv):
        hit = bool(points.hit[i])
        record: dict[str, Any] = {
            "u": float(u),
            "v": float(v),
            "lat": round(float(points.lat_deg[i]), 8) if hit else None,
            "lon": round(float(points.lon_deg[i]), 8) if hit else None,
            "range_m": round(float(points.range_m[i]), 3) if hit else None,
        }
        if not hit:
            record["reason"] = points.reason
        if args.json:
            print(json.dumps({**record, **common}))
        elif hit:
            where = f"{record['lat']:.7f}, {record['lon']:.7f}"
            print(f"({u:g}, {v:g}) -> {where}  range {record['range_m']:.1f} m")
        else:
            print(f"({u:g}, {v:g}) -> no ground point: {record['reason']}")
    if args.footprint:
        print_footprint(georef, as_json=args.json)
    return 0


def check_inside(uv, meta: FrameMeta) -> None:
    """Refuse pixels outside the stored image (continuous coordinates, edges included)."""
    w, h = meta.width_px, meta.height_px
    for u, v in uv:
        if not (0.0 <= u <= w and 0.0 <= v <= h):
            raise BadInputError(
                f"pixel ({u:g}, {v:g}) is outside the {w} × {h} px image of {meta.path}: "
                f"expected U in 0..{w} and V in 0..{h} (column, row of the stored image)"
            )


def flight_frames(args: argparse.Namespace, config: HehuConfig) -> tuple[FrameMeta, ...]:
    """The frames of the frame's flight folder (``--flight``, default its folder)."""
    from pipeline.ingest import scan_flight

    flight_dir = args.flight or args.image.resolve().parent
    if not flight_dir.is_dir():
        raise BadInputError(f"{flight_dir}: not a folder; give the frame's flight folder")
    return scan_flight(flight_dir, max_offset_m=config.ingest.max_offset_m).frames


def yaw_verdict(
    meta: FrameMeta,
    args: argparse.Namespace,
    config: HehuConfig,
    flight: Callable[[], tuple[FrameMeta, ...]],
    settings: GroundSettings,
) -> YawVerdict:
    """The flow's yaw verdict for the frame (module docstring), or why there is none;
    ``flight()`` gives its flight's frames, ``settings`` the flight's ground."""
    from pipeline.geo.yaw_check import YawVerdict, check_frame_yaw, load_gray_reduced

    if args.no_yaw_check or not config.ingest.yaw_check:
        why = "--no-yaw-check" if args.no_yaw_check else "ingest.yaw_check is off in the config"
        return YawVerdict(meta.sha256, 0.0, "off", f"not checked ({why})")
    return check_frame_yaw(meta, flight(), load_gray_reduced, settings)


def ground_note(georef: Georef) -> str:
    """Which ground the frame is placed on, in words."""
    check, z = georef.ground_check, georef.pose.ground_z_m
    if check is None:
        return f"level at {z:+.1f} m from take-off height (--ground-offset)"
    if check.source == "dem":
        note = "dem: rays marched to the configured DEM (geo.dem)"
    elif check.source == "laser":
        note = f"laser: level through the laser target, {z:+.1f} m from take-off height"
    else:
        note = "flat: level at take-off height"
    if check.note:
        note += f" ({check.note})"
    if check.flat_disagreement is not None:
        note += f"; flat ground is {check.flat_disagreement:.0%} off the laser range"
        note += " (flagged)" if check.flagged else ""
    return note


def print_footprint(georef: Georef, *, as_json: bool) -> None:
    ring = [[round(lat, 7), round(lon, 7)] for lat, lon in georef.footprint()]
    if as_json:
        print(json.dumps({"footprint": ring, "max_range_m": georef.max_range_m}))
    else:
        corners = "  ".join(f"{lat:.7f},{lon:.7f}" for lat, lon in ring)
        print(f"footprint (cut at {georef.max_range_m:g} m from nadir): {corners}")
