"""The case dossier rendered to PNG and read back with pypdfium2: pages, Chinese text, map,
crops, hashes; the zip's SHA256SUMS; a missing original; a missing font; the command."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.dossier.content import gather
from pipeline.dossier.mapdraw import ZONE
from pipeline.dossier.package import pack, render, write_dossier
from pipeline.dossier.sections import SECTIONS
from pipeline.errors import MissingDependencyError
from pipeline.review.layers import load_zones_geojson
from tests.review.review_helpers import (
    SAMPLE_FRAMES,
    ZONES_DIR,
    build_sample_ledger,
    push_hand_labelled_sample_flight,
    read,
)

pdfium = pytest.importorskip("pypdfium2")
NOW = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dossier') / 'ledger.sqlite'}"
    build_sample_ledger(url)
    return url


def most_seen(url: str) -> str:
    """The code of the issue with the most sightings (the shed: three frames)."""
    from sqlalchemy import func, select

    from pipeline.ledger.models import Evidence, Issue

    query = (select(Issue.code).join(Evidence, Evidence.issue_id == Issue.id)
             .group_by(Issue.code).order_by(func.count().desc(), Issue.code))  # fmt: skip
    return read(url, lambda session: session.scalars(query).first())


def dossier_of(url: str, code: str | None = None):
    code = code or most_seen(url)
    zones, labels = load_zones_geojson(ZONES_DIR), {"luanjian.shed": "简易棚房"}
    return read(url, lambda session: gather(session=session, code=code, zones=zones, now=NOW,
                                            subtype_labels=labels))  # fmt: skip


def pages(pdf: bytes) -> list:
    return list(pdfium.PdfDocument(pdf))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pages(pdf))


def test_pages_hold_the_chinese_fields_positions_and_hashes(ledger) -> None:
    d = dossier_of(ledger)
    pdf = render(d)
    text = text_of(pdf)
    assert len(pages(pdf)) >= 2 and len(d.sightings) == 3
    for expected in (d.issue.code, "河长", "示例湖长", "乱建", "简易棚房", "责任单位",
                     "示例县河长制办公室", "CGCS2000", "EPSG:4490", "WGS-84", "审核与处理记录",
                     f"{d.issue.lat:.7f}", "Brighton 2016-06-23", "待审核"):  # fmt: skip
        assert expected in text, expected
    for s in d.sightings:
        assert s.frame_name in text and s.frame_sha256 in text
        assert hashlib.sha256(s.pictures.crop).hexdigest() in text
    assert "未核验" not in text and all(f.verified for f in d.files)  # originals match the ledger


def test_every_sighting_shows_a_crop_and_a_thumbnail(ledger) -> None:
    d = dossier_of(ledger)
    images = sum(len(list(page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE])))
                 for page in pages(render(d)))  # fmt: skip
    assert images == 2 * len(d.sightings)
    assert all(s.pictures.crop and s.pictures.thumbnail for s in d.sightings)
    assert all(s.pictures.watermark.endswith(d.issue.code) for s in d.sightings)


def test_the_rendered_first_page_shows_text_and_the_map(ledger, tmp_path) -> None:
    import numpy as np

    image = pages(render(dossier_of(ledger)))[0].render(scale=1).to_pil().convert("RGB")
    image.save(tmp_path / "page1.png")
    pixels = np.asarray(image).astype(int)
    zone = np.all(np.abs(pixels - np.array(ZONE["fill"])) <= 3, axis=2).mean()
    assert zone > 0.03  # the zone's fill covers part of the page: the map is drawn
    title = pixels[30:70, 150:450]  # the title 河湖“四乱”问题案卷, centred at the top
    assert (title.sum(axis=2) < 200).mean() > 0.02  # dark glyphs, not blank or tofu boxes


def test_a_section_is_one_more_function(ledger) -> None:
    def before_after(pdf, d) -> None:
        pdf.heading("整改前后对比")

    text = text_of(render(dossier_of(ledger), sections=(*SECTIONS, before_after)))
    assert "六、整改前后对比" in text  # numbered after the five sections with something to show


def test_the_zip_verifies_with_its_sha256sums(ledger, tmp_path) -> None:
    d = dossier_of(ledger)
    buffer = io.BytesIO()
    pack(d, render(d), buffer)
    with zipfile.ZipFile(buffer) as archive:
        sums = [line.split("  ", 1) for line in archive.read("SHA256SUMS").decode().splitlines()]
        for digest, member in sums:
            assert hashlib.sha256(archive.read(member)).hexdigest() == digest, member
        members = {m for _, m in sums}
        manifest = json.loads(archive.read("manifest.json"))
    originals = {s.frame_sha256 for s in d.sightings}
    assert {digest for digest, m in sums if m.startswith("originals/")} == originals
    assert sum(m.startswith("crops/") for m in members) == len(d.sightings)
    assert f"{d.issue.code}.pdf" in members and manifest["code"] == d.issue.code


def test_a_missing_original_is_said_not_hidden(tmp_path) -> None:
    frames = tmp_path / "frames"
    shutil.copytree(SAMPLE_FRAMES, frames)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    from pipeline.ledger.db import make_engine, upgrade

    upgrade(make_engine(url))
    push_hand_labelled_sample_flight(url, frames_dir=frames)
    (frames / "DJI_0031.JPG").unlink()
    d = dossier_of(url)
    lost = [s for s in d.sightings if s.frame_name == "DJI_0031.JPG"]
    assert lost and not lost[0].pictures.original_ok and lost[0].pictures.crop is None
    text = text_of(render(d))
    assert "原始照片不可用" in text and "未核验" in text
    written = write_dossier(d, tmp_path / "案卷.pdf", with_zip=True)
    with zipfile.ZipFile(written[1]) as archive:
        assert not [m for m in archive.namelist() if m.endswith("DJI_0031.JPG")]


def test_no_cjk_font_names_the_package(ledger, monkeypatch) -> None:
    import pipeline.dossier.pdf as pdf

    monkeypatch.setattr(pdf, "CJK_FONTS", ((Path("/nonexistent/wqy.ttc"), 0),))
    with pytest.raises(MissingDependencyError, match="fonts-wqy-microhei"):
        render(dossier_of(ledger))


def test_cli_writes_the_pdf_and_the_zip(ledger, tmp_path, capsys) -> None:
    code = most_seen(ledger)
    out = tmp_path / "案卷.pdf"
    assert main(["dossier", code, "--db", ledger, "--out", str(out), "--zip"]) == 0
    said = capsys.readouterr().out
    assert "3 sighting(s)" in said and out.is_file() and out.with_suffix(".zip").is_file()
    assert code in text_of(out.read_bytes())
    assert main(["dossier", "999999-2016-0001", "--db", ledger, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hehu ledger list" in err


def test_the_crop_processing_recorded_is_used_unless_changed(tmp_path) -> None:
    from pipeline.ledger.evidence import add_evidence_file
    from pipeline.review.store import open_db

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    build_sample_ledger(url)
    first = dossier_of(url).sightings[0]
    crop = tmp_path / "recorded.jpg"
    crop.write_bytes(first.pictures.crop)  # any JPEG: what matters is its recorded sha256
    db = open_db(url)
    with db.write() as session:
        add_evidence_file(session=session, detection_id=first.detection_id, kind="crop",
                          path=str(crop), sha256=hashlib.sha256(crop.read_bytes()).hexdigest(),
                          source_sha256=first.frame_sha256, watermark="recorded mark")  # fmt: skip
    db.dispose()
    used = dossier_of(url).sightings[0].pictures
    assert used.crop_recorded and used.crop_name == "recorded.jpg"
    assert used.watermark == "recorded mark" and used.crop == crop.read_bytes()
    assert "处理时记录的截图" in text_of(render(dossier_of(url)))
    crop.write_bytes(crop.read_bytes() + b"changed")
    again = dossier_of(url).sightings[0].pictures
    assert not again.crop_recorded and again.crop_name != "recorded.jpg"


def test_an_issue_without_footprints_or_originals_still_has_its_dossier(tmp_path) -> None:
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.push import push_flight
    from pipeline.ledger.zones import load_zones
    from tests.ledger.ledger_helpers import flight_inputs

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    flight, frames, dets = flight_inputs("A")  # frames under /flights/: not on this machine
    push_flight(session_factory=make_session_factory(engine), flight=flight, frames=frames,
                detections=dets, zones=load_zones(ZONES_DIR))  # fmt: skip
    engine.dispose()
    d = dossier_of(url)
    assert d.zone_rings and not any(s.footprint or s.pictures.crop for s in d.sightings)
    pdf = render(d)
    text = text_of(pdf)
    assert d.issue.code in text and text.count("原始照片不可用") >= len(d.sightings)
    image = pages(pdf)[0].render(scale=1).to_pil().convert("RGB")
    import numpy as np

    zone = np.all(np.abs(np.asarray(image).astype(int) - np.array(ZONE["fill"])) <= 3, axis=2)
    assert zone.mean() > 0.01  # the map still shows the zone around the point


def test_a_recorded_recheck_shows_its_before_after_picture(tmp_path) -> None:
    import cv2
    import numpy as np
    from sqlalchemy import select

    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.models import Flight
    from pipeline.ledger.rechecks import VerdictRecord, record_rechecks

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    build_sample_ledger(url)
    code = most_seen(url)
    picture = tmp_path / "pair.jpg"
    _, jpeg = cv2.imencode(".jpg", np.full((120, 320, 3), 200, np.uint8))
    picture.write_bytes(jpeg.tobytes())
    digest = hashlib.sha256(picture.read_bytes()).hexdigest()
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            key = session.scalars(select(Flight.key)).first()
        verdict = VerdictRecord(code, "gone", "appearance", residual_px=0.8, residual_m=0.03,
                                meets_rule=True, evidence_path=str(picture),
                                evidence_sha256=digest)  # fmt: skip
        record_rechecks(session_factory=factory, flight_key=key, verdicts=[verdict], actor="t")
    finally:
        engine.dispose()

    d = dossier_of(url, code)
    assert [r.picture for r in d.rechecks] == [picture.read_bytes()]
    assert digest in {f.sha256 for f in d.files}
    text = text_of(render(d))
    assert "四、复查前后对比（1 次）" in text and "已消失" in text and "五、审核与处理记录" in text

    picture.write_bytes(picture.read_bytes() + b"\0")  # changed after it was recorded
    d = dossier_of(url, code)
    assert d.rechecks[0].picture is None and digest not in {f.sha256 for f in d.files}
    assert "sha256 不符" in text_of(render(d))
