"""The single-view hold: a new object seen in one frame although other frames covered it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.models import Detection, Issue
from pipeline.ledger.push import push_flight
from tests.ledger.ledger_helpers import det, frame, offset

MOVING = "luancai.heavy_vehicle"


def square(east_m: float, north_m: float, half_m: float = 30.0) -> tuple:
    """A frame footprint: a square of side ``2 * half_m`` around a ground point, closed."""
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    return tuple(offset(east_m + dx * half_m, north_m + dy * half_m) for dx, dy in corners)


FRAMES = [frame("A", 0, 0), frame("B", 10, 0), frame("C", 20, 0), frame("D", 60, 0)]
FOOTPRINTS = {f.sha256: square(e, 0) for f, e in zip(FRAMES, (0, 10, 20, 60), strict=True)}
ALL = {"hehu-test-v1": [f.sha256 for f in FRAMES]}


def push(session_factory, dets, **kw):
    return push_flight(session_factory=session_factory, flight=FlightRef("sv", "sv"),
                       frames=FRAMES, detections=dets, footprints=FOOTPRINTS, **kw)  # fmt: skip


def held_codes(session_factory) -> dict[tuple[float, float], str | None]:
    with session_factory() as session:
        rows = session.execute(select(Detection.x0_px, Detection.y0_px, Detection.hold_reason))
        return {(x, y): reason for x, y, reason in rows}


def test_seen_once_where_two_other_frames_looked_is_held(session_factory) -> None:
    once = det("A", 5, 0, box=(10, 10, 60, 60))  # A, B and C all cover (5, 0)
    twice = [det("A", 15, 5, box=(200, 10, 260, 60)), det("B", 15, 5, box=(100, 10, 160, 60))]
    edge = det("C", 45, 0, box=(300, 10, 360, 60))  # covered by C and D only: one other view
    result = push(session_factory, [once, *twice, edge], model_frames=ALL)
    assert len(result.created) == 2
    assert dict(result.held) == {"single_view": 1}
    reasons = held_codes(session_factory)
    assert reasons[(10.0, 10.0)] == "single_view"
    assert reasons[(200.0, 10.0)] is None and reasons[(300.0, 10.0)] is None
    # pushing the same flight again changes nothing
    again = push(session_factory, [once, *twice, edge], model_frames=ALL)
    assert again.created == () and held_codes(session_factory) == reasons


@pytest.mark.parametrize(
    ("model_frames", "subtype", "config"),
    [
        ({"hehu-test-v1": [FRAMES[0].sha256]}, "luandui.garbage_pile", None),  # model ran on A only
        ({"other-model": [f.sha256 for f in FRAMES]}, "luandui.garbage_pile", None),
        (ALL, MOVING, None),  # a truck drives away: one view is all there is
        (None, "luandui.garbage_pile", None),  # caller gave no coverage: rule off
        (ALL, "luandui.garbage_pile", LedgerConfig(single_view_covers=None)),
        (ALL, "luandui.garbage_pile", LedgerConfig(single_view_covers=3)),
    ],
)
def test_a_single_view_is_filed_when_nothing_else_could_have_seen_it(
    session_factory, model_frames, subtype, config
) -> None:
    once = det("A", 5, 0, subtype=subtype, box=(10, 10, 60, 60))
    result = push(session_factory, [once], model_frames=model_frames, config=config)
    assert len(result.created) == 1 and dict(result.held) == {}
    with session_factory() as session:
        assert session.scalar(select(Issue.code)) == result.created[0]


@pytest.mark.parametrize(("with_c", "held"), [(False, {}), (True, {"single_view": 1})])
def test_ground_other_frames_looked_at_counts_once_per_frame(session_factory, with_c, held) -> None:
    # tiles skipped elsewhere: A ran whole; B (and C) looked only at the ground of some tiles
    once = det("A", 5, 0, box=(10, 10, 60, 60))
    b, c = FRAMES[1].sha256, FRAMES[2].sha256
    looks = [(b, square(0, 0, 8)), (b, square(8, 0, 8))]  # two tiles of B hold (5, 0)
    if with_c:
        looks.append((c, square(5, 0, 4)))
    result = push(session_factory, [once], model_frames={"hehu-test-v1": [FRAMES[0].sha256]},
                  model_looks={"hehu-test-v1": looks})  # fmt: skip
    assert len(result.created) == (0 if held else 1) and dict(result.held) == held


def test_ground_looked_at_elsewhere_does_not_count(session_factory) -> None:
    once = det("A", 5, 0, box=(10, 10, 60, 60))
    looks = [(FRAMES[1].sha256, square(40, 0, 5)), (FRAMES[2].sha256, square(40, 0, 5))]
    result = push(session_factory, [once], model_frames={"hehu-test-v1": [FRAMES[0].sha256]},
                  model_looks={"hehu-test-v1": looks})  # fmt: skip
    assert len(result.created) == 1 and dict(result.held) == {}
