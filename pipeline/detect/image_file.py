"""One image file through detection, with ground positions when it is geotagged.

Reads the file's bytes once: metadata (``pipeline.ingest.scan.read_frame``),
the checked decode, and, for a geotagged frame, its georeference; the frame's
GSD then sets each model's rescale, and every box gets a ground centre and
area. A frame without a geotag runs at native scale with no ground fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.detect.engine import LoadedModel, ModelResult, detect_frame

if TYPE_CHECKING:
    from pipeline.detect.taxonomy import Taxonomy


@dataclass(frozen=True)
class FrameReport:
    """Detections of every model on one file, JSON-ready through :meth:`to_dict`."""

    path: str
    width_px: int
    height_px: int
    gsd_cm_per_px: float | None
    geotagged: bool
    rows: tuple[dict[str, Any], ...] = field(default=())
    seconds: dict[str, float] = field(default_factory=dict)
    band: str = "visible"
    band_why: str = ""
    water_fraction: float | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "gsd_cm_per_px": None if self.gsd_cm_per_px is None else round(self.gsd_cm_per_px, 3),
            "geotagged": self.geotagged,
            "band": self.band,
            "band_why": self.band_why,
            "water_fraction": None
            if self.water_fraction is None
            else round(self.water_fraction, 3),
            "models": self.models,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "detections": list(self.rows),
        }


def detect_image_file(
    path: Path | str,
    models: Sequence[LoadedModel],
    *,
    taxonomy: Taxonomy | None = None,
    gsd_cm_per_px: float | None = None,
    use_geotag: bool = True,
) -> FrameReport:
    """Detect on one file; ``gsd_cm_per_px`` overrides the geotag's GSD.

    Raises the ingest errors (:class:`pipeline.errors.BadInputError` family)
    for files that cannot be used.
    """
    from pipeline.detect.ground_boxes import frame_georef, frame_gsd_cm_per_px
    from pipeline.errors import UnreadableFileError
    from pipeline.ingest.checks import decode_image
    from pipeline.ingest.scan import read_frame

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UnreadableFileError(f"cannot read {path}: {e.strerror or e}") from e
    meta = read_frame(path, data)
    georef = frame_georef(meta) if use_geotag else None
    gsd = gsd_cm_per_px if gsd_cm_per_px is not None else frame_gsd_cm_per_px(georef)
    from pipeline.ingest.band import frame_band

    image = decode_image(data)
    band = frame_band(meta)
    results = detect_frame(image, models, gsd_cm_per_px=gsd, band=band.band, band_why=band.why)
    rows = [row for result in results.values() for row in _rows(result, georef, taxonomy)]
    seconds = {name: r.seconds for name, r in results.items()}
    water = next((r.water_fraction for r in results.values() if r.water_fraction is not None), None)
    h, w = image.shape[:2]
    return FrameReport(
        str(path), w, h, gsd, georef is not None, tuple(rows), seconds, band.band, band.why,
        water, {name: _model_status(r) for name, r in results.items()},
    )  # fmt: skip


def _model_status(result: ModelResult) -> dict[str, Any]:
    """What one model did on the frame: skipped and why, tiles run, boxes dropped off water."""
    return {
        "skipped": result.skipped,
        "tiles_run": result.tiles_run,
        "tiles": len(result.plan),
        "boxes": len(result.detections),
        "dropped_off_water": result.dropped_on_land,
        "dropped_faint": result.dropped_faint,
    }


def _rows(result: ModelResult, georef: Any, taxonomy: Taxonomy | None) -> list[dict[str, Any]]:
    rows = result.records()
    for row in rows:
        sub = row["subtype"]
        row["subtype_zh"] = taxonomy.subtype(sub).zh if taxonomy is not None and sub else None
    if georef is None or not rows:
        return rows
    from pipeline.detect.ground_boxes import locate_detections

    ground = locate_detections(result.detections, georef)
    for i, row in enumerate(rows):
        if ground.hit[i]:
            row["lat_deg"] = round(float(ground.center_lat_deg[i]), 7)
            row["lon_deg"] = round(float(ground.center_lon_deg[i]), 7)
            row["area_m2"] = round(float(ground.area_m2[i]), 2)
    return rows
