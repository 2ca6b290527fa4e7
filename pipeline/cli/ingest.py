"""``hehu ingest FLIGHT_DIR``: read every frame's geotag; set bad files aside.

``--json`` prints one object per line: frames first, then set-aside files.
Frame keys (``null`` when the file does not carry the field):

- file: ``path``, ``sha256``, ``size_bytes``, ``media_type``, ``width_px``,
  ``height_px``, ``orientation``, ``exif_width_px``
- capture: ``captured_at`` (camera local time, no zone), ``subsec``,
  ``gps_time_utc``, ``make``, ``model``, ``serial``
- optics: ``focal_mm``, ``focal_35mm``, ``focal_plane_x_res``, ``focal_plane_res_unit``
- GPS (WGS-84): ``lat``, ``lon``, ``gps_alt_m``, ``lat_ref``, ``lon_ref``, ``gps_alt_ref``
- DJI XMP: ``rel_alt_m``, ``abs_alt_m``, ``gimbal_{yaw,pitch,roll}_deg``,
  ``flight_{yaw,pitch,roll}_deg``, ``calibrated_focal_px``,
  ``optical_center_{x,y}_px``, ``rtk_flag``, ``rtk_std_{lon,lat,hgt}_m``,
  ``lrf_target_{lat,lon}_deg``, ``lrf_target_abs_alt_m``, ``lrf_target_distance_m``,
  ``lrf_target_alt_m`` (above take-off), ``lrf_status``, ``image_source`` (the lens)
- ground: ``gsd_cm_per_px`` at the image centre, ``footprint`` as ``[[lat, lon], …]``
  (closed ring), ``camera_source`` (where the intrinsics came from), ``yaw_source``,
  ``ground`` (``dem``: the configured DEM; ``laser``: level through the frame's valid
  laser target; ``flat``: level at take-off height), ``ground_z_m`` (that ground
  above take-off, below the camera), ``ground_note`` (why a configured DEM was not
  used), ``flat_disagreement``
  (how far flat ground is off the laser range, a share of it; null without a valid
  laser reading), ``dem_residual_m`` (on a DEM with a valid laser reading, how far the
  DEM lies above the laser target, metres), ``ground_flagged`` (either is above the
  configured share of the laser range); ``georef_error`` says why these are null. The
  table's ``ground`` column shows ``laser 17%!``: laser ground, flat ground 17 % off,
  flagged; ``dem +0.4m``: DEM ground, 0.4 m above the laser target. With
  ``geo.dem_offset_m: auto`` the table ends with the offset measured on the flight.
  Output is strict JSON: a number that is not finite is ``null``, never ``NaN``
- yaw check (image motion of overlapping neighbours against the GPS track):
  ``yaw_check`` (``consistent``, ``flipped``, ``ambiguous``, ``unchecked``, or null
  with ``--no-yaw-check``), ``yaw_offset_deg`` (the correction applied to the
  recorded yaw for the ground fields: 0 or 180), ``yaw_check_detail``
- video (a frame sampled from a video beside its SRT log; null for a photo): ``video``
  as ``{"path", "time_s", "log", "pose"}``, ``pose`` naming what a configured default
  gave (``["pitch: default -90°", "yaw: course over ground"]``); ``path`` is then the
  still written from the video in the state folder
- ``quarantined``: false

Set-aside lines: ``{"quarantined": true, "path", "reason", "sha256", "size_bytes"}``.

Output is always valid UTF-8. A file whose name is not valid UTF-8 is ingested
like any other, and its ``path`` shows the bytes that are not as ``\\xNN``
(the ledger keeps its exact bytes beside that text); control characters in
names are JSON escapes in ``--json`` and ``\\xNN`` escapes in the table, so a
name cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.cli.jsonout import strict_dumps
from pipeline.ingest.names import display_path, text_safe
from pipeline.records import FrameMeta, Quarantined

if TYPE_CHECKING:
    from pipeline.geo.georef import Georef
    from pipeline.geo.laser import GroundSettings
    from pipeline.geo.yaw_check import YawVerdict


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="read a flight folder's geotags; set bad files aside")
    p.add_argument(
        "flight_dir", type=Path, help="folder of a flight's photos (searched recursively)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--max-offset-m",
        type=float,
        default=5000.0,
        help="set aside frames farther than this from the flight's median position",
    )
    p.add_argument(
        "--no-yaw-check",
        action="store_true",
        help="skip checking recorded yaw against overlapping images (faster; metadata only)",
    )
    p.add_argument(
        "--config", help="run configuration for the geo settings (default: configs/hehu.yaml)"
    )
    p.set_defaults(func=run)


def frame_record(
    meta: FrameMeta, check: YawVerdict | None = None, settings: GroundSettings | None = None
) -> dict[str, Any]:
    """A flat JSON-ready record of one frame, with its ground geometry (``settings``:
    the config's geo section, default :class:`GroundSettings`)."""
    from pipeline.errors import HehuError
    from pipeline.geo.georef import georeference

    record = {k: v for k, v in meta.to_dict().items() if k not in ("gps", "xmp")}
    gps = meta.gps
    record.update(
        lat=gps.lat_deg if gps else None,
        lon=gps.lon_deg if gps else None,
        gps_alt_m=gps.alt_m if gps else None,
        lat_ref=gps.lat_ref if gps else None,
        lon_ref=gps.lon_ref if gps else None,
        gps_alt_ref=gps.alt_ref if gps else None,
    )
    xmp = meta.to_dict()["xmp"] or {}
    record.update({k: xmp.get(k) for k in _XMP_KEYS})
    ground: dict[str, Any] = dict.fromkeys(
        ("gsd_cm_per_px", "footprint", "camera_source", "yaw_source", "ground", "ground_z_m",
         "flat_disagreement", "dem_residual_m", "ground_flagged", "ground_note", "georef_error")
    )  # fmt: skip
    offset = check.yaw_offset_deg if check else 0.0
    record.update(
        yaw_check=check.status if check else None,
        yaw_offset_deg=offset,
        yaw_check_detail=check.detail if check else None,
    )
    try:
        georef = georeference(meta, yaw_offset_deg=offset, settings=settings)
        gsd = float(georef.gsd_cm_per_px())
        ground.update(
            gsd_cm_per_px=round(gsd, 3) if math.isfinite(gsd) else None,
            footprint=[[round(lat, 7), round(lon, 7)] for lat, lon in georef.footprint()],
            camera_source=georef.camera.source,
            yaw_source=georef.pose.yaw_source,
            **ground_fields(georef),
        )
        if not math.isfinite(gsd):
            ground["georef_error"] = (
                "the image centre looks at or above the horizon: no ground sample distance"
            )
    except HehuError as e:
        ground["georef_error"] = str(e)
    record.update(ground)
    record["quarantined"] = False
    return record


def ground_fields(georef: Georef) -> dict[str, Any]:
    """Which ground a georeferenced frame uses and how flat ground compares with its laser."""
    check = georef.ground_check
    share = check.flat_disagreement if check is not None else None
    residual = check.dem_residual_m if check is not None else None
    return {
        "ground": check.source if check is not None else "flat",
        "ground_z_m": round(georef.pose.ground_z_m, 2),
        "flat_disagreement": round(share, 4) if share is not None else None,
        "dem_residual_m": round(residual, 2) if residual is not None else None,
        "ground_flagged": bool(check.flagged) if check is not None else False,
        "ground_note": check.note if check is not None and check.note else None,
    }


_XMP_KEYS = (
    "rel_alt_m", "abs_alt_m",
    "gimbal_yaw_deg", "gimbal_pitch_deg", "gimbal_roll_deg",
    "flight_yaw_deg", "flight_pitch_deg", "flight_roll_deg",
    "calibrated_focal_px", "optical_center_x_px", "optical_center_y_px",
    "rtk_flag", "rtk_std_lon_m", "rtk_std_lat_m", "rtk_std_hgt_m",
    "lrf_target_lat_deg", "lrf_target_lon_deg", "lrf_target_abs_alt_m", "lrf_target_distance_m",
    "lrf_target_alt_m", "lrf_status", "image_source",
)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from pipeline.config import load_config
    from pipeline.errors import BadInputError
    from pipeline.geo.dem_tie import calibrated
    from pipeline.ingest import scan_flight
    from pipeline.ingest.verdict import require_frames
    from pipeline.video.ingest import VideoIngest

    if not args.flight_dir.is_dir():
        raise BadInputError(
            f"{args.flight_dir}: not a folder; give the folder of a flight's photos"
        )
    config = load_config(args.config)
    result = scan_flight(args.flight_dir, max_offset_m=args.max_offset_m,
                         videos=VideoIngest.for_config(config))  # fmt: skip
    settings, dem_tie = calibrated(result.frames, config.geo.ground_settings())
    records = frame_records(result.frames, yaw_check=not args.no_yaw_check, settings=settings)
    if args.json:
        for line in [*records, *(q.to_dict() for q in result.quarantined)]:
            print(strict_dumps(text_safe(line), ensure_ascii=False))
    else:
        print_table(records, result.quarantined, sys.stdout)
        if dem_tie is not None:
            print(dem_tie.note)
    require_frames(args.flight_dir, result.frames, result.quarantined)  # exit 1, one line
    return 0


def frame_records(
    frames: tuple[FrameMeta, ...], *, yaw_check: bool, settings: GroundSettings | None = None
) -> list[dict[str, Any]]:
    """Records of a flight's frames, with the yaw check's verdicts when asked."""
    from pipeline.geo.yaw_check import check_yaw, load_gray_reduced

    checks = check_yaw(frames, load_gray_reduced, settings) if yaw_check else [None] * len(frames)
    return [frame_record(m, c, settings) for m, c in zip(frames, checks, strict=True)]


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _yaw_note(record: dict[str, Any]) -> str:
    if record["yaw_check"] == "flipped":
        return f"+{record['yaw_offset_deg']:g}°"
    return record["yaw_check"] or "-"


def _ground_note(record: dict[str, Any]) -> str:
    """``laser``, ``flat`` or ``dem``, with flat ground's disagreement with the laser (a
    DEM's, in metres, on a DEM) and ``!`` when flagged."""
    if record["ground"] is None:
        return "-"
    flag = "!" if record["ground_flagged"] else ""
    share, residual = record["flat_disagreement"], record.get("dem_residual_m")
    if record["ground"] == "dem" and residual is not None:
        return f"dem {residual:+.1f}m{flag}"
    if share is None:
        return record["ground"] + flag
    return f"{record['ground']} {share:.0%}{flag}"


def print_table(records: list[dict[str, Any]], quarantined: tuple[Quarantined, ...], out) -> None:
    header = f"{'frame':<28} {'captured':<19} {'lat':>11} {'lon':>12} {'rel m':>6} "
    header += f"{'pitch':>6} {'yaw':>6} {'GSD cm':>6} {'ground':<11} {'yaw check':<10} camera"
    print(header, file=out)
    for r in records:
        name = display_path(Path(r["path"]).name)
        print(
            f"{name[:28]:<28} {display_path(r['captured_at'] or '-')[:19]:<19} "
            f"{_fmt(r['lat'], '.6f'):>11} {_fmt(r['lon'], '.6f'):>12} "
            f"{_fmt(r['rel_alt_m'], '.1f'):>6} {_fmt(r['gimbal_pitch_deg'], '.1f'):>6} "
            f"{_fmt(r['gimbal_yaw_deg'], '.1f'):>6} {_fmt(r['gsd_cm_per_px'], '.2f'):>6} "
            f"{_ground_note(r):<11} {_yaw_note(r):<10} "
            f"{display_path(r['make'] or '-')} {display_path(r['model'] or '')}".rstrip(),
            file=out,
        )
    for q in quarantined:  # names and reasons may hold terminal control characters
        print(f"set aside  {display_path(q.path)}: {display_path(q.reason)}", file=out)
    total = len(records) + len(quarantined)
    print(
        f"{len(records)} frames ingested, {len(quarantined)} of {total} files set aside", file=out
    )
