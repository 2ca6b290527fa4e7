"""Where a sampled video frame lives on disk, and how to find its video again.

Frames sampled from a video are written as JPEG stills under the state folder,
one folder per video (``video-frames/STEM-SHA12/``) holding ``video.json`` (the
video's path, size and sha256, and its SRT log's path) and one file per frame named
with its time code (``STEM_t000083.456s.jpg``). The stills' stages, the ledger and
the evidence crops handle such a frame like any photo; :func:`video_of_frame` gives
the review app and the watermark the video and time it came from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

FRAMES_DIR = "video-frames"
MANIFEST = "video.json"
_NAME = re.compile(r"_t(\d+\.\d{3})s\.jpg$")


@dataclass(frozen=True)
class VideoSource:
    """A sampled frame's video (``path``, ``sha256``, ``size_bytes``) and its time in it."""

    path: str
    sha256: str
    size_bytes: int
    time_s: float

    @property
    def name(self) -> str:
        """The video's file name as display text (a name that is not UTF-8 escaped)."""
        from pipeline.ingest.names import display_path

        return display_path(Path(self.path).name)


def frames_folder(state_dir: Path, video: Path, sha256: str) -> Path:
    """The folder a video's sampled frames are written to."""
    return Path(state_dir) / FRAMES_DIR / f"{video.stem}-{sha256[:12]}"


def frame_file(folder: Path, video: Path, time_s: float) -> Path:
    """The still of the frame at ``time_s`` seconds into ``video``."""
    return folder / f"{video.stem}_t{time_s:010.3f}s.jpg"


def write_manifest(folder: Path, video: Path, log: Path, sha256: str, size_bytes: int) -> None:
    from pipeline.fileio import write_atomic

    record = {"video": str(video), "log": str(log), "sha256": sha256, "size_bytes": size_bytes}
    write_atomic(folder / MANIFEST, json.dumps(record, indent=1).encode())


def video_of_frame(frame_path: str | Path) -> VideoSource | None:
    """The video and time a sampled frame's still came from; ``None`` for a photo (or a
    still whose folder has no readable manifest)."""
    path = Path(frame_path)
    m = _NAME.search(path.name)
    if m is None or path.parent.parent.name != FRAMES_DIR:
        return None
    try:
        record = json.loads((path.parent / MANIFEST).read_text(encoding="utf-8"))
        return VideoSource(str(record["video"]), str(record["sha256"]),
                           int(record["size_bytes"]), float(m.group(1)))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def time_code(time_s: float) -> str:
    """``83.456`` → ``00:01:23.456``."""
    ms = round(time_s * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h:02d}:{m:02d}:{rest / 1000:06.3f}"
