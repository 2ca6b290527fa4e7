"""A reviewer splits a sighting off an issue; ``hehu ledger show`` says how each one joined."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select, update

import pipeline.cli
from pipeline.errors import BadInputError
from pipeline.ledger.audit import history
from pipeline.ledger.errors import ConflictError
from pipeline.ledger.models import Evidence, Issue
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import issue_detail
from pipeline.ledger.split import split_sighting
from tests.ledger.ledger_helpers import flight_inputs


@pytest.fixture
def pile(session_factory, zones) -> str:
    """Flight A's first garbage pile: one issue, three sightings in three frames."""
    flight, frames, dets = flight_inputs("A")
    push_flight(session_factory=session_factory, flight=flight, frames=frames, detections=dets,
                zones=zones)  # fmt: skip
    with session_factory() as session:
        codes = [c for c in session.scalars(select(Issue.code).order_by(Issue.code))]
        return next(c for c in codes if len(issue_detail(session=session, code=c).evidence) == 3)


def test_sightings_carry_their_association(session_factory, pile: str) -> None:
    with session_factory() as session:
        evidence = issue_detail(session=session, code=pile).evidence
    opened = [e for e in evidence if e.distance_m is None]
    joined = [e for e in evidence if e.distance_m is not None]
    assert len(opened) == 1 and len(joined) == 2
    assert all(0 < e.distance_m <= e.gate_m for e in joined)
    # No σ stored: 3.5 m each; 2σ of the pair plus the radii of two 12 m² discs. The third
    # sighting meets a track of two, whose mean is known better: a tighter gate.
    radii = 2 * (12 / math.pi) ** 0.5
    gates = sorted((e.gate_m for e in joined), reverse=True)
    assert gates[0] == pytest.approx(2 * 3.5 * 2**0.5 + radii, abs=0.01)
    assert gates[1] == pytest.approx(2 * (3.5**2 + 3.5**2 / 2) ** 0.5 + radii, abs=0.01)


def test_split_moves_one_sighting_to_a_new_candidate(session_factory, pile: str) -> None:
    with session_factory() as session:
        evidence = issue_detail(session=session, code=pile).evidence
    moved = evidence[-1]
    with session_factory.begin() as session:
        new = split_sighting(session=session, code=pile, detection_id=moved.detection_id,
                             expected_version=1, actor="张三", note="另一堆")  # fmt: skip
        new_code = new.code
    with session_factory() as session:
        old = issue_detail(session=session, code=pile)
        split = issue_detail(session=session, code=new_code)
        assert len(old.evidence) == 2 and old.issue.version == 2
        assert [e.detection_id for e in split.evidence] == [moved.detection_id]
        assert split.evidence[0].kind == "split" and split.issue.status == "candidate"
        assert (split.issue.lat, split.issue.lon) == (moved.lat, moved.lon)
        notes = [h.note for h in history(session=session, entity="issue", entity_key=pile)]
        assert any(f"split off {pile} into {new_code}: 另一堆" in (n or "") for n in notes)
        first = history(session=session, entity="issue", entity_key=new_code)[0]
        assert (first.actor, first.field, first.new_value) == ("张三", "status", "candidate")


def test_split_checks_version_membership_and_what_is_left(session_factory, pile: str) -> None:
    with session_factory() as session:
        ids = [e.detection_id for e in issue_detail(session=session, code=pile).evidence]
        other = session.scalars(select(Evidence.detection_id).where(
            Evidence.detection_id.not_in(ids))).first()  # fmt: skip
    with pytest.raises(ConflictError), session_factory.begin() as session:
        split_sighting(session=session, code=pile, detection_id=ids[0], expected_version=7,
                       actor="x")  # fmt: skip
    with pytest.raises(BadInputError, match="not evidence"), session_factory.begin() as session:
        split_sighting(session=session, code=pile, detection_id=other, expected_version=1,
                       actor="x")  # fmt: skip
    for version, det in ((1, ids[0]), (2, ids[1])):
        with session_factory.begin() as session:
            split_sighting(session=session, code=pile, detection_id=det,
                           expected_version=version, actor="x")  # fmt: skip
    with pytest.raises(BadInputError, match="only this sighting"), session_factory.begin() as s:
        split_sighting(session=s, code=pile, detection_id=ids[2], expected_version=3, actor="x")


def test_cli_show_and_split(db_url: str, session_factory, pile: str, capsys, monkeypatch) -> None:
    if "ledger" not in pipeline.cli.COMMANDS:
        monkeypatch.setattr(pipeline.cli, "COMMANDS", (*pipeline.cli.COMMANDS, "ledger"))
    assert pipeline.cli.main(["ledger", "show", pile, "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "(opened it" in out and out.count("/ gate ") == 2
    with session_factory() as session:
        det = issue_detail(session=session, code=pile).evidence[1].detection_id
    argv = ["ledger", "split", pile, str(det), "--version", "1", "--by", "李四", "--db", db_url]
    assert pipeline.cli.main(argv) == 0
    assert f"detection {det} split off {pile}" in capsys.readouterr().out
    assert pipeline.cli.main(argv) == 1  # the version moved on
    assert "now at version 2" in capsys.readouterr().err


def test_a_closed_issue_keeps_its_sightings(session_factory, pile: str) -> None:
    from pipeline.ledger.errors import IllegalTransitionError

    with session_factory() as session:
        ids = [e.detection_id for e in issue_detail(session=session, code=pile).evidence]
        session.execute(update(Issue).where(Issue.code == pile).values(status="closed"))
        session.commit()
    with pytest.raises(IllegalTransitionError, match="is closed"), session_factory.begin() as s:
        split_sighting(session=s, code=pile, detection_id=ids[0], expected_version=1, actor="x")
    with session_factory() as session:
        assert len(issue_detail(session=session, code=pile).evidence) == 3
