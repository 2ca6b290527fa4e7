"""Videos met during a flight folder's scan: with their SRT log, frames; without, set aside.

:class:`VideoIngest` is what :func:`pipeline.ingest.scan.scan_flight` hands each
file to first: a ``.MP4``/``.MOV`` whose content is a video becomes the frames
:func:`~pipeline.video.frames.sample_video` samples, or a set-aside record saying
why (no SRT log beside it, a log without positions, a copy of a video already
read, a file OpenCV cannot decode). DJI's low-resolution ``.LRF`` copies stay set
aside as before. A log beside a video is not listed apart: the video's line says
what became of both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import BadInputError
from pipeline.ingest import sniff
from pipeline.ingest.names import display_path
from pipeline.records import FrameMeta, Quarantined
from pipeline.video.frames import VideoSettings, find_log, sample_video, sha256_file

if TYPE_CHECKING:
    from pipeline.config import HehuConfig

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mov"})
_VIDEO_TYPES = frozenset({sniff.MP4, sniff.QUICKTIME})


def logged_video_in(root: Path) -> bool:
    """Whether ``root`` holds a ``.MP4``/``.MOV`` with its SRT log beside it (names only)."""
    from pipeline.ingest.walk import walk_files

    return any(e.reason is None and e.path.suffix.lower() in VIDEO_SUFFIXES and find_log(e.path)
               for e in walk_files(root))  # fmt: skip


def no_log(video: Path) -> str:
    """Reason for a video without its SRT flight log."""
    return (
        f"a video without its SRT flight log ({video.stem}.SRT beside it): its frames have "
        "no position; copy the .SRT from the card next to the video (turn on 'Video "
        "Captions' in DJI Fly/GO for later flights)"
    )


@dataclass
class VideoIngest:
    """Videos of one scan: sampled frames go to ``state_dir``'s ``video-frames/``."""

    state_dir: Path
    settings: VideoSettings = field(default_factory=VideoSettings)
    logs_used: set[str] = field(default_factory=set)
    seen: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def for_config(cls, config: HehuConfig) -> VideoIngest:
        """Frames to the configuration's state folder, sampled as its ``video`` section says."""
        return cls(config.state_dir(), config.video.settings())

    def is_video(self, path: Path) -> bool:
        """Whether ``path`` is a video this ingest takes (suffix and content)."""
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            return False
        try:
            with open(path, "rb") as fh:
                head = fh.read(sniff.HEAD_BYTES)
        except OSError:
            return False  # the stills' path says why it cannot be read
        return sniff.sniff_media_type(head, path.name) in _VIDEO_TYPES

    def take(self, path: Path) -> tuple[list[FrameMeta], list[Quarantined]]:
        """The frames of the video at ``path``, or why it was set aside; never raises for
        bad input."""
        shown = display_path(path)
        srt = find_log(path)
        if srt is None:
            return [], [Quarantined(shown, no_log(path), size_bytes=_size(path))]
        self.logs_used.add(display_path(srt))  # the video's own line says what became of both
        try:
            digest, size = sha256_file(path)
            if digest in self.seen:
                from pipeline.ingest import reasons

                return [], [Quarantined(shown, reasons.duplicate(self.seen[digest]), digest, size)]
            self.seen[digest] = path
            sampled = sample_video(path, srt, self.state_dir, self.settings)
        except (BadInputError, OSError) as e:
            return [], [Quarantined(shown, f"video not read: {e}", size_bytes=_size(path))]
        except Exception as e:  # a decoder crash must not stop the flight
            log.exception("unexpected error reading the video %s", shown)
            why = f"unexpected error while reading the video ({type(e).__name__}: {e})"
            return [], [Quarantined(shown, why + "; please report it", size_bytes=_size(path))]
        log.info("%s: %d frames sampled (log: %d records, %d lines not read)", shown,
                 len(sampled.frames), sampled.records, len(sampled.unread))  # fmt: skip
        return list(sampled.frames), []

    def keep_set_aside(self, q: Quarantined) -> bool:
        """Whether a set-aside record stays listed (a log that served a video does not)."""
        return q.path not in self.logs_used


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
