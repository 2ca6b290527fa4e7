"""mypy holds where pyproject.toml says it must: strict on pipeline/geo, ingest, ledger, video."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT


def test_mypy_is_clean_on_the_configured_packages() -> None:
    pytest.importorskip("mypy")
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO_ROOT,
                         capture_output=True, text=True)  # fmt: skip
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert run.returncode == 0, (
        f"mypy (pyproject.toml [tool.mypy]: files, strict) found {len(errors)} errors; "
        "annotate the code, or give a module that cannot be strict a [[tool.mypy.overrides]] "
        "entry saying why:\n" + "\n".join(errors or [run.stdout + run.stderr])
    )
