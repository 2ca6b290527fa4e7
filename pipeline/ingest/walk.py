"""List a flight folder's files in a fixed order, safely.

Sorted by name at every level so two runs see the same order. Symlinked
folders are followed once: a folder already visited (same device and inode)
is skipped, so a link back up the tree cannot loop. Hidden folders
(``.Trashes``, ``.Spotlight-V100``, ``.fseventsd`` on cards formatted by a
Mac) hold deleted or system files, not a flight, and are skipped with a log
line; hidden files are listed, so ``._*`` companions are set aside visibly.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest import reasons

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One path found under the root: a regular file, or why it cannot be read."""

    path: Path
    reason: str | None = None  # None for a regular file


def walk_files(root: Path) -> Iterator[Entry]:
    """Every file under ``root``, recursively, sorted by name at each level."""
    yield from _walk(Path(root), set())


def _walk(directory: Path, seen: set[tuple[int, int]]) -> Iterator[Entry]:
    try:
        info = directory.stat()
        key = (info.st_dev, info.st_ino)
        if key in seen:
            logger.warning("skipping %s: it links back to a folder already scanned", directory)
            return
        seen.add(key)
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        yield Entry(directory, reasons.unreadable(e))
        return
    for entry in entries:
        yield from _visit(entry, seen)


def _visit(entry: os.DirEntry[str], seen: set[tuple[int, int]]) -> Iterator[Entry]:
    path = Path(entry.path)
    try:
        mode = os.stat(entry.path).st_mode  # follows symlinks
    except OSError as e:
        broken = entry.is_symlink()
        yield Entry(
            path, reasons.not_a_file("broken symbolic link") if broken else reasons.unreadable(e)
        )
        return
    if stat.S_ISDIR(mode):
        if entry.name.startswith("."):
            logger.info("skipping hidden folder %s", path)
            return
        yield from _walk(path, seen)
    elif stat.S_ISREG(mode):
        yield Entry(path)
    else:
        yield Entry(path, reasons.not_a_file(_special_kind(mode)))


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
