"""Ledger settings, loaded once at the entry point and passed down.

Defaults come from two numbers worth knowing:

- **Clustering gate.** A detection's ground position is off by the GPS error
  (1–3 m without RTK) plus the georeferencing error of a box centre
  (attitude and height errors at 30–100 m: a few metres), so each position
  has a standard deviation of about ``position_sigma_m`` = 3.5 m. Two
  sightings of one object then differ by σ·√2 ≈ 5 m; ``gate_sigmas`` = 2 of
  that gives a gate of ≈ 9.9 m. Large objects add their extent: two
  detections link when their centres are within ``gate + r_a + r_b``, where
  ``r`` is the radius of a disc of the detection's ground area.
- **Severity.** Many provincial rules grade by size (e.g. flood-obstructing
  crops or trees: 1000–5000 m² 较严重, ≥ 5000 m² 重大). ``severity_m2`` maps a
  subtype id, a type or ``default`` to the two area thresholds.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

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
    severity_m2: dict[str, SeverityThresholds] = Field(
        default_factory=lambda: {"default": SeverityThresholds(serious_m2=1000.0, major_m2=5000.0)}
    )

    @property
    def gate(self) -> float:
        """The clustering gate in metres (``gate_m``, or derived from the position sigma)."""
        if self.gate_m is not None:
            return self.gate_m
        return self.gate_sigmas * self.position_sigma_m * math.sqrt(2.0)

    def severity(self, subtype: str | None, area_m2: float | None) -> str | None:
        """``general`` / ``serious`` / ``major`` for an area, or ``None`` when it is unknown."""
        if area_m2 is None:
            return None
        kind = subtype.split(".", 1)[0] if subtype else None
        key = next((k for k in (subtype, kind, "default") if k and k in self.severity_m2), None)
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
        return LedgerConfig.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ConfigError(
            f"{path}: not a valid ledger config ({e}); see pipeline/ledger/config.py"
        ) from e
