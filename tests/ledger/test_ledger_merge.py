"""A reviewer merges a duplicate candidate into the issue of the same object, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import pipeline.cli
from pipeline.errors import BadInputError
from pipeline.ledger.audit import history
from pipeline.ledger.errors import ConflictError, IllegalTransitionError
from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.merge import merge_issues
from pipeline.ledger.models import Issue
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import issue_detail, list_issues
from pipeline.ledger.workflow import transition, update_issue
from tests.ledger.ledger_helpers import det, flight_inputs, frame


def _push(session_factory, zones, name: str, day: int, east: float, *, frames: int = 2) -> None:
    when = f"2024-05-{day:02d}T10:00:00"
    names = [f"{name}_{k}" for k in range(frames)]
    dets = [det(n, east + k, 0.0, when=when) for k, n in enumerate(names)]
    push_flight(session_factory=session_factory, flight=FlightRef(f"flight-{name}", name),
                frames=[frame(n, when=when) for n in names], detections=dets,
                zones=zones)  # fmt: skip


def _codes(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(Issue.code).order_by(Issue.code)))


def _newest(session_factory) -> str:
    with session_factory() as session:
        return session.scalars(select(Issue.code).order_by(Issue.id.desc())).first()


@pytest.fixture
def twins(session_factory, zones) -> tuple[str, str]:
    """One pile seen by two flights whose positions disagree by 25 m: two candidates."""
    _push(session_factory, zones, "X", 1, 0.0)
    _push(session_factory, zones, "Y", 2, 25.0)
    codes = _codes(session_factory)
    assert len(codes) == 2
    return codes[0], codes[1]


def test_merge_moves_the_sightings_and_keeps_the_code(session_factory, zones, twins) -> None:
    kept, dup = twins
    with session_factory.begin() as session:
        merge_issues(session=session, code=dup, into=kept, expected_version=1, actor="张三",
                     note="同一堆垃圾")  # fmt: skip
    with session_factory() as session:
        k, d = issue_detail(session=session, code=kept), issue_detail(session=session, code=dup)
        assert d.issue.status == "merged" and d.issue.merged_into == kept and not d.evidence
        assert len(k.evidence) == 4 and k.issue.flights == 2 and k.issue.version == 2
        merged = [e for e in k.evidence if e.kind == "merged"]
        assert len(merged) == 2 and all(24 < e.distance_m < 27 for e in merged)
        # The kept issue moved to the mean of both flights' sightings: between them.
        x = sorted(e.lon for e in k.evidence)
        assert x[1] < k.issue.lon < x[2]
        (status,) = [h for h in history(session=session, entity="issue", entity_key=dup)
                     if h.new_value == "merged"]  # fmt: skip
        assert (status.old_value, status.new_value, status.actor) == ("candidate", "merged", "张三")
        assert status.note.startswith(f"{dup} merged into {kept} (") and "同一堆垃圾" in status.note
        kept_log = history(session=session, entity="issue", entity_key=kept)
        assert any(h.field == "evidence" and (h.old_value, h.new_value) == ("2", "4")
                   for h in kept_log)  # fmt: skip
        statuses = {v.code: v.status for v in list_issues(session=session)}
        assert statuses == {kept: "candidate", dup: "merged"}
    with pytest.raises(IllegalTransitionError, match="is merged"), session_factory.begin() as s:
        update_issue(session=s, code=dup, expected_version=2, actor="x", changes={"progress": "x"})
    # A later flight sees the pile where the duplicate was: more evidence of the kept issue,
    # never a new candidate and never a rebound of the merged one.
    _push(session_factory, zones, "Z", 3, 20.0)
    assert _codes(session_factory) == [kept, dup]
    with session_factory() as session:
        assert len(issue_detail(session=session, code=kept).evidence) == 6
        assert issue_detail(session=session, code=dup).issue.status == "merged"


def test_merge_refuses_what_a_reviewer_would_not_mean(session_factory, zones, twins) -> None:
    kept, dup = twins
    cases = [
        (dict(code=dup, into=kept, expected_version=5), ConflictError, "version"),
        (dict(code=dup, into=kept, expected_version=1, into_version=3), ConflictError, "version"),
        (dict(code=dup, into=dup, expected_version=1), BadInputError, "itself"),
    ]
    for kwargs, error, words in cases:
        with pytest.raises(error, match=words), session_factory.begin() as session:
            merge_issues(session=session, actor="x", **kwargs)
    with session_factory.begin() as session:  # a rejected duplicate may take the other too
        transition(session=session, code=kept, to="false_positive", expected_version=1,
                   actor="x", note="阴影")  # fmt: skip
        transition(session=session, code=dup, to="confirmed", expected_version=1, actor="x")
    with session_factory.begin() as session:
        merge_issues(session=session, code=dup, into=kept, expected_version=2, actor="x")
    with pytest.raises(BadInputError, match=f"into {kept}"), session_factory.begin() as session:
        _push(session_factory, zones, "W", 4, 500.0)
        far = _newest(session_factory)
        merge_issues(session=session, code=far, into=dup, expected_version=1, actor="x")


def test_merge_checks_status_type_distance_and_shared_photos(session_factory, zones) -> None:
    flight, frames, dets = flight_inputs("A")  # two piles 40 m apart, both in frame A_0003
    push_flight(session_factory=session_factory, flight=flight, frames=frames, detections=dets,
                zones=zones)  # fmt: skip
    with session_factory() as session:
        by_type = {}
        for v in list_issues(session=session):
            by_type.setdefault(v.subtype, []).append(v.code)
    first, second = by_type["luandui.garbage_pile"]
    (digger,) = by_type["luancai.excavator"]
    with pytest.raises(BadInputError, match="one 四乱 type"), session_factory.begin() as s:
        merge_issues(session=s, code=digger, into=first, expected_version=1, actor="x")
    with (
        pytest.raises(BadInputError, match="separate boxes in 1 photo"),
        session_factory.begin() as s,
    ):
        merge_issues(session=s, code=second, into=first, expected_version=1, actor="x")
    _push(session_factory, zones, "F", 2, 400.0)
    far = _newest(session_factory)
    with pytest.raises(BadInputError, match="m apart"), session_factory.begin() as s:
        merge_issues(session=s, code=far, into=first, expected_version=1, actor="x")
    with session_factory.begin() as s:
        merge_issues(session=s, code=far, into=first, expected_version=1, actor="x", force=True)
        merge_issues(session=s, code=second, into=first, expected_version=1, actor="x",
                     force=True, note="一处")  # fmt: skip
    with session_factory.begin() as s:
        transition(session=s, code=first, to="confirmed", expected_version=3, actor="x")
        handed = {"responsible_unit": "某镇", "deadline": dt.date(2024, 6, 1)}
        transition(session=s, code=first, to="assigned", expected_version=4, actor="x",
                   changes=handed)  # fmt: skip
    _push(session_factory, zones, "G", 3, 900.0)
    last = _newest(session_factory)
    with pytest.raises(IllegalTransitionError, match="handed over"), session_factory.begin() as s:
        merge_issues(session=s, code=first, into=last, expected_version=5, actor="x", force=True)


def test_cli_merge(db_url, session_factory, zones, twins, capsys, monkeypatch, tmp_path) -> None:
    if "ledger" not in pipeline.cli.COMMANDS:
        monkeypatch.setattr(pipeline.cli, "COMMANDS", (*pipeline.cli.COMMANDS, "ledger"))
    kept, dup = twins
    argv = ["ledger", "merge", dup, "--into", kept, "--version", "1", "--by", "李四",
            "--db", db_url]  # fmt: skip
    assert pipeline.cli.main(argv) == 0
    assert f"{dup} merged into {kept}" in capsys.readouterr().out
    assert pipeline.cli.main(argv) == 1  # the version moved on
    assert "now at version 2" in capsys.readouterr().err
    assert pipeline.cli.main(["ledger", "show", dup, "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "merged_into" in out and kept in out and "evidence (0)" in out
    assert pipeline.cli.main(["ledger", "show", kept, "--db", db_url]) == 0
    assert capsys.readouterr().out.count("[merged]") == 2
    out = tmp_path / "ledger.csv"
    if "export" not in pipeline.cli.COMMANDS:
        monkeypatch.setattr(pipeline.cli, "COMMANDS", (*pipeline.cli.COMMANDS, "export"))
    assert pipeline.cli.main(["export", str(out), "--db", db_url]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert kept in text and dup not in text  # the merged one is no ledger row of its own
    assert pipeline.cli.main(["export", str(out), "--status", "merged", "--db", db_url]) == 0
    assert dup in out.read_text(encoding="utf-8-sig")
