"""Why a file was set aside, in words an operator can act on.

Each reason names the problem, then after a colon or semicolon what to do.
Reasons raised deeper down (truncation, decompression bombs, GPS) live
beside the check that finds them, in :mod:`checks`, :mod:`header` and
:mod:`exif`; these are the file-level ones of :mod:`scan`.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest import sniff
from pipeline.ingest.names import display_path

EMPTY = (
    "empty file (0 bytes): the copy from the card did not finish; copy the file again from the card"
)
APPLEDOUBLE = (
    "macOS AppleDouble metadata file (._ companion), not a photo: "
    "it is safe to ignore or delete ._* files"
)

#: Kinds of files that are not photos at all: the advice is to leave them out.
_NOT_PHOTOS: dict[str, str] = {
    sniff.MP4: "a video (MP4/LRF), not a still photo",
    sniff.QUICKTIME: "a video (MOV), not a still photo",
    sniff.SRT: "a DJI SRT flight log (text), not a photo",
    sniff.TEXT: "a text file, not a photo",
    sniff.UNKNOWN: "not a recognised image (unknown content)",
}
#: Photos in a format hehu does not read: the advice is to shoot or convert to JPEG.
_OTHER_FORMATS: dict[str, str] = {
    sniff.HEIC: "a HEIC photo, which hehu does not read",
    sniff.HEIF: "a HEIF photo, which hehu does not read",
    sniff.AVIF: "an AVIF image, which hehu does not read",
    sniff.WEBP: "a WebP image, which hehu does not read",
    sniff.GIF: "a GIF image, which hehu does not read",
    sniff.BMP: "a BMP image, which hehu does not read",
}
#: Every reason :func:`not_an_image` gives holds this (:func:`is_not_a_photo` looks for it).
STILLS = "hehu ingests JPEG, PNG and TIFF stills"


def not_an_image(media_type: str) -> str:
    """Reason for a file whose content is not a JPEG/PNG/TIFF still: a photo in another
    format is to be converted (or the camera set to JPEG), anything else left out."""
    if media_type == sniff.EMPTY:
        return EMPTY
    if media_type == sniff.APPLEDOUBLE:
        return APPLEDOUBLE
    if media_type in _OTHER_FORMATS:
        return (
            f"{_OTHER_FORMATS[media_type]} [{media_type}]: {STILLS}; "
            "set the camera to JPEG or convert the photo"
        )
    kind = _NOT_PHOTOS.get(media_type, f"not a still photo ({media_type})")
    return f"{kind} [{media_type}]: {STILLS}; it is skipped, nothing to do"


def is_not_a_photo(reason: str) -> bool:
    """Whether a set-aside reason says the file is no photo hehu reads (:func:`not_an_image`)."""
    return reason in (EMPTY, APPLEDOUBLE) or STILLS in reason


def duplicate(first: Path) -> str:
    """Reason for a byte-identical copy of a file already ingested."""
    return (
        f"duplicate of {display_path(first)} (identical bytes, same sha256): ingested once "
        "under the first name; remove the extra copy if it is not needed"
    )


def unreadable(error: OSError) -> str:
    """Reason for a file or folder the operating system would not let us read."""
    return (
        f"cannot read it ({error.strerror or error}): check its permissions and that the "
        "disk or card is still attached"
    )


def not_a_file(kind: str) -> str:
    """Reason for a path that is not a regular file (broken link, FIFO, device)."""
    return f"not a regular file ({kind}): point the scan at a folder of photo files"


def far_from_flight(distance_m: float, limit_m: float, centre: tuple[float, float]) -> str:
    """Reason for a frame whose GPS lies too far from the rest of the flight."""
    lat, lon = centre
    return (
        f"GPS position is {distance_m / 1000:.1f} km from the flight's median position "
        f"({lat:.5f}, {lon:.5f}), over the {limit_m / 1000:g} km limit: a wrong hemisphere "
        "reference (GPSLatitudeRef/GPSLongitudeRef) or a photo from another flight; "
        "check the frame's GPS or move it to its own folder"
    )


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def too_large_for_header(size: int, width: int, height: int, limit: int) -> str:
    """Reason for a file far larger than the pixels its header declares can take."""
    return (
        f"file is {_size(size)}, but its header declares {width}×{height} px, which no image "
        f"file needs more than {_size(limit)} for: the file is damaged, padded or not a photo; "
        "it was set aside without reading it whole: copy it again from the card, or leave it out"
    )


def no_header_in_head(size: int, head: int, limit: int) -> str:
    """Reason for a large file whose first bytes hold no complete image header."""
    return (
        f"file is {_size(size)} and its first {_size(head)} hold no complete image header "
        f"(files over {_size(limit)} must show their size up front): the file is damaged or "
        "not a photo; copy it again from the card, or leave it out"
    )


def grew_while_read(read: int, limit: int) -> str:
    """Reason for a file that grew past its plausible size while being read."""
    return (
        f"file grew past {_size(limit)} while it was read ({_size(read)} so far): a copy still "
        "under way? wait for the copy to finish and run again"
    )
