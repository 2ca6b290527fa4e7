"""Write hehu's embedded sample flight: reduced Brighton Beach frames, metadata kept.

Usage:
    python scripts/make_sample_flight.py ../shared/data/brighton_beach pipeline/data/sample_flight

Frames go to DST/brighton-beach/, the licence to DST/.

Each frame is decoded, resized to 1600 px wide and re-encoded; every APPn
segment of the original (EXIF, DJI XMP) is copied in front of the new image
data byte for byte. The EXIF still states the original 4000 px width on
purpose: that is what a frame resized after capture looks like, and hehu's
geometry must scale intrinsics by the actual pixel width.
"""

from __future__ import annotations

import shutil
import struct
import sys
from pathlib import Path

import cv2

FRAMES = ("DJI_0030.JPG", "DJI_0031.JPG", "DJI_0032.JPG", "DJI_0033.JPG", "DJI_0034.JPG")
WIDTH_PX = 1600
QUALITY = 85


def app_segments(jpeg: bytes) -> list[bytes]:
    """The APPn segments (markers FFE0–FFEF) before the first non-APP marker."""
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    out, pos = [], 2
    while jpeg[pos] == 0xFF and 0xE0 <= jpeg[pos + 1] <= 0xEF:
        (length,) = struct.unpack(">H", jpeg[pos + 2 : pos + 4])
        out.append(jpeg[pos : pos + 2 + length])
        pos += 2 + length
    return out


def strip_app_segments(jpeg: bytes) -> bytes:
    """The JPEG body after SOI and any leading APPn segments."""
    segments = app_segments(jpeg)
    return jpeg[2 + sum(len(s) for s in segments) :]


def reduce_frame(src: Path, dst: Path) -> None:
    original = src.read_bytes()
    image = cv2.imread(str(src), cv2.IMREAD_COLOR)
    height = round(image.shape[0] * WIDTH_PX / image.shape[1])
    small = cv2.resize(image, (WIDTH_PX, height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    if not ok:
        raise RuntimeError(f"could not encode {src}")
    metadata = b"".join(s for s in app_segments(original) if s[1] != 0xE0)
    dst.write_bytes(b"\xff\xd8" + metadata + strip_app_segments(encoded.tobytes()))


def main(src_dir: str, dst_dir: str) -> None:
    src, dst = Path(src_dir), Path(dst_dir)
    (dst / "brighton-beach").mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        reduce_frame(src / name, dst / "brighton-beach" / name)
    shutil.copyfile(src / "LICENSE", dst / "LICENSE")


if __name__ == "__main__":
    main(*sys.argv[1:3])
