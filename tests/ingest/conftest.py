"""Fixtures for the ingest tests: real flights beside the checkout, and a
snapshot of a folder's files to prove a scan never modifies them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


def _shared(name: str) -> Path:
    folder = SHARED_DATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not present (real data lives in ../shared beside the checkout)")
    return folder


@pytest.fixture(scope="session")
def brighton_dir() -> Path:
    """``../shared/data/brighton_beach``: 18 real FC300S frames with GPS and XMP."""
    return _shared("brighton_beach")


@pytest.fixture(scope="session")
def aerial_cars_dir() -> Path:
    """``../shared/data/aerial-cars``: holds two real FC220 stills (DJI_0010/0012.JPG)."""
    return _shared("aerial-cars")


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                out[str(path)] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


@pytest.fixture
def snapshot():
    """A function: every file under a root (symlinks not followed) as
    ``{path: (bytes, mtime_ns)}``, to compare before and after a scan."""
    return _snapshot
