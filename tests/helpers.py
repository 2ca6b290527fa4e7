"""Paths the tests share (the conftest files hold fixtures only)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SAMPLE_FLIGHT = REPO_ROOT / "pipeline" / "data" / "sample_flight" / "brighton-beach"
