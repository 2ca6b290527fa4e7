"""A one-line progress bar for the shell: frames done/total, rate and ETA."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Call with ``(done, total)``; redraws one line on a terminal; elsewhere (logs) prints
    a line at most every ``every_s`` seconds, and the last one. The rate counts from the
    first call."""

    def __init__(
        self,
        label: str = "frames",
        stream: TextIO | None = None,
        width: int = 28,
        every_s: float = 10.0,
    ) -> None:
        self.label, self.stream, self.width = label, stream or sys.stderr, width
        self.every_s = every_s
        self.start: float | None = None
        self.printed_at = -float("inf")

    def render(self, done: int, total: int) -> str:
        if self.start is None:
            self.start = time.perf_counter()
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        rate = done / elapsed
        filled = int(self.width * done / total) if total else self.width
        eta = (total - done) / rate if rate > 0 else float("inf")
        eta_text = f"{eta:.0f} s" if eta != float("inf") else "?"
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self.label} {done}/{total} [{bar}] {rate:.2f}/s ETA {eta_text}"

    def __call__(self, done: int, total: int) -> None:
        line = self.render(done, total)
        if self.stream.isatty():
            end = "\n" if done >= total else ""
            self.stream.write("\r" + line + end)
        else:
            now = time.perf_counter()
            if done < total and now - self.printed_at < self.every_s:
                return
            self.printed_at = now
            self.stream.write(line + "\n")
        self.stream.flush()
