"""Project-wide test settings.

``slow`` and ``browser`` tests are skipped unless ``--all`` is given; the
README's test command (and so CI) passes it. Real data lives in ``../shared``
beside the checkout; tests that need it skip when it is absent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers import SAMPLE_FLIGHT, SHARED_DATA


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module is collected (some import ``flows``, which points Prefect at
    hehu's state folder): Prefect's home and hehu's state in a temporary folder, so no
    test writes to the user's own (``~/.local/share/hehu``) and no run answers from a
    cache an earlier session left there."""
    home = Path(tempfile.mkdtemp(prefix="hehu-tests-"))
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    os.environ["HEHU_HOME"] = str(home / "state")
    os.environ["PREFECT_HOME"] = str(home / "prefect")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--all", action="store_true", help="also run slow and browser tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--all"):
        return
    skip = pytest.mark.skip(reason="slow/browser test: run with --all")
    for item in items:
        if "slow" in item.keywords or "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def hehu_home(tmp_path_factory) -> Path:
    """hehu's state folder (ledger, evidence, reports) in a temporary place for the session."""
    home = tmp_path_factory.mktemp("hehu-home")
    os.environ["HEHU_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (skips the test when absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_flight() -> Path:
    return SAMPLE_FLIGHT
