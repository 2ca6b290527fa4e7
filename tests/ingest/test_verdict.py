"""A folder that is no flight fails loudly: one line, what was found, what hehu needs."""

from __future__ import annotations

import pytest

from pipeline.cli import main
from pipeline.ingest import reasons, sniff

NEEDS = "hehu needs the flight's geotagged JPEG photos (DJI drone stills with GPS)"


def blank_jpeg(path, grey: int) -> None:
    import cv2
    import numpy as np

    cv2.imwrite(str(path), np.full((64, 64, 3), grey, np.uint8))  # no EXIF, so no GPS


@pytest.fixture
def folders(tmp_path):
    (tmp_path / "empty").mkdir()
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "README").write_text("flight notes\n")
    (texts / "notes.txt").write_text("more notes\n")
    (texts / "clip.bin").write_bytes(bytes(range(256)) * 8)
    nogps = tmp_path / "nogps"
    nogps.mkdir()
    blank_jpeg(nogps / "a.jpg", 90)
    blank_jpeg(nogps / "b.jpg", 120)
    (nogps / "b.txt").write_text("x")
    return tmp_path


EXPECTED = {
    "empty": "empty: no files; " + NEEDS,
    "texts": "texts: 0 usable frames among 3 files (3 files that are not photos hehu reads; "
    "e.g. README: a text file, not a photo); " + NEEDS,
    "nogps": "nogps: 0 usable frames among 3 files (1 file that is not a photo hehu reads, "
    "2 photos without a usable GPS position; e.g. a.jpg: no GPS position in EXIF); " + NEEDS,
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("command", [["run", "--no-prefect"], ["run"], ["ingest"]])
def test_wrong_folder_exits_1_with_one_line(folders, name, command, capsys) -> None:
    """``hehu run`` (with and without Prefect: checked before Prefect starts) and ``hehu
    ingest`` refuse the folder; exit 1 and one line on stderr, no traceback."""
    assert main([*command, str(folders / name)]) == 1
    err = capsys.readouterr().err
    assert err == f"hehu: error: {folders / EXPECTED[name]}\n"


def test_a_text_file_is_not_told_to_set_the_camera_to_jpeg() -> None:
    for media_type in (sniff.TEXT, sniff.SRT, sniff.MP4, sniff.UNKNOWN):
        reason = reasons.not_an_image(media_type)
        assert "camera" not in reason and reason.endswith("it is skipped, nothing to do")
        assert reasons.is_not_a_photo(reason)
    heic = reasons.not_an_image(sniff.HEIC)
    assert heic.endswith("set the camera to JPEG or convert the photo")
    assert reasons.is_not_a_photo(heic) and reasons.is_not_a_photo(reasons.EMPTY)
    assert not reasons.is_not_a_photo("no GPS position in EXIF")


def test_ingest_prints_each_set_aside_file_once(folders, capsys) -> None:
    import logging

    logging.getLogger().setLevel(logging.INFO)  # as the hehu command sets it
    main(["ingest", str(folders / "texts")])
    captured = capsys.readouterr()
    both = captured.out + captured.err
    assert both.count("README") == 2  # the table's line, and the error's example
    assert captured.out.count("set aside ") == 3
