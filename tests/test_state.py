"""hehu's state folder: config, then $HEHU_HOME, then the per-user data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.state import state_dir, where


def test_default_is_per_user_not_the_working_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("HEHU_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert state_dir() == tmp_path / "data" / "hehu"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home" / ".local" / "share" / "hehu"
    monkeypatch.chdir(tmp_path / "..")
    assert state_dir() == tmp_path / "home" / ".local" / "share" / "hehu"  # any folder
    assert "per-user default" in where()


def test_relative_xdg_data_home_is_ignored(monkeypatch, tmp_path):
    """The XDG spec: a relative $XDG_DATA_HOME is invalid and must be ignored."""
    monkeypatch.delenv("HEHU_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_dir() == tmp_path / ".local" / "share" / "hehu"


def test_hehu_home_overrides_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert state_dir() == tmp_path / "h"
    assert where() == f"state folder: {tmp_path / 'h'} ($HEHU_HOME)"


def test_config_overrides_hehu_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("HEHU_DB_URL", raising=False)
    conf = tmp_path / "conf" / "hehu.yaml"
    conf.parent.mkdir()
    conf.write_text("state:\n  dir: office-state\n", encoding="utf-8")
    config = load_config(conf)
    assert config.state_dir() == tmp_path / "conf" / "office-state"  # from the file's folder
    assert config.db_url() == f"sqlite:///{tmp_path / 'conf' / 'office-state' / 'ledger.sqlite'}"
    assert load_config().state_dir() == tmp_path / "h"  # the shipped config sets none


def test_unknown_display_timezone_is_a_config_error(tmp_path):
    from pipeline.errors import ConfigError

    conf = tmp_path / "hehu.yaml"
    conf.write_text("display:\n  timezone: Asia/Beijing\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"display\.timezone: unknown time zone 'Asia/Beijing'"):
        load_config(conf)
    assert load_config().display.timezone == "Asia/Shanghai"


def test_state_dir_has_one_home():
    """Only pipeline/state.py reads HEHU_HOME; nothing imports state_dir from the shim."""
    root = Path(__file__).resolve().parents[1]
    readers = [p.relative_to(root).as_posix() for folder in ("pipeline", "flows")
               for p in (root / folder).rglob("*.py")
               if '"HEHU_HOME"' in p.read_text(encoding="utf-8")]  # fmt: skip
    assert readers == ["pipeline/state.py"]
    import pipeline.ultra

    assert not hasattr(pipeline.ultra, "state_dir") or pipeline.ultra.state_dir is state_dir
