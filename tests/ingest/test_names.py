"""File names that are not UTF-8 or hold control characters: ingested, kept exact, shown escaped."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest

from pipeline.cli import main as hehu
from pipeline.ingest import scan_flight
from pipeline.ingest.names import display_path, is_utf8, opened_name, stored_name, text_safe
from tests.ingest.synth import write_jpeg

BAD = os.fsdecode(b"DJI_\xb2\xe2\xca\xd4.JPG")  # "测试" in GBK, as a Windows copy leaves it
ESC = "DJI_\x1b[2J\x1b[31mRED\r.JPG"  # valid UTF-8 that clears and recolours a terminal


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("DJI_0001.JPG", "DJI_0001.JPG"),
        ("河道 巡查/DJI_0001.JPG", "河道 巡查/DJI_0001.JPG"),
        (BAD, "DJI_\\xb2\\xe2\\xca\\xd4.JPG"),
        (ESC, "DJI_\\x1b[2J\\x1b[31mRED\\x0d.JPG"),
        ("a\nb\tc\x7f\x85", "a\\x0ab\\x09c\\x7f\\x85"),
        ("photo\u202egpj.exe", "photo\\u202egpj.exe"),  # right-to-left override
    ],
)
def test_display_path(name: str, shown: str) -> None:
    assert display_path(name) == shown
    assert display_path(name).encode("utf-8") and display_path(name).isprintable()


def test_is_utf8() -> None:
    assert is_utf8("河道/DJI_0001.JPG") and is_utf8(Path(ESC))
    assert not is_utf8(BAD)


def hostile_names(root: Path) -> Path:
    """A flight with a GBK file name, a GBK folder name, a control-character name
    and a good frame."""
    write_jpeg(root / "DJI_0001.JPG", 64, 48)
    write_jpeg(root / BAD, 64, 48, seed=1)
    write_jpeg(root / os.fsdecode(b"\xba\xd3\xb5\xc0") / "DJI_0002.JPG", 64, 48, seed=2)
    write_jpeg(root / ESC, 64, 48, seed=3)
    return root


@pytest.mark.parametrize(
    ("name", "text", "raw"),
    [
        ("河道/DJI_0001.JPG", "河道/DJI_0001.JPG", None),  # the name itself: no bytes kept
        (BAD, "DJI_\\xb2\\xe2\\xca\\xd4.JPG", b"DJI_\xb2\xe2\xca\xd4.JPG"),
        (ESC, "DJI_\\x1b[2J\\x1b[31mRED\\x0d.JPG", ESC.encode()),
        ("DJI_\\xb2.JPG", "DJI_\\xb2.JPG", None),  # a real backslash: text, no bytes
    ],
)
def test_stored_name_keeps_the_exact_bytes_beside_the_display_text(name, text, raw) -> None:
    assert stored_name(name) == (text, raw) and stored_name(Path(name)) == (text, raw)
    assert opened_name(*stored_name(name)) == name
    assert text.encode("utf-8") and text.isprintable()


def test_text_safe_escapes_only_what_is_not_utf8() -> None:
    value = {"path": BAD, "make": "DJI", "list": [ESC, (BAD,)], "n": 1}
    assert text_safe(value) == {"path": display_path(BAD), "make": "DJI",
                                "list": [ESC, [display_path(BAD)]], "n": 1}  # fmt: skip


def test_names_that_are_not_utf8_are_ingested_with_their_exact_paths(tmp_path: Path) -> None:
    result = scan_flight(hostile_names(tmp_path))
    assert result.quarantined == ()
    names = sorted(Path(f.path).name for f in result.frames)
    assert names == sorted(["DJI_0001.JPG", BAD, "DJI_0002.JPG", ESC])
    for frame in result.frames:  # each path opens its very file
        assert Path(frame.path).read_bytes() and frame.size_bytes == Path(frame.path).stat().st_size
    (gbk_folder,) = (f for f in result.frames if Path(f.path).name == "DJI_0002.JPG")
    assert os.fsencode(gbk_folder.path).endswith(b"/\xba\xd3\xb5\xc0/DJI_0002.JPG")


def _ingest_stdout(args: list[str], monkeypatch) -> bytes:
    """What ``hehu ingest`` writes to a strict UTF-8 stdout, as bytes."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    monkeypatch.setattr(sys, "stdout", out)
    assert hehu(["ingest", *args]) == 0
    out.flush()
    return raw.getvalue()


def test_ingest_json_is_valid_utf8_with_names_escaped(tmp_path: Path, monkeypatch) -> None:
    root = hostile_names(tmp_path)
    text = _ingest_stdout([str(root), "--json", "--no-yaw-check"], monkeypatch).decode("utf-8")
    assert "\x1b" not in text and "\r" not in text  # JSON escapes the control characters
    records = [json.loads(line) for line in text.splitlines()]
    paths = {Path(r["path"]).name: r["quarantined"] for r in records}
    assert paths == {"DJI_0001.JPG": False, ESC: False,
                     "DJI_\\xb2\\xe2\\xca\\xd4.JPG": False, "DJI_0002.JPG": False}  # fmt: skip
    # GBK "河道": its middle bytes happen to be valid UTF-8 ("ӵ") and stay as they are
    assert any(r["path"].endswith("/\\xba\u04f5\\xc0/DJI_0002.JPG") for r in records)


def test_ingest_table_escapes_control_characters(tmp_path: Path, monkeypatch) -> None:
    root = hostile_names(tmp_path)
    text = _ingest_stdout([str(root), "--no-yaw-check"], monkeypatch).decode("utf-8")
    assert "\x1b" not in text and "\r" not in text
    assert "DJI_\\x1b[2J\\x1b[31mRED\\x0d" in text
    assert "set aside  " not in text and "DJI_\\xb2\\xe2\\xca\\xd4.JPG" in text
