"""A long-running process (hehu serve) keeps the models loaded until their files change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import run as stages
from pipeline.config import REPO_ROOT, load_config
from pipeline.detect.card import WeightsMismatchError


@pytest.fixture
def config(tmp_path: Path):
    models = tmp_path / "models"
    shutil.copytree(REPO_ROOT / "models" / "vehicles", models / "vehicles")
    return load_config(overrides={"detect": {"models_dir": str(models), "models": ["vehicles"],
                                             "backend": "onnx"}})  # fmt: skip


def test_unchanged_models_are_loaded_and_hashed_once(config) -> None:
    assert stages.load_detectors(config) is stages.load_detectors(config)
    assert stages.weights_fingerprint(config).startswith("vehicles=")


def test_changed_model_files_are_loaded_and_checked_again(config) -> None:
    first = stages.load_detectors(config)
    card = Path(config.detect.models_dir) / "vehicles" / "card.yaml"
    card.write_text(card.read_text() + "\n# reviewed again\n")
    assert stages.load_detectors(config) is not first
    weights = card.parent / "best.onnx"
    weights.write_bytes(weights.read_bytes() + b"\0")  # replaced behind the card's back
    with pytest.raises(WeightsMismatchError):
        stages.load_detectors(config)
    with pytest.raises(WeightsMismatchError):
        stages.weights_fingerprint(config)
