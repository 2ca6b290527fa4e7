"""The package imports cheaply and the console command is wired."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "torch",
    "ultralytics",
    "onnxruntime",
    "exifread",
    "cv2",
    "prefect",
    "sqlalchemy",
    "shapely",
)


def test_import_pipeline_loads_no_heavy_dependency() -> None:
    code = (
        "import json, sys, pipeline, pipeline.cli, pipeline.records, pipeline.errors;"
        "pipeline.cli.build_parser();"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_cli_help_lists_subcommands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--help"], capture_output=True, text=True, check=True
    )
    for name in ("ingest", "locate", "demo"):
        assert name in out.stdout


def test_errors_inherit_builtins() -> None:
    from pipeline import errors

    assert issubclass(errors.BadInputError, ValueError)
    assert issubclass(errors.UnreadableFileError, OSError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.MissingDependencyError, ImportError)


def test_every_template_and_data_file_is_package_data() -> None:
    """The flight report's template (and the review app's) ship in the wheel."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["pipeline"]
    for folder in ("templates", "review/templates"):
        files = [p.relative_to(root / "pipeline").as_posix()
                 for p in (root / "pipeline" / folder).iterdir()]  # fmt: skip
        assert files and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), files
