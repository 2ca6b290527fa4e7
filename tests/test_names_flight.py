"""A flight whose folder and frame names are not UTF-8 or hold control characters (issue 14).

Such frames are processed like any other: ``hehu run`` detects on them, the
ledger keeps each path as display text beside its exact bytes, and the summary
and the report show the names escaped.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.cli import main as hehu

GBK_DIR = b"\xba\xd3\xb5\xc0"  # "河道" in GBK, as a Windows copy leaves it
GBK_FRAME = b"\xba\xd3\xb5\xc0_0001.JPG"
ESC_FRAME = "DJI_\x1b[2J\u202e0032.JPG"  # valid UTF-8 that clears and reorders a terminal
SHOWN_DIR = "\\xba\u04f5\\xc0"  # GBK's middle bytes happen to be valid UTF-8 ("ӵ")


def _flight(root: Path, sample: Path) -> Path:
    folder = root / os.fsdecode(GBK_DIR)
    folder.mkdir(parents=True)
    shutil.copyfile(sample / "DJI_0030.JPG", folder / os.fsdecode(GBK_FRAME))
    shutil.copyfile(sample / "DJI_0031.JPG", folder / "DJI_0031.JPG")
    shutil.copyfile(sample / "DJI_0032.JPG", folder / ESC_FRAME)
    return folder


def test_hehu_run_processes_frames_whose_names_are_not_utf8(
    tmp_path: Path, sample_flight: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.models import Flight, Frame

    folder = _flight(tmp_path, sample_flight)
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    raw = io.BytesIO()  # a strict UTF-8 terminal: one surrogate would fail the print
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    monkeypatch.setattr(sys, "stdout", out)
    assert hehu(["run", str(folder), "--local", "--no-prefect", "--db", url]) == 0
    printed = raw.getvalue().decode("utf-8")
    assert "frames processed: 3" in printed and "set aside" not in printed
    assert "\x1b" not in printed and "\u202e" not in printed
    (report,) = (line.removeprefix("report: ") for line in printed.splitlines()
                 if line.startswith("report: "))  # fmt: skip
    assert Path(report).parent.name.startswith(SHOWN_DIR + "-")  # one folder per flight
    page = Path(report).read_text(encoding="utf-8")
    assert f"source {tmp_path}/{SHOWN_DIR}</p>" in page and "\x1b" not in page

    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            flight = session.scalars(select(Flight)).one()
            frames = {f.path: f for f in session.scalars(select(Frame))}
    finally:
        engine.dispose()
    assert (flight.name, flight.source_dir_bytes) == (SHOWN_DIR, os.fsencode(folder))
    shown = {Path(p).name: (f.path_bytes, Path(f.open_path).is_file()) for p, f in frames.items()}
    assert shown == {
        f"{SHOWN_DIR}_0001.JPG": (os.fsencode(folder / os.fsdecode(GBK_FRAME)), True),
        "DJI_0031.JPG": (os.fsencode(folder / "DJI_0031.JPG"), True),  # under the GBK folder
        "DJI_\\x1b[2J\\u202e0032.JPG": (os.fsencode(folder / ESC_FRAME), True),
    }


@pytest.mark.parametrize("local", [["--local"], []])
def test_through_prefect_such_a_folder_is_refused_up_front_with_the_fix(
    tmp_path: Path, sample_flight: Path, capsys, local: list[str]
) -> None:
    """Prefect's API takes a flow's parameters as UTF-8 text: say so before starting it."""
    folder = _flight(tmp_path, sample_flight)
    assert hehu(["run", str(folder), *local]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}/{SHOWN_DIR}: the folder's path is not valid UTF-8" in err
    assert "--no-prefect" in err and "Traceback" not in err


def test_the_summary_and_the_report_show_names_escaped() -> None:
    """A frame not placed on the ground named in GBK and one set aside in detection named
    with ESC and a bidi override: the summary (text and JSON) and the report escape both."""
    import dataclasses
    import json
    from types import SimpleNamespace

    from pipeline.cli.run import print_summary
    from pipeline.flight import BatchResult, PlannedFrame
    from pipeline.flight_report import render_html
    from pipeline.ingest.names import text_safe
    from pipeline.run import _set_aside, place_on_ground, summarize, summary_dict
    from tests.geo.frames import make_meta
    from tests.test_place_on_ground import pixel, plan_of

    gbk = dataclasses.replace(make_meta(xmp=None), sha256="a" * 64,
                              path="/f/" + os.fsdecode(GBK_FRAME))  # fmt: skip
    esc = dataclasses.replace(make_meta(xmp=None), sha256="e" * 64, path="/f/" + ESC_FRAME)
    failed = _set_aside(esc, f"{esc.path} could not be decoded")
    plan = plan_of(PlannedFrame(gbk), PlannedFrame(esc))
    placed = place_on_ground(plan, BatchResult((pixel(gbk),), {}, (failed,), 1))
    pushed = SimpleNamespace(created=(), recurred=(), rebounded=(), held=())
    summary = summary_dict(summarize(plan, placed, pushed))

    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    print_summary(summary, out)
    printed = raw.getvalue().decode("utf-8")
    shown_esc = "/f/DJI_\\x1b[2J\\u202e0032.JPG"
    assert f"set aside  {shown_esc}: {shown_esc} could not be decoded" in printed
    assert "\x1b" not in printed and "\u202e" not in printed
    line = json.dumps(text_safe(summary), ensure_ascii=False).encode("utf-8")  # strict
    assert json.loads(line)["quarantined"][0]["path"] == shown_esc

    page = render_html(plan, placed, pushed, [], {}, [])
    assert f"<td>{SHOWN_DIR}_0001.JPG</td>" in page.encode("utf-8").decode()
    assert "DJI_\\x1b[2J\\u202e0032.JPG" in page and "\x1b" not in page
