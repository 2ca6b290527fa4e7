"""Writing hehu's own files safely, and the files a user asks for (exports); a user's
photos are only ever read."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import BadInputError


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and
    an atomic rename: readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_asked_file(out: Path, write: Callable[[Path], None], *, example: str) -> Path:
    """Write the file a user asked for at ``out``: ``write(part)`` fills a file beside it,
    renamed into place once complete. A folder given as the file, a folder that does not
    exist (never created silently), no permission, a read-only or full disk: a
    :class:`BadInputError` whose one line says how to fix it; nothing half-written stays.
    ``example`` is a file name to suggest inside a folder given as the file."""
    if out.is_dir():
        raise BadInputError(f"{out} is a folder; give a file name, e.g. {out / example}")
    if not out.parent.is_dir():
        raise BadInputError(
            f"{out}: the folder {out.parent} does not exist; create it first "
            f"(mkdir -p {out.parent}) or choose another path"
        )
    part = out.with_name(f".{out.name}.part")
    try:
        write(part)
        os.replace(part, out)
    except OSError as e:
        part.unlink(missing_ok=True)
        raise BadInputError(cannot_write(out, e)) from e
    return out


def cannot_write(out: Path, error: OSError) -> str:
    """One line: why ``out`` could not be written, and what to do."""
    if error.errno == errno.EROFS:
        return f"cannot write {out}: the disk is read-only; choose a path on another disk"
    if error.errno in (errno.EACCES, errno.EPERM):
        return (f"cannot write {out}: permission denied; choose a folder you may write to, "
                f"e.g. {Path.home() / out.name}")  # fmt: skip
    if error.errno == errno.ENOSPC:
        return f"cannot write {out}: the disk is full; free some space or choose another disk"
    return f"cannot write {out} ({error.strerror or error}); choose another path"
