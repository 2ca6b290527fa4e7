"""Evidence images: crops from untouched originals, the evidence-file seam, placeholders."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select, update

from pipeline.review.crops import Box, crop_jpeg, crop_window, frame_jpeg
from tests.review.review_helpers import log_in


@pytest.mark.parametrize(
    ("box", "size", "expected"),
    [
        ((100, 100, 160, 150), (1600, 900), (0, 0, 427, 320)),  # near a corner: shifted in
        ((780, 400, 820, 440), (1600, 900), (587, 260, 1014, 580)),  # small: min 320 high, 4:3
        ((0, 0, 1600, 900), (1600, 900), (0, 0, 1600, 900)),  # bigger than the frame: clamped
        ((700, 300, 900, 500), (1600, 900), (400, 100, 1200, 700)),  # box + its size each side
    ],
)
def test_crop_window(box, size, expected) -> None:
    assert crop_window(box, *size, context=1.0, min_px=320) == expected


@pytest.fixture
def frame_copy(tmp_path):
    """A real sample frame copied into tmp (tests may change the copy, never the original)."""
    from tests.review.review_helpers import SAMPLE_FRAMES

    src = sorted(SAMPLE_FRAMES.glob("*.JPG"))[0]
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    return dst, hashlib.sha256(dst.read_bytes()).hexdigest()


def test_crop_is_cut_from_the_original_and_cached(frame_copy, tmp_path) -> None:
    path, sha = frame_copy
    before = (path.stat().st_mtime_ns, path.read_bytes())
    data = crop_jpeg(frame_path=str(path), frame_sha256=sha, box=Box((780, 400, 820, 440),
                     "luandui"), cache_dir=tmp_path / "cache", max_side=480)  # fmt: skip
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (320, 426, 3) or image.shape[0] == 320
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before  # the original is untouched
    (cached,) = (tmp_path / "cache").rglob("*.jpg")
    assert cached.read_bytes() == data
    path.unlink()  # the cache answers without the original
    again = crop_jpeg(frame_path=str(path), frame_sha256=sha, box=Box((780, 400, 820, 440),
                      "luandui"), cache_dir=tmp_path / "cache", max_side=480)  # fmt: skip
    assert again == data


def test_a_changed_original_is_refused(frame_copy, tmp_path) -> None:
    from pipeline.review.crops import FrameUnavailableError

    path, sha = frame_copy
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(FrameUnavailableError, match="sha256 differs"):
        frame_jpeg(frame_path=str(path), frame_sha256=sha, boxes=[], cache_dir=tmp_path / "c")


def _first_evidence(db_url):
    from pipeline.ledger.models import Detection, Evidence, Frame
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.read() as session:
        row = session.execute(
            select(Detection.id, Frame.id, Frame.path, Frame.sha256)
            .join(Evidence, Evidence.detection_id == Detection.id)
            .join(Frame, Frame.id == Detection.frame_id)
            .order_by(Detection.id)
        ).first()
    db.dispose()
    return row


def test_crop_endpoint_serves_a_jpeg_and_leaves_the_frame_alone(client_for, db_url) -> None:
    det_id, frame_id, path, sha = _first_evidence(db_url)
    from pathlib import Path

    before = Path(path).stat().st_mtime_ns
    rev = client_for("view")
    crop = rev.get(f"/media/crop/{det_id}.jpg")
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert crop.content[:3] == b"\xff\xd8\xff"
    frame = rev.get(f"/media/frame/{frame_id}.jpg")
    assert frame.status_code == 200 and frame.content[:3] == b"\xff\xd8\xff"
    assert Path(path).stat().st_mtime_ns == before
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
    assert rev.get("/media/crop/999999.jpg").status_code == 404


def test_crop_uses_the_recorded_evidence_file_when_there_is_one(client_for, db_url, tmp_path):
    from pipeline.ledger.evidence import add_evidence_file
    from pipeline.ledger.models import EvidenceFile
    from pipeline.review.store import open_db

    det_id, _, _, sha = _first_evidence(db_url)
    recorded = tmp_path / "recorded-crop.jpg"
    _, buf = cv2.imencode(".jpg", np.zeros((10, 10, 3), np.uint8))
    recorded.write_bytes(buf.tobytes())
    db = open_db(db_url)
    with db.write() as session:
        session.execute(update(EvidenceFile).values(path="/gone/crop.jpg"))  # older ones missing
        add_evidence_file(
            session=session, detection_id=det_id, kind="crop", path=str(recorded),
            sha256=hashlib.sha256(recorded.read_bytes()).hexdigest(), source_sha256=sha,
        )  # fmt: skip
    db.dispose()
    response = client_for("view").get(f"/media/crop/{det_id}.jpg")
    assert response.content == recorded.read_bytes()


def test_missing_original_gives_a_placeholder(client_for, db_url) -> None:
    from pipeline.ledger.models import EvidenceFile, Frame
    from pipeline.review.store import open_db

    det_id, frame_id, _, _ = _first_evidence(db_url)
    db = open_db(db_url)
    with db.write() as session:
        session.execute(update(Frame).values(path="/gone/DJI_0001.JPG"))
        session.execute(update(EvidenceFile).values(path="/gone/crop.jpg"))
    db.dispose()
    client = client_for("view")
    for url in (f"/media/crop/{det_id}.jpg", f"/media/frame/{frame_id}.jpg"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.headers["x-hehu-placeholder"] == "frame-unavailable"


def test_a_frame_whose_name_is_not_utf8_is_served_cropped_and_named_escaped(
    make_app, hasher, tmp_path, monkeypatch
) -> None:
    """Its ledger row keeps the exact bytes: the media routes and the evidence crops open
    the file by them, the issue page names it escaped (issue 14)."""
    import os

    from fastapi.testclient import TestClient

    from pipeline.config import load_config
    from pipeline.evidence_crops import write_evidence
    from pipeline.flight import FlightPlan
    from pipeline.ledger.db import make_engine, upgrade
    from pipeline.ledger.models import Detection, EvidenceFile, Frame
    from pipeline.review.store import open_db
    from tests.review.review_helpers import (
        SAMPLE_FRAMES,
        add_users,
        push_hand_labelled_sample_flight,
    )

    folder = tmp_path / "flight"
    folder.mkdir()
    gbk = os.fsdecode(b"\xba\xd3\xb5\xc0_0030.JPG")  # "河道" in GBK
    for src in SAMPLE_FRAMES.glob("*.JPG"):
        shutil.copyfile(src, folder / (gbk if src.name == "DJI_0030.JPG" else src.name))
    url = f"sqlite:///{tmp_path / 'names.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    pushed = push_hand_labelled_sample_flight(url, folder, renamed={"DJI_0030.JPG": gbk})
    add_users(url, hasher)
    db = open_db(url)
    with db.read() as session:
        frame = session.scalars(select(Frame).where(Frame.path_bytes.is_not(None))).one()
        det_ids = session.scalars(select(Detection.id).where(Detection.frame_id == frame.id))
        det_id = min(det_ids)
        assert (frame.path, frame.path_bytes) == (
            f"{folder}/\\xba\u04f5\\xc0_0030.JPG",
            os.fsencode(folder / gbk),
        )
    with TestClient(make_app(url)) as client:
        assert log_in(client, "rev").status_code == 303
        for url_path in (f"/media/frame/{frame.id}.jpg", f"/media/crop/{det_id}.jpg"):
            got = client.get(url_path)
            assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
            assert "x-hehu-placeholder" not in got.headers, got.headers
        pages = "".join(client.get(f"/issues/{c}").text for c in pushed.created)
        assert ">\\xba\u04f5\\xc0_0030.JPG<" in pages  # the name, not "xc0_0030.JPG"

    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "home"))
    plan = FlightPlan(pushed.flight_key, "names", str(folder), (), ())
    assert write_evidence(plan, pushed, load_config(None, {"ledger": {"url": url}})) > 0
    with db.read() as session:
        crops = session.scalars(
            select(EvidenceFile.path).join(Detection).where(Detection.frame_id == frame.id)
        ).all()
    db.dispose()
    assert crops and all(Path(p).is_file() for p in crops)
