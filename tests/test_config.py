"""The run configuration: defaults, validation at load time (one line naming file and key)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import REPO_ROOT, DetectConfig, load_config
from pipeline.detect.slicer import DEFAULT_BATCH
from pipeline.errors import ConfigError
from pipeline.geo.laser import GroundSettings
from pipeline.ledger.config import LedgerConfig

SAMPLE_FLIGHT = REPO_ROOT / "pipeline" / "data" / "sample_flight"


def test_the_shipped_config_gives_the_default_ground_settings() -> None:
    assert load_config().geo.ground_settings() == GroundSettings()


def test_geo_overrides_reach_the_ground_settings() -> None:
    config = load_config(overrides={"geo": {"use_laser": False, "max_flat_disagreement": 0.2}})
    settings = config.geo.ground_settings()
    assert (settings.use_laser, settings.max_flat_disagreement) == (False, 0.2)


@pytest.mark.parametrize(
    ("values", "named"),
    [({"laser_min_m": 500, "laser_max_m": 100}, "laser_min_m"),
     ({"max_flat_disagreement": 0}, "max_flat_disagreement"),
     ({"footprint_max_range": 500}, "footprint_max_range"),
     ({"dem": "no/such/dem.tif"}, "geo.dem: no such file")],
)  # fmt: skip
def test_bad_geo_values_fail_at_load_naming_the_key(values, named) -> None:
    with pytest.raises(ConfigError, match=named):
        load_config(overrides={"geo": values})


def test_ledger_settings_are_typed_at_load() -> None:
    config = load_config(overrides={"ledger": {"settings": {"gate_sigmas": 3, "gate_m": 12}}})
    assert isinstance(config.ledger.settings, LedgerConfig)
    assert config.ledger.settings.gate == 12
    assert load_config().ledger.settings == LedgerConfig()


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ("{gate_sigma: 3}", "ledger.settings.gate_sigma: unknown key (a typo?)"),
        ("{outside_zone: discard}", "ledger.settings.outside_zone: Input should be 'keep' or"),
        (
            "{severity_m2: {default: {serious_m2: 9, major_m2: 1}}}",
            "ledger.settings.severity_m2.default: major_m2 (1.0) must be >= serious_m2 (9.0)",
        ),
    ],
)
def test_a_ledger_settings_typo_is_one_line_naming_file_and_key(
    tmp_path: Path, settings: str, named: str
) -> None:
    path = tmp_path / "hehu.yaml"
    path.write_text(f"ledger:\n  settings: {settings}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and named in message
    assert "\n" not in message


def test_hehu_run_stops_at_a_ledger_settings_typo_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.launch as launch
    import pipeline.stages as stages

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("ran past a bad config")

    monkeypatch.setattr(stages, "run_flight", must_not_run)
    monkeypatch.setattr(launch, "run_flight", must_not_run)
    path = tmp_path / "hehu.yaml"
    path.write_text("ledger:\n  settings: {gate_sigma: 3}\n", encoding="utf-8")
    for mode in (["--no-prefect"], []):
        assert main(["run", str(SAMPLE_FLIGHT), "--config", str(path), *mode]) == 1
        err = capsys.readouterr().err
        assert err == f"hehu: error: {path}: ledger.settings.gate_sigma: unknown key (a typo?)\n"


def test_one_batch_size_default() -> None:
    assert load_config().detect.batch_tiles == DetectConfig().batch_tiles == DEFAULT_BATCH
