"""Uploaded photos (after-rectification photos), stored by content, never by their names.

A file is accepted when its bytes are a whole JPEG or PNG within the size
and pixel limits (checked by content, not extension, with the ingest
module's checks). It is written once as ``UPLOADS/ab/<sha256>.jpg``; the
name the browser sent is kept only as text to show people.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import BadInputError
from pipeline.fileio import write_atomic

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png)$")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    stored_name: str
    media_type: str
    size_bytes: int
    original_name: str


def display_name(name: str | None) -> str:
    """The uploaded name reduced to printable text for display (at most 200 characters)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in base if ch.isprintable())
    return clean[:200] or "upload"


def stored_path(uploads_dir: Path, stored_name: str) -> Path:
    """Where a stored file lives; refuses any name this module did not make."""
    if not STORED_NAME.match(stored_name):
        raise BadInputError(f"not a stored upload name: {stored_name!r}")
    return uploads_dir / stored_name[:2] / stored_name


def store_upload(
    data: bytes, *, original_name: str | None, uploads_dir: Path, max_bytes: int
) -> StoredFile:
    """Check and store an uploaded photo; raises :class:`BadInputError` with the reason."""
    from pipeline.ingest.checks import check_image
    from pipeline.ingest.sniff import sniff_media_type

    if not data:
        raise BadInputError("the uploaded file is empty")
    if len(data) > max_bytes:
        raise BadInputError(
            f"the uploaded file is {len(data) / 1e6:.1f} MB, above the "
            f"{max_bytes / 1e6:.0f} MB limit"
        )
    media_type = sniff_media_type(data[:4096])
    if media_type not in EXTENSIONS:
        raise BadInputError(f"expected a JPEG or PNG photo, got {media_type}")
    check_image(data, media_type, max_pixels=120_000_000)
    sha = hashlib.sha256(data).hexdigest()
    name = f"{sha}.{EXTENSIONS[media_type]}"
    path = stored_path(uploads_dir, name)
    if not path.is_file():
        write_atomic(path, data)
    return StoredFile(sha, name, media_type, len(data), display_name(original_name))
