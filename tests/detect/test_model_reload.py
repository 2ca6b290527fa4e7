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


def _with_taxonomy(config, folder: Path, edit):
    """``config`` reading a copy of the taxonomy changed by ``edit(text) -> text``."""
    folder.mkdir()
    taxonomy = folder / "taxonomy.yaml"
    text = (REPO_ROOT / "configs" / "taxonomy.yaml").read_text()
    changed = edit(text)
    assert changed != text or edit("") == ""  # the edit found what it changes
    taxonomy.write_text(changed)
    return config.model_copy(
        update={"detect": config.detect.model_copy(update={"taxonomy": str(taxonomy)})}
    )


def _stricter(conf: float):
    return lambda text: text.replace(
        "  vehicles:\n    enabled: true", f"  vehicles:\n    enabled: true\n    conf: {conf}"
    )


def _remapped(text: str) -> str:
    return text.replace(
        "overrides: {}", "overrides: {vehicles/bus: luanzhan.floodplain_occupation}"
    )


def test_what_decides_detections_is_in_the_cache_key(config, tmp_path) -> None:
    """A card's thresholds, the taxonomy's overrides or conf change the detections a
    frame gets, so cached batches must not answer for them (same weights throughout)."""
    as_shipped = _with_taxonomy(config, tmp_path / "shipped", lambda text: text)
    keys = [stages.weights_fingerprint(as_shipped)]
    keys.append(stages.weights_fingerprint(_with_taxonomy(config, tmp_path / "map", _remapped)))
    keys.append(
        stages.weights_fingerprint(_with_taxonomy(config, tmp_path / "conf", _stricter(0.5)))
    )
    card = Path(config.detect.models_dir) / "vehicles" / "card.yaml"
    card.write_text(card.read_text().replace("  conf: 0.25", "  conf: 0.3", 1))
    keys.append(stages.weights_fingerprint(as_shipped))
    assert len(set(keys)) == 4
    assert all(k.startswith(keys[0].split(",")[0]) for k in keys)  # the same weights


def _detect(config, **changes):
    return config.model_copy(update={"detect": config.detect.model_copy(update=changes)})


def test_the_cache_key_ignores_speed_settings_and_follows_conf_and_tile_size(
    config, tmp_path
) -> None:
    """The key of a cached batch (``flows.process_flight.detect_all``): weights fingerprint
    and detection hash. Threads and batch size change no detection; conf and tiles do."""

    def key(c) -> tuple[str, str]:
        return stages.weights_fingerprint(c), c.detection_hash()

    first = key(config)
    assert key(_detect(config, threads=1)) == first
    assert key(_detect(config, threads=3, batch_tiles=16)) == first
    assert key(_detect(config, backend="torch")) != first
    assert key(_with_taxonomy(config, tmp_path / "conf", _stricter(0.5))) != first
    card = Path(config.detect.models_dir) / "vehicles" / "card.yaml"
    card.write_text(card.read_text().replace("tile:\n  size_px: 640", "tile:\n  size_px: 512"))
    assert key(config) != first


def test_a_deployment_sets_a_model_confidence(config, tmp_path) -> None:
    (model,) = stages.load_detectors(_with_taxonomy(config, tmp_path / "t", _stricter(0.55)))
    assert model.detector.conf == 0.55
    (model,) = stages.load_detectors(config)
    assert model.detector.conf == model.card.thresholds.conf == 0.25
