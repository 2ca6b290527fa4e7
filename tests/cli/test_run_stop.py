"""``hehu run`` stops on a service manager's SIGTERM as on Ctrl-C: promptly, ledger untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, SAMPLE_FLIGHT

#: ``hehu run`` with a detector that takes FRAME_S a frame and says when it starts one.
DRIVER = """
import sys, time
import pipeline.detect.engine as engine
import pipeline.run as stages

def slow_detect(image, models, **kw):
    print("frame", flush=True)
    time.sleep(float(sys.argv[1]))
    return {}

stages.load_detectors = lambda config: []
engine.detect_frame = slow_detect
from pipeline.cli import main
sys.exit(main(sys.argv[2:]))
"""
FRAME_S = 3.0


@pytest.mark.parametrize(
    ("signum", "mode"),
    [
        (signal.SIGTERM, "--no-prefect"),
        (signal.SIGINT, "--no-prefect"),
        # The flow: Prefect holds SIGTERM during a flow run; its batches run on other threads
        # and stop after their current frame (a fresh Prefect server starts: slow).
        pytest.param(signal.SIGTERM, "--local", marks=pytest.mark.slow),
    ],
)
def test_a_stop_signal_ends_a_run_at_once_without_touching_the_ledger(
    tmp_path, signum, mode
) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    for image in sorted(SAMPLE_FLIGHT.glob("*.JPG"))[:4]:
        (flight / image.name).write_bytes(image.read_bytes())
    db = tmp_path / "ledger.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "HEHU_HOME": str(tmp_path / "home")}
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    argv = ["run", str(flight), mode, "--db", f"sqlite:///{db}"]
    pipe = subprocess.PIPE
    command = [sys.executable, "-c", DRIVER, str(FRAME_S), *argv]
    proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=pipe, stderr=pipe, text=True)
    try:
        assert proc.stdout.readline() == "frame\n"  # detecting the first of four frames
        sent = time.monotonic()
        proc.send_signal(signum)
        code = proc.wait(timeout=240)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    assert code == 128 + signum, stderr
    assert "frame" not in stdout  # no other frame was started
    current_frame_s = FRAME_S if mode == "--local" else 0.0  # the flow's ends first
    assert took < current_frame_s + FRAME_S, f"{took:.1f} s after the signal"
    assert f"run stopped by {signal.Signals(signum).name}" in stderr
    assert "Traceback" not in stderr
    assert not db.exists() or _flights(db) == 0


def _flights(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        return (
            conn.execute("SELECT count(*) FROM flight").fetchone()[0] if "flight" in tables else 0
        )
