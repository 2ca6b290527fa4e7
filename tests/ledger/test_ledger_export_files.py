"""Export targets that cannot be written, KMZ with the crops inside, human times in CSV."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import zipfile
from xml.etree import ElementTree as ET

import pytest

from pipeline.cli import main
from pipeline.errors import BadInputError
from pipeline.ledger.export import HEADERS, KML_NS, export_issues, human_time
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import crop_paths, list_issues
from tests.ledger.ledger_helpers import flight_inputs


@pytest.fixture
def issues(session_factory, zones):
    flight, frames, dets = flight_inputs("A")
    push_flight(
        session_factory=session_factory, flight=flight, frames=frames, detections=dets, zones=zones
    )
    with session_factory() as session:
        return list_issues(session=session)


def test_a_folder_given_as_the_file_is_one_line(tmp_path, issues) -> None:
    with pytest.raises(BadInputError) as e:
        export_issues(issues, "csv", tmp_path)
    assert str(e.value) == f"{tmp_path} is a folder; give a file name, e.g. {tmp_path / '台账.csv'}"


def test_a_missing_folder_is_not_created(tmp_path, issues) -> None:
    out = tmp_path / "no" / "such" / "台账.xlsx"
    with pytest.raises(BadInputError, match=r"the folder .*/no/such does not exist; create it"):
        export_issues(issues, "xlsx", out)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.EACCES, "permission denied; choose a folder you may write to, e.g. "),
        (errno.EROFS, "the disk is read-only; choose a path on another disk"),
        (errno.ENOSPC, "the disk is full; free some space or choose another disk"),
    ],
)
def test_write_errors_are_one_line_and_leave_nothing(tmp_path, issues, monkeypatch, code, says):
    import pipeline.ledger.export as export

    def refuse(issues, part, **kwargs):
        part.write_text("half")
        raise OSError(code, "refused")

    monkeypatch.setattr(export, "write_csv", refuse)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "台账.csv"
    with pytest.raises(BadInputError) as e:
        export_issues(issues, "csv", out)
    assert str(e.value).startswith(f"cannot write {out}: {says}")
    assert list((tmp_path / "out").iterdir()) == []  # no half-written file


def test_cli_export_to_an_unwritable_path_prints_one_line(db_url, issues, tmp_path, capsys):
    assert main(["export", "--db", db_url, str(tmp_path / "missing" / "x.kml")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hehu: error: ") and "does not exist" in err


def test_csv_times_use_the_xlsx_format(tmp_path, issues) -> None:
    out = export_issues(issues, "csv", tmp_path / "ledger.csv")
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    found = rows[1][HEADERS.index("发现时间")]
    assert found == issues[0].discovered_at.strftime("%Y-%m-%d %H:%M:%S")
    assert "T" not in found and len(found) == 19


def test_human_time_shows_zoned_times_in_the_office_zone() -> None:
    utc = dt.datetime(2024, 5, 1, 2, 0, 0, 123456, tzinfo=dt.UTC)
    assert human_time(utc) == "2024-05-01 10:00:00"  # Asia/Shanghai by default
    assert human_time(utc, "Europe/Berlin") == "2024-05-01 04:00:00"
    assert human_time(dt.datetime(2024, 5, 1, 9, 30)) == "2024-05-01 09:30:00"  # camera time
    assert human_time(dt.date(2024, 5, 1)) == "2024-05-01"
    assert human_time(3.5) == 3.5


def test_kmz_holds_doc_kml_first_and_the_crops_by_relative_href(tmp_path, issues) -> None:
    crop = tmp_path / "crop.jpg"
    crop.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")
    first = issues[0].code
    out = export_issues(issues, "kmz", tmp_path / "ledger.kmz", crops={first: str(crop),
                        "gone": str(tmp_path / "missing.jpg")})  # fmt: skip
    with zipfile.ZipFile(out) as kmz:
        names = kmz.namelist()
        assert names == ["doc.kml", f"files/{first}.jpg"]
        assert kmz.read(f"files/{first}.jpg") == crop.read_bytes()
        root = ET.fromstring(kmz.read("doc.kml"))
    ns = {"k": KML_NS}
    marks = root.findall("k:Document/k:Placemark", ns)
    assert len(marks) == len(issues)
    described = marks[0].findtext("k:description", namespaces=ns)
    assert f"<img src='files/{first}.jpg'" in described and "file://" not in described
    assert "file://" in marks[1].findtext("k:description", namespaces=ns)  # no crop: the photo


def test_crop_paths_and_cli_kmz(db_url, session_factory, issues, tmp_path, capsys) -> None:
    from sqlalchemy import select

    from pipeline.ledger.evidence import add_evidence_file
    from pipeline.ledger.models import Evidence, Issue

    crop = tmp_path / "c.jpg"
    crop.write_bytes(b"\xff\xd8crop\xff\xd9")
    code = issues[0].code
    with session_factory.begin() as session:
        detection_id = session.scalars(
            select(Evidence.detection_id).join(Issue).where(Issue.code == code)
        ).first()
        add_evidence_file(session=session, detection_id=detection_id, kind="crop",
                          path=str(crop), sha256="c" * 64, source_sha256="s" * 64)  # fmt: skip
    with session_factory() as session:
        assert crop_paths(session=session, codes=[v.code for v in issues]) == {code: str(crop)}
    out = tmp_path / "台账.kmz"
    assert main(["export", "--db", db_url, str(out)]) == 0
    assert f"→ {out}, 1 evidence crop(s) inside" in capsys.readouterr().out
    with zipfile.ZipFile(out) as kmz:
        assert kmz.read(f"files/{code}.jpg") == crop.read_bytes()
