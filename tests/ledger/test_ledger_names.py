"""Paths that are not UTF-8 or hold control characters: display text beside the exact bytes."""

from __future__ import annotations

import os
from dataclasses import replace

from sqlalchemy import select

from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.models import Flight, Frame
from pipeline.ledger.push import push_flight
from tests.ledger.ledger_helpers import det, frame

GBK = os.fsdecode(b"/flights/\xba\xd3\xb5\xc0/\xba\xd3\xb5\xc0_0001.JPG")  # "河道" in GBK
ESC = "/flights/DJI_\x1b[31m\u202e.JPG"  # valid UTF-8 that recolours and reorders a terminal


def test_paths_are_stored_as_display_text_with_their_exact_bytes(session_factory, zones) -> None:
    frames = [replace(frame("a"), path=GBK), replace(frame("b", 5), path=ESC), frame("c", 9)]
    only_detected = replace(det("d", 12), frame_path=GBK.replace("0001", "0002"))
    source = os.fsdecode(b"/flights/\xba\xd3\xb5\xc0")
    push_flight(
        session_factory=session_factory,
        flight=FlightRef(key="names", name="names", source_dir=source),
        frames=frames,
        detections=[det("a"), det("b", 5), det("c", 9), only_detected],
        zones=zones,
    )
    with session_factory() as session:
        rows = {f.sha256: f for f in session.scalars(select(Frame))}
        flight = session.scalars(select(Flight)).one()
        stored = {
            rows[m.sha256].path: (rows[m.sha256].path_bytes, rows[m.sha256].open_path)
            for m in frames
        }
        bare = rows[only_detected.frame_sha256]
        assert (bare.path, bare.path_bytes, bare.open_path) == (
            "/flights/\\xba\u04f5\\xc0/\\xba\u04f5\\xc0_0002.JPG",
            os.fsencode(only_detected.frame_path),
            only_detected.frame_path,
        )
        assert (flight.source_dir, flight.source_dir_bytes) == (
            "/flights/\\xba\u04f5\\xc0",
            b"/flights/\xba\xd3\xb5\xc0",
        )
    assert stored == {
        # GBK "河道": its middle bytes happen to be valid UTF-8 ("ӵ") and stay as they are
        "/flights/\\xba\u04f5\\xc0/\\xba\u04f5\\xc0_0001.JPG": (os.fsencode(GBK), GBK),
        "/flights/DJI_\\x1b[31m\\u202e.JPG": (ESC.encode(), ESC),
        "/flights/c.JPG": (None, "/flights/c.JPG"),  # a plain name: no bytes kept
    }


def test_issue_photos_show_display_text_and_link_the_exact_file(
    session_factory, zones, tmp_path
) -> None:
    from pipeline.ledger.export import export_issues
    from pipeline.ledger.queries import list_issues

    push_flight(
        session_factory=session_factory,
        flight=FlightRef(key="names", name="names"),
        frames=[replace(frame("a"), path=GBK), frame("c", 3)],
        detections=[det("a"), det("c", 3)],
        zones=zones,
    )
    with session_factory() as session:
        (view,) = list_issues(session=session)
    shown = "/flights/\\xba\u04f5\\xc0/\\xba\u04f5\\xc0_0001.JPG"
    assert view.photos == (shown, "/flights/c.JPG") and "photo_uris" not in view.to_json()
    uri = "file:///flights/%BA%D3%B5%C0/%BA%D3%B5%C0_0001.JPG"  # the GBK bytes
    assert view.photo_uris == (uri, "file:///flights/c.JPG")
    kml = export_issues([view], "kml", tmp_path / "l.kml").read_text(encoding="utf-8")
    assert f"href='{uri}'" in kml


def test_relative_paths_are_stored_absolute_and_old_ones_repaired(
    session_factory, zones, tmp_path, monkeypatch
) -> None:
    """A run started in another folder still finds its photos: paths are stored absolute,
    and a frame stored relative by an older run gets the absolute path at the next push."""
    from sqlalchemy import update

    monkeypatch.chdir(tmp_path)
    relative = replace(frame("a"), path="flight/a.JPG")

    def push() -> None:
        push_flight(
            session_factory=session_factory,
            flight=FlightRef(key="rel", name="rel", source_dir=str(tmp_path / "flight")),
            frames=[relative],
            detections=[replace(det("a"), frame_path="flight/a.JPG")],
            zones=zones,
        )

    def stored() -> tuple[str, str]:
        with session_factory() as session:
            row = session.scalars(select(Frame)).one()
            return row.path, row.open_path

    push()
    absolute = str(tmp_path / "flight" / "a.JPG")
    assert stored() == (absolute, absolute)
    with session_factory.begin() as session:  # as an older hehu stored it
        session.execute(update(Frame).values(path="flight/a.JPG"))
    push()  # the rerun starts where the first one did
    assert stored() == (absolute, absolute)
