"""New changes (新增变化) filed as candidates by ``hehu recheck --changes`` and by the run's
recheck stage (``recheck.changes``), and, once confirmed as a 四乱 subtype, exported by
``hehu feedback export`` as labelled training data.

The earlier flight is the embedded sample (see ``test_recheck_cli``); the new one is a
copy of its shed frame with a 280 px (about 145 m²) blue tarp painted in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.change.test_recheck_cli import (  # noqa: F401 (ledger: the fixture)
    SHED_FRAME,
    _edited_copy,
    ledger,
    ledger_copy,
    query_rows,
    recheck,
)
from tests.review.review_helpers import SAMPLE_FRAMES

TARP = (200, 500, 480, 780)  # x0, y0, x1, y1 in the frame's pixels


def painted_flight(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)

    def paint(img: np.ndarray) -> None:
        patch = rng.integers(0, 60, (280, 280, 3)).astype(np.uint8)
        patch[..., 0] += 180
        img[TARP[1] : TARP[3], TARP[0] : TARP[2]] = patch

    _edited_copy(SAMPLE_FRAMES / SHED_FRAME, tmp_path / "painted" / SHED_FRAME, paint)
    return tmp_path / "painted"


def change_issues(url: str) -> list[tuple]:
    return query_rows(url,
        "SELECT issue.code, issue.type, issue.status, issue.area_m2, evidence_file.kind, "
        "evidence_file.sha256 FROM issue JOIN evidence ON evidence.issue_id = issue.id "
        "JOIN evidence_file ON evidence_file.detection_id = evidence.detection_id "
        "WHERE issue.discovery_method = '无人机飞检前后比对' ORDER BY issue.code"
    )  # fmt: skip


def test_recheck_changes_files_each_change_once(ledger, tmp_path, capsys) -> None:  # noqa: F811
    url = ledger_copy(ledger, tmp_path)
    flight = painted_flight(tmp_path)
    dry = recheck(url, flight, tmp_path / "out0", "--changes", "--dry-run", capsys=capsys)
    assert len(dry["changes"]) == 1 and dry["changes_filed"] == [] and change_issues(url) == []
    out = recheck(url, flight, tmp_path / "out1", "--changes", capsys=capsys)
    (code,) = out["changes_filed"]
    ((got, kind, status, area, file_kind, sha),) = change_issues(url)
    assert (got, kind, status, file_kind) == (code, "change", "candidate", "change")
    assert area == pytest.approx(out["changes"][0]["area_m2"], rel=1e-3) and 130 < area < 170
    assert sha == out["changes"][0]["picture_sha256"]
    again = recheck(url, flight, tmp_path / "out2", "--changes", capsys=capsys)
    assert again["changes_filed"] == [] and len(change_issues(url)) == 1
    assert main_text(url, flight, tmp_path, capsys).count("filed before (kept): 1") == 1


def main_text(url: str, flight: Path, tmp_path: Path, capsys) -> str:
    from pipeline.cli import main

    assert main(["recheck", str(flight), "--db", url, "--out", str(tmp_path / "o"),
                 "--changes"]) == 0  # fmt: skip
    return capsys.readouterr().out


@pytest.mark.parametrize("wanted", [True, False])
def test_the_run_stage_files_changes_only_when_asked(ledger, tmp_path, wanted) -> None:  # noqa: F811
    from pipeline.change.record import recheck_after_push
    from pipeline.config import load_config
    from pipeline.run import check_flight_yaw, plan_flight

    url = ledger_copy(ledger, tmp_path)
    overrides = {"ledger": {"url": url}, "state": {"dir": str(tmp_path / "state")},
                 "recheck": {"changes": wanted}}  # fmt: skip
    config = load_config(None, overrides)
    plan = check_flight_yaw(plan_flight(painted_flight(tmp_path), config), config)
    outcome = recheck_after_push(plan, None, config)
    assert len(outcome.changes_filed) == (1 if wanted else 0)
    assert [r[0] for r in change_issues(url)] == list(outcome.changes_filed)
    import io

    from pipeline.cli.run import print_summary

    out = io.StringIO()
    print_summary({"frames": 1, "quarantined": [], "detections": 0, "created": [], "recurred": [],
                   "rebounded": [], "changes_filed": list(outcome.changes_filed)}, out)  # fmt: skip
    assert ("new changes (新增变化) filed as candidates: 1  " in out.getvalue()) == wanted
    assert load_config(None, {}).recheck.changes is False  # off unless the office asks


@pytest.mark.parametrize(("decision", "positives"), [("confirmed", 1), ("false_positive", 0)])
def test_a_confirmed_change_is_training_data(ledger, tmp_path, capsys, decision,  # noqa: F811
                                             positives) -> None:  # fmt: skip
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.models import Issue
    from pipeline.ledger.workflow import transition
    from pipeline.review.feedback import export_feedback

    url = ledger_copy(ledger, tmp_path)
    out = recheck(url, painted_flight(tmp_path), tmp_path / "o", "--changes", capsys=capsys)
    (code,), (found,) = out["changes_filed"], out["changes"]
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        issue = session.scalars(select(Issue).where(Issue.code == code)).one()
        changes = {"subtype": "luandui.garbage_pile"} if decision == "confirmed" else None
        transition(session=session, code=code, to=decision, expected_version=issue.version,
                   actor="test", changes=changes)  # fmt: skip
    with factory() as session:
        assert session.scalars(select(Issue.type).where(Issue.code == code)).one() == (
            "luandui" if decision == "confirmed" else "change"
        )
        summary = export_feedback(session=session, out=tmp_path / "fb")
    engine.dispose()
    import json

    tiles = json.loads((tmp_path / "fb" / "feedback.json").read_text())["tiles"]
    mine = [t for t in tiles if code in {p["issue"] for p in t["positives"] + t["negatives"]}]
    assert len(mine) == 1 and len(mine[0]["positives"]) == positives
    if decision != "confirmed":
        assert mine[0]["negatives"][0]["issue"] == code
        return
    assert "luandui.garbage_pile" in summary.classes
    cls = summary.classes.index("luandui.garbage_pile")
    x0, y0, x1, y1 = mine[0]["window_xyxy_px"]
    label = (tmp_path / "fb" / mine[0]["image"].replace("images", "labels", 1)).with_suffix(".txt")
    lines = [ln.split() for ln in label.read_text().splitlines() if ln.split()[0] == str(cls)]
    centres = [((x1 - x0) * float(ln[1]) + x0, (y1 - y0) * float(ln[2]) + y0) for ln in lines]
    # the label is the region's box in the new frame, over the tarp
    rx0, ry0, rx1, ry1 = found["xyxy_px"]
    assert rx0 <= TARP[0] + 5 and rx1 >= TARP[2] - 5 and ry0 <= TARP[1] + 5
    assert any(abs(px - (rx0 + rx1) / 2) < 2 and abs(py - (ry0 + ry1) / 2) < 2
               for px, py in centres), centres  # fmt: skip
