"""Fixtures for the detection tests: an untrained model folder (cached); helpers in ``helpers``.

The untrained YOLO11n (random weights) is built once per ultralytics version
into ``.cache/hehu-tests/`` (git-ignored, ≈ 3 s the first time) and copied
into a temporary ``models/`` folder for the tests that need real weights.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.detect.helpers import REPO_ROOT, UNTRAINED

CACHE = REPO_ROOT / ".cache" / "hehu-tests"


def _ultralytics_version() -> str:
    from importlib.metadata import version

    return version("ultralytics")


@pytest.fixture(scope="session")
def untrained_cache() -> Path:
    """A models dir holding ``untrained/`` (pt + dynamic-batch onnx + card)."""
    target = CACHE / f"yolo11n-{_ultralytics_version()}-seed0"
    if not _card_loads(target):
        from pipeline.detect.scaffold import write_untrained_model

        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=CACHE))
        write_untrained_model(tmp, UNTRAINED, seed=0)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    return target


def _card_loads(models: Path) -> bool:
    """Whether the cached card exists and follows today's schema (else it is rebuilt)."""
    from pipeline.detect.card import ModelCardError, load_card

    try:
        load_card(models, UNTRAINED, verify=False)
    except ModelCardError:
        return False
    return True


@pytest.fixture
def models_dir(untrained_cache: Path, tmp_path: Path) -> Path:
    """A private copy of the cached models dir (tests may break it)."""
    dest = tmp_path / "models"
    shutil.copytree(untrained_cache, dest)
    return dest
