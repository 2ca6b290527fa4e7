"""Drop-folder bookkeeping for scheduled sweeps: which flight folders are new or changed.

A drop folder holds one sub-folder per flight (docks and field teams copy
cards there overnight). Each flight folder has a manifest: the digest of its
files' relative paths, sizes and modification times. A folder is pending when
its manifest differs from the one recorded when it was last processed, and it
has settled (nothing in it changed for ``settle_s`` seconds, so a copy still
under way is left for the next sweep). The record lives in hehu's state
folder, written atomically; the drop folder itself is only read.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.fileio import write_atomic
from pipeline.state import state_dir


@dataclass(frozen=True)
class FolderManifest:
    path: str
    digest: str
    files: int
    newest_mtime: float


def manifest(folder: Path) -> FolderManifest:
    """The manifest of one flight folder (hidden files and folders included)."""
    h = hashlib.sha256()
    files, newest = 0, 0.0
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            st = p.stat()
            name = os.fsencode(p.relative_to(folder))  # the name's bytes, UTF-8 or not
            h.update(name + f"\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            files += 1
            newest = max(newest, st.st_mtime)
    return FolderManifest(str(folder.resolve()), h.hexdigest(), files, newest)


def state_file() -> Path:
    return state_dir() / "inbox" / "processed.json"


def load_processed(path: Path | None = None) -> dict[str, str]:
    """``{flight folder: manifest digest}`` of folders processed so far."""
    path = path or state_file()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def mark_processed(m: FolderManifest, path: Path | None = None) -> None:
    """Record ``m`` as processed (atomic replace, so a crash never leaves half a file)."""
    path = path or state_file()
    done = load_processed(path)
    done[m.path] = m.digest
    write_atomic(path, json.dumps(done, indent=1, sort_keys=True).encode("utf-8"))


def pending_flights(drop_dir: Path, *, settle_s: float = 60.0, now: float | None = None,
                    processed: dict[str, str] | None = None) -> list[FolderManifest]:  # fmt: skip
    """Flight folders in ``drop_dir`` that are new or changed, settled, and hold files."""
    now = time.time() if now is None else now
    processed = load_processed() if processed is None else processed
    out = []
    for folder in sorted(
        p for p in Path(drop_dir).iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        m = manifest(folder)
        if m.files and processed.get(m.path) != m.digest and now - m.newest_mtime >= settle_s:
            out.append(m)
    return out
