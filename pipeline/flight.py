"""A flight's records, below every stage that makes or reads them.

:class:`FlightPlan` (an ingested flight and its :class:`PlannedFrame` records),
:class:`BatchResult` (detections, ground outlines, frames set aside) with its
:class:`GateCounts`, and :class:`RunSummary` (what one run did). The stages
(:mod:`pipeline.run`), the evidence crops, the flight report and the flows all
import them from here; this module imports no stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.geo.laser import GroundSettings
from pipeline.records import FrameMeta, GroundDetection, Quarantined

LatLonRing = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class PlannedFrame:
    """A frame to process, with the yaw correction the yaw check found."""

    meta: FrameMeta
    yaw_offset_deg: float = 0.0
    yaw_check: str | None = None


@dataclass(frozen=True)
class FlightPlan:
    """An ingested flight: its key, the frames to process and the files set aside."""

    key: str
    name: str
    source_dir: str
    frames: tuple[PlannedFrame, ...]
    quarantined: tuple[Quarantined, ...]
    ground: GroundSettings = field(default_factory=GroundSettings)

    def batches(self, size: int) -> list[tuple[PlannedFrame, ...]]:
        return [self.frames[i : i + size] for i in range(0, len(self.frames), size)]


#: Boxes a gate drops, by their field in :class:`GateCounts` (and key in ``hehu detect
#: --json``): how summaries, the report and ``hehu detect`` say why they were not kept.
DROPPED_WHY = {
    "dropped_off_water": "off water",
    "dropped_faint": "too faint to be floating (under water or blurred)",
}


@dataclass(frozen=True)
class GateCounts:
    """What the band and water gates kept from the models, over some frames.

    ``skipped`` counts frames per model and reason the model did not run on;
    ``dropped_off_water`` boxes of water-only models found off water, per model;
    ``dropped_faint`` boxes too faint to be floating (card ``min_edge_ratio``), per model;
    ``water`` each frame's water share (sha256 → 0–1) where a water-only model ran;
    ``ran`` the frames (sha256) each model ran on, for the ledger's single-view hold
    (a frame where some of the model's tiles were skipped as seen in another frame
    is left out: it did not look at all of its ground);
    ``tiles`` per model the tiles detected (``"detected"``) and skipped, by cause;
    ``ground`` per model the flight's ground its tiles show and the ground under the
    tiles detected (``flight_m2``, ``detected_m2``; :class:`~pipeline.detect.skip.SkipPlan`);
    ``looked`` per model, for the frames left out of ``ran``, the ground each looked at whole
    (``(sha256, ring)``, one ring per tile; :mod:`pipeline.second_look`), and
    ``second_look`` per model what the second look did (``objects``, ``tiles``, ``found``).
    """

    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    ran: dict[str, list[str]] = field(default_factory=dict)
    dropped_off_water: dict[str, int] = field(default_factory=dict)
    dropped_faint: dict[str, int] = field(default_factory=dict)
    water: dict[str, float] = field(default_factory=dict)
    tiles: dict[str, dict[str, int]] = field(default_factory=dict)
    ground: dict[str, dict[str, float]] = field(default_factory=dict)
    looked: dict[str, list[tuple[str, LatLonRing]]] = field(default_factory=dict)
    second_look: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, sha256: str, result) -> None:
        """Count one model's :class:`~pipeline.detect.engine.ModelResult` on one frame."""
        from pipeline.detect.skip import SEEN

        if result.skipped:
            reasons = self.skipped.setdefault(result.model, {})
            reasons[result.skipped] = reasons.get(result.skipped, 0) + 1
        elif SEEN not in result.tiles_skipped:
            self.ran.setdefault(result.model, []).append(sha256)
        if not result.skipped or result.tiles_skipped:
            _add_counts(self.tiles.setdefault(result.model, {}),
                        {"detected": result.tiles_run, **result.tiles_skipped})  # fmt: skip
        for counts, n in ((self.dropped_off_water, result.dropped_on_land),
                          (self.dropped_faint, result.dropped_faint)):  # fmt: skip
            if n:
                counts[result.model] = counts.get(result.model, 0) + n
        if result.water_fraction is not None:
            self.water[sha256] = round(result.water_fraction, 3)

    @classmethod
    def merged(cls, parts: Sequence[GateCounts]) -> GateCounts:
        out = cls()
        for part in parts:
            for model, reasons in part.skipped.items():
                mine = out.skipped.setdefault(model, {})
                for reason, n in reasons.items():
                    mine[reason] = mine.get(reason, 0) + n
            for model, shas in part.ran.items():
                out.ran.setdefault(model, []).extend(shas)
            for mine, theirs in ((out.dropped_off_water, part.dropped_off_water),
                                 (out.dropped_faint, part.dropped_faint)):  # fmt: skip
                for model, n in theirs.items():
                    mine[model] = mine.get(model, 0) + n
            out.water.update(part.water)
            for model, counts in part.tiles.items():
                _add_counts(out.tiles.setdefault(model, {}), counts)
        return out


def _add_counts(mine: dict[str, int], theirs: dict[str, int]) -> None:
    for key, n in theirs.items():
        mine[key] = mine.get(key, 0) + n


@dataclass(frozen=True)
class BatchResult:
    """Detections of a batch of frames, their ground outlines and frames that failed.

    As :func:`detect_frames` returns it, detections are in pixels only (no
    ground fields) and ``footprints`` is empty; :func:`place_on_ground` fills both,
    and ``unplaced``: processed frames it could not place (sha256 → the reason, a
    :mod:`pipeline.geo.placement` label).
    """

    detections: tuple[GroundDetection, ...]
    footprints: dict[str, LatLonRing]
    set_aside: tuple[Quarantined, ...] = ()
    frames_done: int = 0
    detect_seconds: float = 0.0
    gates: GateCounts = field(default_factory=lambda: GateCounts())
    unplaced: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSummary:
    """What one run of a flight did."""

    flight_key: str
    frames: int
    quarantined: tuple[Quarantined, ...]
    detections: int
    created: tuple[str, ...]
    recurred: tuple[str, ...]
    rebounded: tuple[str, ...]
    report: str | None = None
    evidence: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    gates: GateCounts = field(default_factory=lambda: GateCounts())
    context: dict[str, int] = field(default_factory=dict)
    held: tuple[tuple[str, int], ...] = ()  # (reason, detections) stored that open no candidate
    unplaced: dict[str, int] = field(default_factory=dict)  # reason -> frames not placed
    rechecked: dict[str, int] = field(default_factory=dict)  # recheck verdict -> issues
    changes_filed: tuple[str, ...] = ()  # new change (新增变化) candidates, codes


def unplaced_counts(unplaced: dict[str, str]) -> dict[str, int]:
    """Frames not placed on the ground per reason, most frequent first."""
    from collections import Counter

    return dict(sorted(Counter(unplaced.values()).items(), key=lambda kv: (-kv[1], kv[0])))


def context_counts(detections: Sequence[GroundDetection]) -> dict[str, int]:
    """Detections of context-only classes (no 四乱 subtype), ``"model/class" → count``."""
    counts: dict[str, int] = {}
    for d in detections:
        if d.subtype is None:
            key = f"{d.model}/{d.class_name}"
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
