"""SIGKILL a flight mid-run, run it again: finished batches are not recomputed,
the ledger has no duplicates, and the input folder is byte-for-byte unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.flows.test_process_flight import ledger_rows, tree_digest

REPO = Path(__file__).resolve().parents[2]


def hehu_run(flight: Path, config: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(flight),
                             "--config", str(config)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


def stored_results(home: Path) -> dict[str, float]:
    folder = home / "storage"
    return (
        {p.name: p.stat().st_mtime for p in folder.glob("*") if p.is_file()}
        if folder.is_dir()
        else {}
    )


@pytest.mark.slow
def test_sigkill_then_rerun_resumes(prefect_api, sample_flight, tmp_path) -> None:
    home = tmp_path / "prefect"
    config = tmp_path / "hehu.yaml"
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    config.write_text(f"ledger: {{url: '{url}'}}\nflow: {{frames_per_task: 1}}\n")
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(home),
           "HEHU_HOME": str(tmp_path / "hehu")}  # fmt: skip
    env.pop("PREFECT_PROFILES_PATH", None)
    before = tree_digest(sample_flight)

    proc = hehu_run(sample_flight, config, env)
    deadline = time.monotonic() + 240
    while len(stored_results(home)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, (
        "the run ended before it could be killed:\n" + proc.stdout.read().decode()
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    survived = stored_results(home)
    assert 2 <= len(survived) < 5, survived

    rerun = hehu_run(sample_flight, config, env)
    out, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, out.decode()
    after = stored_results(home)
    assert len(after) == 5  # one persisted result per one-frame batch
    assert {k: after[k] for k in survived} == survived  # finished batches were not recomputed

    rows = ledger_rows(url)
    codes = [r["code"] for r in rows if "code" in r]
    assert len(codes) == len(set(codes))
    clean = f"sqlite:///{tmp_path / 'clean.sqlite'}"
    from flows.process_flight import run_process_flight

    run_process_flight(
        str(sample_flight), None, {"ledger": {"url": clean}, "flow": {"frames_per_task": 1}}
    )
    assert rows == ledger_rows(clean)
    assert tree_digest(sample_flight) == before
