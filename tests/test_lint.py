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


def test_test_folders_are_packages_and_import_helpers_by_their_full_name() -> None:
    """Fixtures live in conftest files, helpers in modules imported as ``tests.x.y``: a bare
    ``from conftest import`` or ``from ledger_helpers import`` resolves to whichever folder
    pytest put first on ``sys.path``."""
    import ast

    tests = REPO / "tests"
    folders = {p.parent for p in tests.rglob("test_*.py")}
    assert sorted(str(f) for f in folders if not (f / "__init__.py").is_file()) == []
    local = {p.stem for p in tests.rglob("*.py")} - {"__init__"}
    bad = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
                names += [f".{node.module}"] if node.level and node.module else []
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.lstrip(".").split(".")
                if parts[-1] == "conftest" or (not name.startswith(".") and parts[0] in local):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}")
    assert bad == []
