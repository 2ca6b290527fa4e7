"""The shell's progress bar and the flow's frame count behind it."""

from __future__ import annotations

import io
import threading

import pytest

from flows import process_flight as pf
from pipeline.cli.progress import ProgressBar
from pipeline.errors import RunStopped


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_logs_get_a_line_every_few_seconds_and_the_last(monkeypatch) -> None:
    clock = Clock()
    monkeypatch.setattr("pipeline.cli.progress.time.perf_counter", clock)
    out = io.StringIO()
    bar = ProgressBar(stream=out, every_s=10.0)
    for done in range(0, 31):
        clock.now = 100.0 + done  # one frame a second
        bar(done, 30)
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["0/30", "10/30", "20/30", "30/30"]
    assert "1.00/s" in lines[-1] and "ETA 0 s" in lines[-1]  # rate counted from the first call


def test_frame_count_reports_each_frame_then_batches_without_going_back() -> None:
    calls: list[tuple[int, int]] = []
    count = pf.FrameCount()
    count.progress = lambda done, total: calls.append((done, total))
    count.frame_done()  # before start (a Dask worker's copy): nothing to report
    count.start(3)
    count.frame_done()
    count.at_least(1)  # a batch already counted frame by frame
    count.at_least(3)  # a cached batch
    count.frame_done()  # a retried frame does not pass the total
    assert calls == [(0, 3), (1, 3), (3, 3), (3, 3)]


def test_frame_count_without_a_bar_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[int] = []
    count = pf.FrameCount()
    with count.watching(lambda done, total: calls.append(done)):
        count.start(3)
    count.frame_done()  # the bar has gone: counted, reported to no one, printed nowhere
    count.frame_done()
    assert (count.done, count.total) == (2, 3)
    assert calls == [0]
    assert capsys.readouterr() == ("", "")


def test_frame_count_stops_at_the_next_frame_once_asked() -> None:
    calls: list[int] = []
    stop = threading.Event()
    count = pf.FrameCount()
    with count.watching(lambda done, total: calls.append(done), stop):
        count.start(3)
        count.frame_done()
        stop.set()
        with pytest.raises(RunStopped, match="after 2 of 3 frames"):
            count.frame_done()
    assert calls == [0, 1, 2]  # the frame that finished is still reported
    assert count.progress is None and count.stop is None  # only for the run it watched
