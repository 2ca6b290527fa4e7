"""The queue: filters, sorting, pagination, neighbours; on a ledger of made-up issues."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.review.queue import (
    QueueFilter,
    filter_options,
    matching_codes,
    neighbour_code,
    queue_page,
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def queue_db(tmp_path_factory):
    """Two flights: 12 issues with known types, confidences, areas, rivers (by zone)."""
    from pipeline.ledger.config import LedgerConfig
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.records import FrameMeta, GpsFix, GroundDetection
    from pipeline.review.store import open_db

    url = f"sqlite:///{tmp_path_factory.mktemp('queue') / 'q.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    types = ["luandui.garbage", "luancai.excavator", "luanjian.shed", "luanzhan.fence"]
    for f in range(2):
        frames, dets = [], []
        for i in range(6):
            n = f * 6 + i
            name = f"F{f}_{i}"
            lat, lon = 30.0 + n * 0.01, 114.0  # ~1.1 km apart: one issue each
            frames.append(FrameMeta(
                path=f"/nowhere/{name}.JPG", sha256=_sha(name), size_bytes=1,
                media_type="image/jpeg", width_px=4000, height_px=3000,
                captured_at=f"2024-05-0{f + 1}T10:00:{i:02d}", gps=GpsFix(lat, lon, 50.0),
            ))  # fmt: skip
            dets.append(GroundDetection(
                frame_sha256=_sha(name), frame_path=f"/nowhere/{name}.JPG", model="m",
                model_sha256="a" * 64, class_name="c", subtype=types[n % 4],
                conf=round(0.05 + n * 0.08, 2), xyxy_px=(10, 10, 50, 50), lat_deg=lat,
                lon_deg=lon, area_m2=100.0 * (n + 1) if n < 11 else 6000.0,
                captured_at=f"2024-05-0{f + 1}T10:00:00",
            ))  # fmt: skip
        push_flight(
            session_factory=factory,
            flight=FlightRef(key=f"fl{f}", name=f"flight {f}"),
            frames=frames,
            detections=dets,
            config=LedgerConfig(plausible_area_m2={}),  # test areas, not real objects' sizes
        )
    with factory.begin() as session:  # rivers and zones as a zone file would set them
        from sqlalchemy import update

        from pipeline.ledger.models import Issue

        session.execute(update(Issue).where(Issue.lat_deg < 30.025).values(
            river_name="清河", zone_id="qing-1"))  # fmt: skip
        session.execute(update(Issue).where(Issue.lat_deg > 30.085).values(
            river_name="清河", zone_id="qing-2"))  # fmt: skip
    engine.dispose()
    db = open_db(url)
    yield db
    db.dispose()


def page(db, **kw):
    size = kw.pop("size", 50)
    number = kw.pop("page", 1)
    with db.read() as session:
        return queue_page(session=session, filt=QueueFilter(**kw), page=number, size=size)


def test_default_is_candidates_by_confidence(queue_db) -> None:
    result = page(queue_db)
    assert result.total == 12
    confs = [r.max_conf for r in result.rows]
    assert confs == sorted(confs, reverse=True) and confs[0] == pytest.approx(0.93)
    assert all(r.frames == 1 and r.flights == 1 and r.best_detection_id for r in result.rows)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"type": "luandui"}, 3),
        ({"type": "nonsense"}, 12),  # unknown values are dropped, never an error
        ({"river": "清河"}, 6),
        ({"zone": "qing-2"}, 3),
        ({"min_conf": 0.5}, 6),
        ({"min_conf": 0.5, "type": "luanjian"}, 2),
        ({"status": "confirmed"}, 0),
        ({"status": "open"}, 12),
    ],
)
def test_filters(queue_db, filters, expected) -> None:
    assert page(queue_db, **filters).total == expected


def test_flight_filter(queue_db) -> None:
    with queue_db.read() as session:
        options = filter_options(session=session)
    assert [name for _, name in options.flights] == ["flight 1", "flight 0"]
    assert options.rivers == (("清河", ("qing-1", "qing-2")),)
    flight1 = options.flights[0][0]
    rows = page(queue_db, flight=flight1).rows
    assert len(rows) == 6 and all(r.discovered_at.day == 2 for r in rows)


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("conf", "max_conf", True),
        ("conf_asc", "max_conf", False),
        ("area", "area_m2", True),
        ("code", "code", False),
    ],
)
def test_sorting(queue_db, sort, key, reverse) -> None:
    values = [getattr(r, key) for r in page(queue_db, sort=sort).rows]
    assert values == sorted(values, reverse=reverse)


def test_severity_sort_puts_major_first(queue_db) -> None:
    rows = page(queue_db, sort="severity").rows
    ranks = {"major": 3, "serious": 2, "general": 1, None: 0}
    assert [ranks[r.severity] for r in rows] == sorted((ranks[r.severity] for r in rows),
                                                       reverse=True)  # fmt: skip
    assert rows[0].severity == "major"


def test_pagination(queue_db) -> None:
    first = page(queue_db, size=5, page=1)
    third = page(queue_db, size=5, page=3)
    past = page(queue_db, size=5, page=99)
    assert (first.pages, len(first.rows), len(third.rows)) == (3, 5, 2)
    assert past.page == 3 and past.rows == third.rows
    all_codes = [r.code for p in (1, 2, 3) for r in page(queue_db, size=5, page=p).rows]
    with queue_db.read() as session:
        assert all_codes == matching_codes(session=session, filt=QueueFilter())


def test_neighbours_follow_the_queue_order(queue_db) -> None:
    codes = [r.code for r in page(queue_db).rows]
    with queue_db.read() as session:
        filt = QueueFilter()
        assert neighbour_code(session=session, filt=filt, code=codes[0]) == codes[1]
        assert neighbour_code(session=session, filt=filt, code=codes[1], step=-1) == codes[0]
        assert neighbour_code(session=session, filt=filt, code=codes[-1]) is None
        # a code outside the filter is still placed in the order (it was just confirmed)
        only_dumping = QueueFilter(type="luandui")
        dumping = [r.code for r in page(queue_db, type="luandui").rows]
        outsider = next(c for c in codes if c not in dumping)
        assert neighbour_code(session=session, filt=only_dumping, code=outsider) in (
            *dumping, None,
        )  # fmt: skip


def test_queue_page_renders_filters_and_rows(client_for, db_url) -> None:
    rev = client_for("rev")
    html = rev.get("/queue?status=candidate&min_conf=0&sort=severity").text
    assert 'id="queue"' in html and "data-code=" in html
    assert '<option value="severity" selected>' in html
    rev.cookies.set("hehu_lang", "en")
    english = rev.get("/queue?type=luandui").text
    assert "Confidence, high first" in english
    assert 'href="/queue?status=confirmed&amp;type=luandui"' in english  # tabs keep the filters
