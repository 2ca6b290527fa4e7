"""``start_flight``: the review app's hook that asks the Prefect deployment for a run."""

from __future__ import annotations

import pytest

from flows.deployment import start_flight
from pipeline.errors import HehuError


def test_without_a_prefect_server_it_says_what_to_start(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(HehuError, match="prefect server start"):
        start_flight(tmp_path)


def test_without_the_deployment_it_says_to_run_hehu_serve(
    prefect_api, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    with pytest.raises(HehuError, match="hehu serve"):
        start_flight(tmp_path)
