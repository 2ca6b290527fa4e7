"""``start_flight``: the review app's hook that asks the Prefect deployment for a run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.deployment import start_flight
from pipeline.errors import BadInputError, HehuError
from tests.helpers import SAMPLE_FLIGHT


@pytest.fixture
def one_frame(tmp_path: Path) -> Path:
    """A flight folder holding one real frame of the sample flight."""
    frame = sorted(SAMPLE_FLIGHT.glob("*.JPG"))[0]
    shutil.copy(frame, tmp_path / frame.name)
    return tmp_path


def test_a_wrong_folder_fails_before_any_run_is_asked_for(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # never reached
    (tmp_path / "notes.txt").write_text("not a photo", encoding="utf-8")
    with pytest.raises(BadInputError, match="hehu needs the flight's geotagged JPEG photos"):
        start_flight(tmp_path)


def test_without_a_prefect_server_it_says_what_to_start(monkeypatch, one_frame) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(HehuError, match="prefect server start"):
        start_flight(one_frame)


def test_without_the_deployment_it_says_to_run_hehu_serve(
    prefect_api, monkeypatch, one_frame
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    with pytest.raises(HehuError, match="hehu serve"):
        start_flight(one_frame)
