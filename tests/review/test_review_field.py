"""Field checks: a patroller's dispatched issues nearest first, navigation links in GCJ-02
and BD-09, a field verdict with a photo checked by its own EXIF, and closure on it."""

from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest

from pipeline.geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from pipeline.review.field import check_photo, photo_label
from tests.review.field_helpers import north_of, photo
from tests.review.review_helpers import act, candidate_codes, history, issue


@pytest.mark.parametrize(
    ("offset_m", "taken", "expected", "label"),
    [
        (12, dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC), "verified", "拍摄位置距问题 12 m"),
        (80, dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC), "too_far", "超过 50 m"),
        (5, dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC), "before_dispatch", "交办之前"),
        (5, None, "no_time", "无拍摄时间"),
        (None, None, "no_gps", "无GPS位置，未核验"),
    ],
)
def test_a_photo_is_checked_against_the_issue(offset_m, taken, expected, label) -> None:
    spot = SimpleNamespace(lat_deg=30.0, lon_deg=120.0)
    at = north_of(30.0, 120.0, offset_m) if offset_m is not None else (None, None)
    check = check_photo(photo(*at, taken), issue=spot,
                        dispatched_at_utc=dt.datetime(2026, 12, 3, tzinfo=dt.UTC), tz=dt.UTC,
                        max_distance_m=50)  # fmt: skip
    assert check.status == expected
    if offset_m is not None:
        assert check.distance_m == pytest.approx(offset_m, rel=0.005)  # haversine: a sphere
    assert label in photo_label(check.status, check.distance_m, 50)


def dispatch(client, db_url: str, code: str) -> None:
    assert act(client, db_url, code, "confirm").status_code == 303
    assigned = act(client, db_url, code, "assign", responsible_unit="u", deadline="2026-12-31")
    assert assigned.status_code == 303


def submit(client, code: str, data: bytes, verdict: str = "rectified", key: str | None = None):
    page = client.get(f"/field/{code}").text
    key = key or re.search(r'name="client_key" value="([^"]+)"', page).group(1)
    files = {"photo": ("现场.jpg", io.BytesIO(data), "image/jpeg")}
    form = {"csrf_token": client.csrf, "client_key": key, "verdict": verdict, "note": "现场核实"}
    return client.post(f"/field/{code}", data=form, files=files, follow_redirects=False), key


def test_the_patroller_sees_dispatched_issues_nearest_first(field_client, db_url) -> None:
    first, second, *_ = candidate_codes(db_url)
    assert first not in field_client.get("/field").text  # a candidate is not dispatched yet
    dispatch(field_client, db_url, first)
    dispatch(field_client, db_url, second)
    assert issue(db_url, first).responsible_person == "张三"  # the grid's patroller
    near_second = north_of(issue(db_url, second).lat_deg, issue(db_url, second).lon_deg, 3)
    page = field_client.get(f"/field?lat={near_second[0]}&lon={near_second[1]}").text
    assert page.index(f'data-code="{second}"') < page.index(f'data-code="{first}"')
    assert "3 m" in page.split(f'data-code="{second}"')[1].split("</li>")[0]
    row = issue(db_url, first)
    glat, glon = wgs84_to_gcj02(row.lat_deg, row.lon_deg)
    blat, blon = wgs84_to_bd09(row.lat_deg, row.lon_deg)
    detail = field_client.get(f"/field/{first}").text
    assert f"position={glon:.7f},{glat:.7f}" in detail and "coordinate=gaode" in detail
    assert f"location={blat:.7f},{blon:.7f}" in detail and "coord_type=bd09ll" in detail


def test_a_field_verdict_with_a_verified_photo_closes_the_issue(field_client, db_url) -> None:
    code = candidate_codes(db_url)[0]
    dispatch(field_client, db_url, code)
    row = issue(db_url, code)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    shot = photo(*north_of(row.lat_deg, row.lon_deg, 12), now)
    sent, key = submit(field_client, code, shot)
    assert sent.status_code == 303
    again, _ = submit(field_client, code, shot, key=key)  # the phone retries: no second row
    assert again.status_code == 303
    page = field_client.get(f"/field/{code}").text
    assert page.count("拍摄位置距问题 12 m") == 1 and "/field-photo/" in page
    assert field_client.get(re.search(r'src="(/field-photo/\d+)"', page).group(1)).content == shot
    audit = [e for e in history(db_url, code) if e.field == "field_check"]
    assert [e.new_value for e in audit] == ["rectified (verified, 12 m)"]
    assert act(field_client, db_url, code, "start").status_code == 303
    assert act(field_client, db_url, code, "rectified", progress="完毕").status_code == 303
    closed = act(field_client, db_url, code, "close")  # no upload: the field photo is evidence
    assert closed.status_code == 303, closed.text
    assert issue(db_url, code).status == "closed"


def test_a_photo_without_gps_is_accepted_unverified_and_is_no_evidence(field_client, db_url):
    code = candidate_codes(db_url)[0]
    dispatch(field_client, db_url, code)
    sent, _ = submit(field_client, code, photo(None, None, None))
    assert sent.status_code == 303
    assert "照片无GPS位置，未核验" in field_client.get(f"/field/{code}").text
    act(field_client, db_url, code, "start")
    act(field_client, db_url, code, "rectified", progress="完毕")
    refused = act(field_client, db_url, code, "close")
    assert refused.status_code == 400 and "field check" in refused.text


def test_field_checks_need_a_dispatched_issue_and_a_photo(field_client, db_url) -> None:
    code = candidate_codes(db_url)[0]
    sent, _ = submit(field_client, code, photo(None, None, None))
    assert sent.status_code == 400 and "not dispatched" in sent.text
    dispatch(field_client, db_url, code)
    form = {"csrf_token": field_client.csrf, "client_key": "k" * 20, "verdict": "problem"}
    no_photo = field_client.post(f"/field/{code}", data=form, follow_redirects=False)
    assert no_photo.status_code == 400 and "needs a photo" in no_photo.text
    bad, _ = submit(field_client, code, photo(None, None, None), verdict="maybe")
    assert bad.status_code == 400


def test_the_issue_page_shows_the_field_checks(field_client, db_url) -> None:
    code = candidate_codes(db_url)[0]
    assert 'id="issue-field-checks"' not in field_client.get(f"/issues/{code}").text
    dispatch(field_client, db_url, code)
    row = issue(db_url, code)
    sent, _ = submit(field_client, code, photo(*north_of(row.lat_deg, row.lon_deg, 200), None))
    assert sent.status_code == 303
    page = field_client.get(f"/issues/{code}").text
    assert 'id="issue-field-checks"' in page and "拍摄位置距问题 200 m，超过 50 m" in page
