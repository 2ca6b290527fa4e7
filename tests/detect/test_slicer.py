"""The detect-tile-merge loop sits above the geometry and the merge: no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from pipeline.detect.detections import Detections
from pipeline.detect.slicer import detect_scaled
from pipeline.detect.tiling import plan_tiles

DETECT = Path(__file__).resolve().parents[2] / "pipeline" / "detect"


def _module(path: Path) -> str:
    parts = path.relative_to(DETECT.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ``pipeline.detect`` module ``path`` imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("pipeline.detect")}


def test_no_import_cycle_in_detect() -> None:
    graph = {_module(p): _imports(p) for p in DETECT.rglob("*.py")}
    for start in graph:
        seen, stack = set(), list(graph[start])
        while stack:
            mod = stack.pop()
            assert mod != start, f"{start} imports itself through {sorted(seen)}"
            if mod not in seen:
                seen.add(mod)
                stack.extend(graph.get(mod, ()))


def test_tiling_is_geometry_only() -> None:
    assert _imports(DETECT / "tiling.py") == {"pipeline.detect.detections"}


def test_detect_scaled_runs_only_the_given_tiles() -> None:
    plan = plan_tiles((100, 300), tile_px=100, overlap_frac=0.0)
    seen: list[int] = []

    def detector(tiles: np.ndarray) -> list[Detections]:
        seen.append(len(tiles))
        return [Detections.empty() for _ in tiles]

    frame = np.zeros((100, 300, 3), np.uint8)
    assert len(detect_scaled(frame, detector, plan, batch_size=2, tiles=np.array([0, 2]))) == 0
    assert seen == [2]
