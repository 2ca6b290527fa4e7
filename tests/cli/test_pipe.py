"""``hehu … | head``: a reader that goes away ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import REPO_ROOT, SAMPLE_FLIGHT


def test_closed_pipe_ends_quietly_with_141() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "YOLO_OFFLINE": "1"}
    command = [sys.executable, "-m", "pipeline.cli", "ingest", "--no-yaw-check", str(SAMPLE_FLIGHT)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # as `head` does once it has its lines
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert (
        "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err
    )


def test_pipe_closed_points_stdout_at_devnull(tmp_path, monkeypatch) -> None:
    from pipeline.cli import SIGPIPE_EXIT, pipe_closed

    target = tmp_path / "out"
    with open(target, "w") as out:
        saved = os.dup(out.fileno())
        monkeypatch.setattr(sys, "stdout", out)
        try:
            assert pipe_closed() == SIGPIPE_EXIT == 141
            os.write(out.fileno(), b"lost")
        finally:
            os.dup2(saved, out.fileno())
            os.close(saved)
    assert target.read_text() == ""
