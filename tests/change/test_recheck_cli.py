"""``hehu recheck`` on real frames: the sample flight's confirmed shed seen again.

The earlier flight is the embedded sample (hand-placed boxes, pushed as a detector
would); the "new" flights are copies of its frames, one with the shed painted over
by ground cut from elsewhere in the same frame (metadata kept).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.review.review_helpers import SAMPLE_FRAMES, push_hand_labelled_sample_flight

SHED_FRAME, SHED_BOX = "DJI_0031.JPG", (800, 400, 900, 570)


def with_pixels(original: bytes, bgr: np.ndarray) -> bytes:
    """``bgr`` as a JPEG that keeps ``original``'s APPn segments (EXIF, XMP)."""
    import cv2

    i, kept = 2, []
    while original[i] == 0xFF and 0xE0 <= original[i + 1] <= 0xEF:
        size = int.from_bytes(original[i + 2 : i + 4], "big")
        kept.append(original[i : i + 2 + size])
        i += 2 + size
    encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    j = 2
    if encoded[2:4] == b"\xff\xe0":  # drop the encoder's JFIF header
        j = 4 + int.from_bytes(encoded[4:6], "big")
    return b"\xff\xd8" + b"".join(kept) + encoded[j:]


def paint_over(path: Path, box: tuple[int, int, int, int]) -> None:
    """The box's area replaced by the same-sized ground 300 px to its left."""
    import cv2

    data = path.read_bytes()
    img = cv2.imdecode(
        np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    )
    x0, y0, x1, y1 = box
    img[y0 - 10 : y1 + 10, x0 - 10 : x1 + 10] = img[y0 - 10 : y1 + 10, x0 - 310 : x1 - 290]
    path.write_bytes(with_pixels(data, img))


def assert_watermarked(jpeg: bytes) -> None:
    """The watermark bar (two lines of white text on black) closes the picture."""
    import cv2

    from pipeline.evidence_crops import LINE_PX

    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    bar = image[-(2 * LINE_PX + 6) :]
    assert np.median(bar) < 20 and (bar > 200).mean() > 0.005, "no watermark bar"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> str:
    """A ledger whose sample-flight issues are all confirmed (earlier frames in a copy)."""
    import pipeline.review.models  # noqa: F401
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.models import Issue
    from pipeline.ledger.workflow import transition

    root = tmp_path_factory.mktemp("recheck")
    earlier = root / "earlier"
    shutil.copytree(SAMPLE_FRAMES, earlier)
    url = f"sqlite:///{root / 'ledger.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    push_hand_labelled_sample_flight(url, frames_dir=earlier)
    with make_session_factory(engine).begin() as session:
        for issue in list(session.query(Issue).filter(Issue.status == "candidate")):
            transition(session=session, code=issue.code, to="confirmed",
                       expected_version=issue.version, actor="test")  # fmt: skip
    engine.dispose()
    return url


def recheck(url: str, flight: Path, out: Path, *extra: str, capsys) -> dict:
    from pipeline.cli import main

    assert main(["recheck", str(flight), "--db", url, "--out", str(out), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def shed_code(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        codes = c.execute(text("SELECT code FROM issue WHERE subtype = 'luanjian.shed'")).all()
    engine.dispose()
    assert len(codes) == 1, codes  # the three boxes of the shed are one issue
    return codes[0][0]


def test_shed_still_present_then_gone(ledger, tmp_path, capsys) -> None:
    url = ledger
    code = shed_code(url)
    same = tmp_path / "same"
    shutil.copytree(SAMPLE_FRAMES, same)
    report = recheck(url, same, tmp_path / "out-same", "--dry-run", capsys=capsys)
    assert report["recorded"] == [] and recheck_rows(url) == []
    by_code = {r["code"]: r for r in report["rechecked"]}
    shed = by_code[code]
    assert shed["verdict"] == "still present", shed
    assert shed["residual_px"] is not None and shed["residual_px"] < 2.0
    picture = Path(shed["picture"]).read_bytes()
    assert hashlib.sha256(picture).hexdigest() == shed["picture_sha256"]
    assert_watermarked(picture)

    gone = tmp_path / "gone"
    gone.mkdir()
    shutil.copy(SAMPLE_FRAMES / SHED_FRAME, gone / SHED_FRAME)
    paint_over(gone / SHED_FRAME, SHED_BOX)
    report = recheck(url, gone, tmp_path / "out-gone", "--against", "Brighton 2016-06-23",
                     "--dry-run", capsys=capsys)  # fmt: skip
    shed = {r["code"]: r for r in report["rechecked"]}[code]
    assert shed["verdict"] == "gone", shed
    # one frame sees only part of the confirmed issues: the others are not listed
    assert report["considered"] == len(by_code) and len(report["rechecked"]) < len(by_code)
    assert shed["new_frame"].endswith(SHED_FRAME)
    assert Path(shed["picture"]).is_file()


def query_rows(url: str, sql: str) -> list[tuple]:
    """The rows of one SQL query on the ledger at ``url``, as tuples."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        rows = c.execute(text(sql)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def recheck_rows(url: str) -> list[tuple]:
    """``(code, flight name, verdict, evidence sha256)`` of the ledger's recheck rows."""
    return query_rows(url,
        "SELECT issue.code, flight.name, recheck.verdict, recheck.evidence_sha256 "
        "FROM recheck JOIN issue ON issue.id = recheck.issue_id "
        "JOIN flight ON flight.id = recheck.flight_id ORDER BY issue.code"
    )  # fmt: skip


def ledger_copy(url: str, tmp_path: Path) -> str:
    copy = tmp_path / "copy.sqlite"
    shutil.copy(url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def test_verdicts_are_recorded_once_per_flight(ledger, tmp_path, capsys) -> None:
    url = ledger_copy(ledger, tmp_path)
    code = shed_code(url)
    gone = tmp_path / "gone"
    gone.mkdir()
    shutil.copy(SAMPLE_FRAMES / SHED_FRAME, gone / SHED_FRAME)
    paint_over(gone / SHED_FRAME, SHED_BOX)
    report = recheck(url, gone, tmp_path / "out", capsys=capsys)
    assert sorted(report["recorded"]) == sorted(r["code"] for r in report["rechecked"])
    rows = {r[0]: r for r in recheck_rows(url)}
    shed = {r["code"]: r for r in report["rechecked"]}[code]
    assert rows[code] == (code, "gone", "gone", shed["picture_sha256"])
    again = recheck(url, gone, tmp_path / "out", capsys=capsys)
    assert again["recorded"] == [] and sorted(again["already_recorded"]) == sorted(rows)
    assert len(recheck_rows(url)) == len(rows)


def test_missing_earlier_frame_cannot_tell(ledger, tmp_path, capsys) -> None:
    from sqlalchemy import create_engine, text

    copy = tmp_path / "moved.sqlite"
    shutil.copy(ledger.removeprefix("sqlite:///"), copy)
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as c:
        c.execute(text("UPDATE frame SET path = '/nowhere/' || sha256 || '.JPG'"))
    engine.dispose()
    report = recheck(f"sqlite:///{copy}", SAMPLE_FRAMES, tmp_path / "out", capsys=capsys)
    assert report["rechecked"], report
    for r in report["rechecked"]:
        assert r["verdict"] == "cannot tell" and "earlier frame unreadable" in r["reason"], r
        assert r["picture"] is None


def test_empty_ledger_says_so(tmp_path, capsys) -> None:
    from pipeline.cli import main
    from pipeline.ledger.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    assert main(["recheck", str(SAMPLE_FRAMES), "--db", url, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no issue to recheck"), out


def test_unknown_against_flight_is_one_error(ledger, capsys) -> None:
    from pipeline.cli import main

    url = ledger
    code = main(["recheck", str(SAMPLE_FRAMES), "--db", url, "--against", "nowhere"])
    assert code == 1
    assert "no flight 'nowhere'" in capsys.readouterr().err


def test_model_decides_where_it_knows_the_class(ledger, tmp_path, capsys, monkeypatch) -> None:
    """``--model``: a detector that saw the shed then but not now makes it gone, although
    the frames are the same; issues of classes it does not know keep the appearance."""
    from types import SimpleNamespace

    import pipeline.run
    from pipeline.change.detector_check import square_window
    from pipeline.change.recheck import TILE_PX
    from pipeline.detect.detections import Detections

    box = (770, 730, 870, 900)  # the shed's latest sighting, DJI_0032 (SAMPLE_BOXES)
    x0, y0, _, _ = square_window(box, TILE_PX, (900, 1600))
    on_tile = np.array([[box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0]], np.float64)
    calls = []

    def detect(tiles: np.ndarray) -> list[Detections]:
        calls.append(len(tiles))
        seen = Detections.from_arrays(on_tile, np.array([0.8]), np.array([0]))
        return [seen, Detections.from_arrays(np.zeros((0, 4)), np.zeros(0), np.zeros(0))]

    card = SimpleNamespace(classes=["shed"], class_map={"shed": "luanjian.shed"},
                           thresholds=SimpleNamespace(conf=0.25))  # fmt: skip
    fake = SimpleNamespace(name="fake", card=card, detector=detect, class_map=None)
    monkeypatch.setattr(pipeline.run, "load_detectors", lambda config: (fake,))
    same = tmp_path / "same"
    shutil.copytree(SAMPLE_FRAMES, same)
    report = recheck(ledger, same, tmp_path / "out", "--model", "fake", "--dry-run",
                     capsys=capsys)  # fmt: skip
    by_code = {r["code"]: r for r in report["rechecked"]}
    shed = by_code[shed_code(ledger)]
    assert (shed["verdict"], shed["reason"]) == ("gone", "detector"), shed
    assert calls == [2]  # one batch of two tiles: then and now, for the shed alone
    others = [r for c, r in by_code.items() if c != shed_code(ledger)]
    assert others and all(r["detector_conf"] is None for r in others)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_run_stage_rechecks_after_the_push(ledger, tmp_path, enabled) -> None:
    """``recheck_after_push`` (the stage after push-to-ledger) records what the CLI would;
    with ``recheck.enabled: false`` it records nothing."""
    from pipeline.change.record import recheck_after_push
    from pipeline.config import load_config
    from pipeline.run import check_flight_yaw, plan_flight

    url = ledger_copy(ledger, tmp_path)
    gone = tmp_path / "gone"
    gone.mkdir()
    shutil.copy(SAMPLE_FRAMES / SHED_FRAME, gone / SHED_FRAME)
    paint_over(gone / SHED_FRAME, SHED_BOX)
    overrides = {"ledger": {"url": url}, "state": {"dir": str(tmp_path / "state")},
                 "recheck": {"enabled": enabled}}  # fmt: skip
    config = load_config(None, overrides)
    plan = check_flight_yaw(plan_flight(gone, config), config)
    outcome = recheck_after_push(plan, None, config)
    rows = recheck_rows(url)
    if not enabled:
        assert (outcome.under_flight, rows) == (0, [])
        return
    assert outcome.under_flight == len(rows) > 0 and set(outcome.recorded) == {r[0] for r in rows}
    assert dict(outcome.verdicts)["gone"] >= 1
    pictures = list((tmp_path / "state" / "recheck" / "gone").glob("*.jpg"))
    assert {p.stem for p in pictures} <= {r[0] for r in rows} and pictures
    again = recheck_after_push(plan, None, config)  # the same flight again: nothing to do
    assert (again.considered, again.under_flight) == (outcome.considered - len(rows), 0)
    assert recheck_rows(url) == rows


def _edited_copy(src: Path, dst: Path, edit) -> None:
    """``src`` decoded, ``edit``-ed in place, written to ``dst`` with its metadata."""
    import cv2

    data = src.read_bytes()
    img = cv2.imdecode(np.frombuffer(data, np.uint8),
                       cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)  # fmt: skip
    edit(img)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(with_pixels(data, img))


def test_changes_inside_the_zones_are_listed_light_alone_is_not(ledger, tmp_path, capsys) -> None:
    """``--changes``: a 12 m square painted into a later copy of a frame is found with its
    area; the same frame under other light (gain and offset) shows no change."""
    rng = np.random.default_rng(0)
    frame = SAMPLE_FRAMES / SHED_FRAME

    def paint(img: np.ndarray) -> None:
        patch = rng.integers(0, 60, (280, 280, 3)).astype(np.uint8)
        patch[..., 0] += 180  # a blue tarp
        img[300:580, 1000:1280] = patch

    def relight(img: np.ndarray) -> None:
        img[:] = np.clip(img.astype(np.float32) * 0.7 + 30, 0, 255).astype(np.uint8)

    _edited_copy(frame, tmp_path / "painted" / SHED_FRAME, paint)
    _edited_copy(frame, tmp_path / "relit" / SHED_FRAME, relight)
    found = recheck(ledger, tmp_path / "painted", tmp_path / "out1", "--changes", "--dry-run",
                    capsys=capsys)["changes"]  # fmt: skip
    assert len(found) == 1, found
    (change,) = found
    x0, y0, x1, y1 = change["xyxy_px"]
    assert x0 < 1140 < x1 and y0 < 440 < y1  # on the painted square
    # 280 px square at about 4.3 cm/px: 145 m² (the region's pixels, with the edge's blur)
    assert 130 < change["area_m2"] < 170 and change["residual_px"] < 2
    assert change["zone"] == "example-brighton-beach"
    picture = Path(change["picture"]).read_bytes()
    assert hashlib.sha256(picture).hexdigest() == change["picture_sha256"]
    assert_watermarked(picture)
    relit = recheck(ledger, tmp_path / "relit", tmp_path / "out2", "--changes", "--dry-run",
                    capsys=capsys)  # fmt: skip
    assert relit["changes"] == []
