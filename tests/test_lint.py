"""The house style holds everywhere: ruff's lint rules and formatter (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff(command) -> None:
    pytest.importorskip("ruff")
    run = subprocess.run([sys.executable, "-m", "ruff", *command, "."], cwd=REPO,
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
