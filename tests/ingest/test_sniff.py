"""Content sniffing: magic bytes decide, never the extension."""

from __future__ import annotations

import pytest

from pipeline.ingest import sniff
from pipeline.ingest.sniff import sniff_media_type

SRT = (
    b'1\r\n00:00:00,000 --> 00:00:00,033\r\n<font size="28">FrameCnt: 1, DiffTime: 33ms\r\n'
    b"[iso: 100] [latitude: 46.842607] [longitude: -91.994559]</font>\r\n"
)


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"\xff\xd8\xff\xe1\x00\x10Exif", "DJI_0001.JPG", sniff.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "DJI_0001.JPG", sniff.PNG),  # PNG named .JPG
        (b"II*\x00\x08\x00\x00\x00", "a.tif", sniff.TIFF),
        (b"MM\x00*\x00\x00\x00\x08", "a.tif", sniff.TIFF),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "a.webp", sniff.WEBP),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "a.HEIC", sniff.HEIC),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf", "a.heif", sniff.HEIF),
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2avc1mp41", "DJI_0001.MP4", sniff.MP4),
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2avc1mp41", "DJI_0001.LRF", sniff.MP4),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "DJI_0001.MOV", sniff.QUICKTIME),
        (SRT, "DJI_0001.SRT", sniff.SRT),
        (b"# flight notes\nbattery 2 swapped\n", "notes.txt", sniff.TEXT),
        ("河长制 巡河记录\n".encode(), "notes.txt", sniff.TEXT),
        (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ", "x.JPG", sniff.APPLEDOUBLE),
        (b"\xff\xd8\xff\xe0", "._DJI_0001.JPG", sniff.APPLEDOUBLE),  # the ._ name decides
        (b"", "DJI_0001.JPG", sniff.EMPTY),
        (b"\x00\x01\x02\x03garbage\x00", "DJI_0001.JPG", sniff.UNKNOWN),
        (b"GIF89a\x01\x00", "a.gif", sniff.GIF),
    ],
)
def test_sniff_by_content(head: bytes, name: str, expected: str) -> None:
    assert sniff_media_type(head, name) == expected


def test_only_jpeg_png_tiff_are_ingestible() -> None:
    assert {sniff.JPEG, sniff.PNG, sniff.TIFF} == sniff.INGESTIBLE
    assert not sniff.is_ingestible(sniff.HEIC)
    assert not sniff.is_ingestible(sniff.MP4)


def test_text_cut_inside_a_multibyte_character_is_still_text() -> None:
    head = ("巡河" * 3000).encode()[: sniff.HEAD_BYTES + 1]
    assert sniff_media_type(head) == sniff.TEXT
