"""Frames a run could not place on the ground: counted by reason in the run summary,
``hehu run``'s printout and the report."""

from __future__ import annotations

import dataclasses
import io
from types import SimpleNamespace

from pipeline.cli.run import print_summary
from pipeline.flight import BatchResult, PlannedFrame
from pipeline.flight_report import render_html
from pipeline.geo.placement import HORIZON, UNUSABLE
from pipeline.records import Quarantined
from pipeline.run import place_on_ground, summarize, summary_dict
from tests.geo.frames import make_meta
from tests.geo.test_placement import UNPLACED
from tests.test_place_on_ground import pixel, plan_of


def test_frames_not_placed_are_counted_by_reason_in_the_summary_cli_and_report() -> None:
    metas = [dataclasses.replace(meta, sha256=f"{i:064d}", path=f"/f/{name}.JPG")
             for i, (name, (meta, _)) in enumerate(UNPLACED.items())]  # fmt: skip
    good = dataclasses.replace(make_meta(focal_35mm=24.0), sha256="f" * 64, path="/f/good.JPG")
    broken = dataclasses.replace(make_meta(xmp=None), sha256="e" * 64, path="/f/broken.JPG")
    dets = tuple(pixel(m) for m in (*metas, good))
    failed = Quarantined(broken.path, "truncated", broken.sha256, 1)
    plan = plan_of(*(PlannedFrame(m) for m in (*metas, good, broken)))
    placed = place_on_ground(plan, BatchResult(dets, {}, (failed,), len(metas) + 1))

    expected = {"no GPS position": 2, "no camera attitude": 3, HORIZON: 2,
                "no focal length (camera unknown)": 1, "no height above take-off": 1,
                UNUSABLE: 1}  # fmt: skip
    assert set(placed.unplaced) == {m.sha256 for m in metas}  # not the set-aside frame
    assert set(placed.footprints) == {good.sha256}
    assert [d.lat_deg is not None for d in placed.detections] == [False] * len(metas) + [True]
    pushed = SimpleNamespace(created=(), recurred=(), rebounded=(), held=())
    summary = summarize(plan, placed, pushed)
    assert summary.unplaced == expected
    assert list(summary.unplaced)[:2] == ["no camera attitude", HORIZON]  # most frequent first

    out = io.StringIO()
    print_summary(summary_dict(summary), out)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("frames not placed"))
    assert line.startswith("frames not placed on the ground: 10 (no camera attitude 3, ")
    assert all(f"{reason} {n}" in line for reason, n in expected.items())

    page = render_html(plan, placed, pushed, [], {}, [])
    assert "10 not placed on the ground" in page
    section = page.split("Frames not placed on the ground</h2>")[1].split("<h2>")[0]
    assert "<td>no camera attitude</td><td>3</td><td>no XMP.JPG, no heading.JPG, no pitch.JPG" in (
        section
    )
    assert f"<td>{HORIZON}</td><td>2</td><td>horizontal.JPG, looking up.JPG</td>" in section
    assert "broken.JPG" not in section and "good.JPG" not in section


def test_a_flight_placed_whole_says_so() -> None:

    meta = make_meta(focal_35mm=24.0)
    plan = plan_of(PlannedFrame(meta))
    placed = place_on_ground(plan, BatchResult((pixel(meta),), {}, (), 1))
    pushed = SimpleNamespace(created=(), recurred=(), rebounded=(), held=())
    summary = summarize(plan, placed, pushed)
    assert summary.unplaced == {} and placed.unplaced == {}
    out = io.StringIO()
    print_summary(summary_dict(summary), out)
    assert "not placed" not in out.getvalue()
    assert "None: every processed frame was placed." in render_html(
        plan, placed, pushed, [], {}, []
    )
