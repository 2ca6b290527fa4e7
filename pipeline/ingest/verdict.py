"""Whether a scanned folder is a flight at all: an empty folder, a folder of non-images
or of photos without GPS is refused with one line saying what was found and what hehu
needs, instead of a run of zero frames and an empty report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import BadInputError
from pipeline.ingest import reasons
from pipeline.ingest.names import display_path
from pipeline.records import Quarantined

NEEDS = "hehu needs the flight's geotagged JPEG photos (DJI drone stills with GPS)"


def found(quarantined: Sequence[Quarantined]) -> str:
    """What the set-aside files are, counted by kind: ``3 not photos, 2 without GPS``."""
    not_photos = sum(reasons.is_not_a_photo(q.reason) for q in quarantined)
    no_gps = sum(not reasons.is_not_a_photo(q.reason) and "GPS" in q.reason for q in quarantined)
    other = len(quarantined) - not_photos - no_gps
    parts = [
        _count(not_photos, "file that is not a photo", "files that are not photos", " hehu reads"),
        _count(no_gps, "photo", "photos", " without a usable GPS position"),
        f"{other} damaged, duplicate or unreadable" if other else "",
    ]
    return ", ".join(p for p in parts if p)


def _count(n: int, one: str, many: str, tail: str) -> str:
    return f"{n} {one if n == 1 else many}{tail}" if n else ""


def require_frames(
    root: Path, frames: Sequence[object], quarantined: Sequence[Quarantined]
) -> None:
    """Raise :class:`BadInputError` (one line) when the scan of ``root`` kept no frame."""
    if frames:
        return
    where = display_path(root)
    if not quarantined:
        raise BadInputError(f"{where}: no files; {NEEDS}")
    n = len(quarantined)
    first = quarantined[0]
    why = first.reason.split(" [", 1)[0].split(":", 1)[0]  # its first clause
    example = f"e.g. {display_path(Path(first.path).name)}: {display_path(why)}"
    raise BadInputError(
        f"{where}: 0 usable frames among {n} file{'s' if n != 1 else ''} "
        f"({found(quarantined)}; {example}); {NEEDS}"
    )


def check_flight_folder(root: Path) -> None:
    """Refuse ``root`` before a run starts when it holds no frame hehu can use (one line,
    as :func:`require_frames` says); it reads files only up to the first usable frame.
    A video with its SRT log beside it counts as usable (its frames are sampled in the run)."""
    from pipeline.ingest.scan import first_usable_frame
    from pipeline.video.ingest import logged_video_in

    frame, quarantined = first_usable_frame(root)
    if frame is None and logged_video_in(root):
        return
    require_frames(root, [frame] if frame else [], quarantined)
