"""hehu's run configuration (``configs/hehu.yaml``), loaded once at the entry point.

Sections mirror the stages: ingest, geo (the ground frames are placed on), detect,
ledger, flow (Prefect), inbox (scheduled sweeps), report, recheck and display (the time
zone people read times in). Every model forbids
unknown keys, so a typo in the YAML is an error naming the key, not a silently
ignored setting.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.detect.slicer import DEFAULT_BATCH
from pipeline.errors import ConfigError
from pipeline.ledger.config import LedgerConfig

if TYPE_CHECKING:
    from pipeline.geo.laser import GroundSettings
    from pipeline.video.frames import VideoSettings

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / "configs" / "hehu.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestConfig(_Section):
    max_offset_m: float = Field(default=5000.0, gt=0)
    yaw_check: bool = True


class VideoConfig(_Section):
    """How a video with its SRT log becomes frames (:class:`pipeline.video.frames.VideoSettings`,
    which documents each field)."""

    sample_overlap: float = Field(default=0.6, ge=0, lt=1)
    sample_spacing_m: float | None = Field(default=None, gt=0)
    fallback_spacing_m: float = Field(default=20.0, gt=0)
    max_gap_s: float = Field(default=10.0, gt=0)
    focal_35mm: float | None = Field(default=24.0, gt=0)
    camera_model: str | None = None
    focal_mm: float | None = Field(default=None, gt=0)
    default_pitch_deg: float | None = Field(default=-90.0, ge=-90, le=30)
    default_yaw_deg: float | None = None
    default_rel_alt_m: float | None = Field(default=None, gt=0)
    jpeg_quality: int = Field(default=95, ge=50, le=100)

    def settings(self) -> VideoSettings:
        from pipeline.video.frames import VideoSettings

        return VideoSettings(**self.model_dump())


class GeoConfig(_Section):
    """Ground settings (:class:`pipeline.geo.laser.GroundSettings`, which documents them)."""

    use_laser: bool = True
    laser_min_m: float = Field(default=3.0, gt=0)
    laser_max_m: float = Field(default=1200.0, gt=0)
    laser_min_depression_deg: float = Field(default=10.0, ge=0, lt=90)
    max_flat_disagreement: float = Field(default=0.10, gt=0)
    footprint_max_range_m: float = Field(default=1000.0, gt=0)
    dem: str | None = None
    dem_offset_m: float | Literal["auto"] = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> GeoConfig:
        if self.dem is not None and not resolve(self.dem).is_file():
            raise ValueError(f"geo.dem: no such file {self.dem!r} (looked at {resolve(self.dem)})")
        self.ground_settings()  # raises ValueError naming what is wrong
        return self

    def ground_settings(self) -> GroundSettings:
        from pipeline.geo.laser import GroundSettings

        values = self.model_dump(exclude={"dem", "dem_offset_m"})
        auto = self.dem_offset_m == "auto"
        return GroundSettings(**values, dem_path=str(resolve(self.dem)) if self.dem else None,
                              dem_offset_m=0.0 if auto else float(self.dem_offset_m),
                              dem_offset_auto=auto)  # fmt: skip


class DetectConfig(_Section):
    taxonomy: str = "configs/taxonomy.yaml"
    models: tuple[str, ...] | None = None
    models_dir: str = "models"
    #: openvino: 1.8x ONNX Runtime on Brighton (2 shared cores, AMX bf16), same boxes;
    #: falls back to onnx when openvino is not installed
    backend: Literal["onnx", "openvino", "torch"] = "openvino"
    batch_tiles: int = Field(default=DEFAULT_BATCH, ge=1)  # tiles per network run
    threads: int | None = Field(default=None, ge=1)
    #: Skip tiles that cannot hold a candidate (pipeline.detect.skip); ``hehu run --no-skip``
    skip: bool = True


#: Detect settings that change how fast frames are detected, never what is found: changing
#: them reuses the cached detections. Any other detect field re-detects.
SPEED_ONLY = ("batch_tiles", "threads")


class LedgerSection(_Section):
    url: str | None = None
    zones: str | None = "configs/zones"
    #: patrol grids (pipeline.ledger.grids): who patrols which part of a zone, how often
    grids: str | None = "configs/grids"
    #: Checked with the rest of the file, so a typo fails before the first frame is read.
    settings: LedgerConfig = LedgerConfig()


class CoverageConfig(_Section):
    """``hehu coverage`` (:mod:`pipeline.coverage`): ground within ``max_range_m`` of a
    frame's nadir counts as seen; a pass keeps a grid's interval when it saw at least
    ``min_pass_share`` of it at or under ``gsd_limit_cm_per_px`` (null: the finest
    ``train_gsd_cm_per_px`` of the enabled models' cards)."""

    max_range_m: float = Field(default=300.0, gt=0)
    min_pass_share: float = Field(default=0.9, gt=0, le=1)
    gsd_limit_cm_per_px: float | None = Field(default=None, gt=0)


class FlowConfig(_Section):
    frames_per_task: int = Field(default=150, ge=1)
    retries: int = Field(default=2, ge=0)
    retry_delay_s: float = Field(default=5.0, ge=0)
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str | None = None
    dask_workers: int = Field(default=2, ge=1)


class InboxConfig(_Section):
    drop_dir: str = "inbox"
    cron: str = "0 2 * * *"
    timezone: str = "Asia/Shanghai"


class ReportConfig(_Section):
    out_dir: str | None = None
    basemap_url: str | None = None


class RecheckConfig(_Section):
    """``hehu run`` rechecks (复查) the ledger's issues a flight sees again, after its push
    (:func:`pipeline.change.record.recheck_after_push`)."""

    enabled: bool = True
    #: least area of a changed region (新增变化) inside a zone, m² (hehu recheck --changes)
    change_min_area_m2: float = Field(default=100.0, gt=0)
    #: also file new changes (新增变化) as candidates after the push (configs/hehu.yaml: why off)
    changes: bool = False


class StateConfig(_Section):
    """hehu's state folder (:mod:`pipeline.state`); ``None``: ``$HEHU_HOME`` or per-user."""

    dir: str | None = None


class DisplayConfig(_Section):
    """How people see times (review app, exports, reports): ``timezone`` is the office's
    IANA zone (北京时间 by default)."""

    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _known_zone(self) -> DisplayConfig:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(
                f"display.timezone: unknown time zone {self.timezone!r} (an IANA name such as "
                "Asia/Shanghai or Asia/Urumqi)"
            ) from e
        return self


class HehuConfig(_Section):
    state: StateConfig = StateConfig()
    display: DisplayConfig = DisplayConfig()
    ingest: IngestConfig = IngestConfig()
    video: VideoConfig = VideoConfig()
    geo: GeoConfig = GeoConfig()
    detect: DetectConfig = DetectConfig()
    ledger: LedgerSection = LedgerSection()
    coverage: CoverageConfig = CoverageConfig()
    flow: FlowConfig = FlowConfig()
    inbox: InboxConfig = InboxConfig()
    report: ReportConfig = ReportConfig()
    recheck: RecheckConfig = RecheckConfig()

    def detection_hash(self) -> str:
        """Digest of the run settings that change detections (part of the cache key, beside
        :func:`pipeline.run.weights_fingerprint`, which holds the models, their cards and
        the taxonomy): the detect section but for the fields that only change the speed."""
        relevant = {"detect": self.detect.model_dump(mode="json", exclude=set(SPEED_ONLY))}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def state_dir(self) -> Path:
        """The state folder this configuration uses (:func:`pipeline.state.state_dir`)."""
        from pipeline.state import state_dir

        return state_dir(self.state.dir)

    def db_url(self) -> str:
        from pipeline.ledger.db import default_url

        return self.ledger.url or default_url(self.state_dir())


def resolve(path: str | os.PathLike[str]) -> Path:
    """A configured path: as given if absolute or present from here, else in the checkout."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p.resolve()
    return REPO_ROOT / p


def _state_from_file(data: dict[str, Any], source: Path) -> None:
    """A relative ``state.dir`` is taken from the configuration file's folder."""
    state = data.get("state")
    if isinstance(state, dict) and isinstance(state.get("dir"), str):
        folder = Path(state["dir"]).expanduser()
        state["dir"] = str(folder if folder.is_absolute() else source.resolve().parent / folder)


def load_config(
    path: Path | str | None = None, overrides: dict[str, Any] | None = None
) -> HehuConfig:
    """Read ``path`` (default ``configs/hehu.yaml``), with ``overrides`` merged per section.

    ``overrides`` looks like the YAML: ``{"ledger": {"url": "sqlite:///x.db"}}``.
    """
    import yaml
    from pydantic import ValidationError

    source = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read the configuration {source}: {e}") from e
    _state_from_file(data, source)
    for section, values in (overrides or {}).items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    try:
        return HehuConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError.invalid(source, e) from e
