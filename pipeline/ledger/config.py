"""Ledger settings, loaded once at the entry point and passed down.

Defaults come from numbers worth knowing:

- **Association gates.** Each georeferenced detection carries its own 1σ
  position error (:mod:`pipeline.geo.uncertainty`: attitude, height, GPS;
  0.8 m at nadir from 40 m, 9 m at 19° below the horizon from 40 m). Two
  sightings may be one object when their distance is within ``gate_sigmas``
  (2) × their combined σ plus the radii of discs of their ground areas
  (:mod:`pipeline.ledger.cluster`). Detections stored without an error (older
  pushes, other tools) get ``position_sigma_m`` = 3.5 m, which with 2σ gives
  the former fixed gate of 2·3.5·√2 ≈ 9.9 m (``gate``).
- **Plausibility.** A detection is stored but opens no candidate when its
  frame looks level or up (gimbal pitch above ``level_pitch_deg`` = −10°),
  its ray runs within ``min_depression_deg`` = 5° of the horizon, it lies
  beyond ``max_range_m`` = 1000 m of the camera, or its ground area is
  outside ``plausible_area_m2`` for its subtype (``[min, max]`` by subtype
  id, type or ``default``; a car is not 300 m², floating garbage is not
  280,000 m²).
- **Severity.** Many provincial rules grade by size (e.g. flood-obstructing
  crops or trees: 1000–5000 m² 较严重, ≥ 5000 m² 重大). ``severity_m2`` maps a
  subtype id, a type or ``default`` to the two area thresholds.
- **Deadlines.** Dispatch (交办) sets a rectification deadline (整改时限):
  ``deadline_days`` maps a subtype id, a type or ``default`` to the days
  from dispatch (30 by default; floating garbage is cleared in days, a
  building in months). A deadline given at dispatch overrides it.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.errors import ConfigError


class SeverityThresholds(BaseModel):
    """Areas (m²) from which a problem is 较严重 (``serious_m2``) and 重大 (``major_m2``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    serious_m2: float = Field(gt=0)
    major_m2: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> SeverityThresholds:
        if self.major_m2 < self.serious_m2:
            raise ValueError(
                f"major_m2 ({self.major_m2}) must be >= serious_m2 ({self.serious_m2})"
            )
        return self


class AreaRange(BaseModel):
    """Ground areas (m²) a detection of one class can plausibly have."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_m2: float = Field(ge=0)
    max_m2: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> AreaRange:
        if self.max_m2 <= self.min_m2:
            raise ValueError(f"max_m2 ({self.max_m2}) must be > min_m2 ({self.min_m2})")
        return self


def _areas(**ranges: tuple[float, float]) -> dict[str, AreaRange]:
    return {k.replace("__", "."): AreaRange(min_m2=a, max_m2=b) for k, (a, b) in ranges.items()}


#: Generous bounds on a box's ground area (oblique boxes also cover ground behind an object).
DEFAULT_AREAS = _areas(
    default=(0.01, 100_000.0),
    luandui=(0.05, 20_000.0),
    luandui__floating_garbage=(0.01, 2_000.0),
    luancai__heavy_vehicle=(1.0, 200.0),  # a semi-trailer seen at 15° covers ~120 m²
    luancai__excavator=(1.0, 200.0),
    luancai__dredger=(5.0, 5_000.0),
    luanjian__shed=(1.0, 5_000.0),
)


class LedgerConfig(BaseModel):
    """How flights become ledger rows. Distances in metres, areas in m²."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    position_sigma_m: float = Field(default=3.5, gt=0)
    gate_sigmas: float = Field(default=2.0, gt=0)
    gate_m: float | None = Field(
        default=None, gt=0, description="explicit gate; overrides the derived one"
    )
    use_extent: bool = True
    box_quantum_px: float = Field(
        default=1.0, gt=0, description="box rounding for the detection key"
    )
    outside_zone: Literal["keep", "drop"] = "keep"
    default_division_code: str = Field(default="000000", pattern=r"^\d{6}(\d{6})?$")
    level_pitch_deg: float = Field(default=-10.0, le=0)
    min_depression_deg: float = Field(default=5.0, ge=0, le=90)
    max_range_m: float = Field(default=1000.0, gt=0)
    plausible_area_m2: dict[str, AreaRange] = Field(default_factory=lambda: dict(DEFAULT_AREAS))
    single_view_covers: int | None = Field(
        default=2,
        ge=1,
        description="hold a new object seen in one frame only when at least this many other "
        "frames of the flight, on which its model ran, covered its position (None: never)",
    )
    moving_subtypes: list[str] = Field(
        default_factory=lambda: ["luancai.heavy_vehicle", "luancai.dredger"],
        description="subtypes whose objects move between frames: never held as single views",
    )
    merge_max_m: float = Field(
        default=300.0,
        gt=0,
        description="a reviewer's merge of two issues farther apart than this needs force "
        "(a mistyped code, not a missed association)",
    )
    severity_m2: dict[str, SeverityThresholds] = Field(
        default_factory=lambda: {"default": SeverityThresholds(serious_m2=1000.0, major_m2=5000.0)}
    )

    deadline_days: dict[str, int] = Field(
        default_factory=lambda: {"default": 30, "luandui.floating_garbage": 7},
        description="days from dispatch (交办) to the rectification deadline (整改时限), by "
        "subtype id, type or default",
    )

    @model_validator(mode="after")
    def _deadline_days(self) -> LedgerConfig:
        bad = {k: v for k, v in self.deadline_days.items() if v < 1}
        if bad:
            raise ValueError(f"deadline_days must be at least 1 day, got {bad}")
        return self

    def deadline(self, subtype: str | None, dispatched_on: dt.date) -> dt.date | None:
        """The default 整改时限 of an issue dispatched on ``dispatched_on`` (subtype id, then
        type, then ``default``); ``None`` when no rule applies."""
        key = self._rule_key(subtype, self.deadline_days)
        return None if key is None else dispatched_on + dt.timedelta(days=self.deadline_days[key])

    @staticmethod
    def _rule_key(subtype: str | None, rules: dict[str, Any]) -> str | None:
        kind = subtype.split(".", 1)[0] if subtype else None
        return next((k for k in (subtype, kind, "default") if k and k in rules), None)

    @property
    def gate(self) -> float:
        """The clustering gate in metres (``gate_m``, or derived from the position sigma)."""
        if self.gate_m is not None:
            return self.gate_m
        return self.gate_sigmas * self.position_sigma_m * math.sqrt(2.0)

    def area_range(self, subtype: str | None) -> AreaRange | None:
        """The plausible area range for a subtype (subtype id, then type, then ``default``)."""
        key = self._rule_key(subtype, self.plausible_area_m2)
        return self.plausible_area_m2[key] if key else None

    def severity(self, subtype: str | None, area_m2: float | None) -> str | None:
        """``general`` / ``serious`` / ``major`` for an area, or ``None`` when it is unknown."""
        if area_m2 is None:
            return None
        key = self._rule_key(subtype, self.severity_m2)
        if key is None:
            return None
        limits = self.severity_m2[key]
        if area_m2 >= limits.major_m2:
            return "major"
        if area_m2 >= limits.serious_m2:
            return "serious"
        return "general"


def load_ledger_config(path: Path | str | None) -> LedgerConfig:
    """Read a YAML file of :class:`LedgerConfig` fields; ``None`` gives the defaults."""
    if path is None:
        return LedgerConfig()
    import yaml
    from pydantic import ValidationError

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the ledger config ({e})") from e
    try:
        return LedgerConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError.invalid(path, e, hint="see pipeline/ledger/config.py") from e
