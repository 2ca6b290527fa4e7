"""The field check on a phone (390×844, touch, geolocation allowed) in chromium: the
patroller's list sorted from where they stand, a verdict with a photo, its distance shown;
the candidate and task pages fit the screen.

``HEHU_UI_SHOTS=/some/folder`` also saves screenshots there.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.review.field_helpers import north_of, photo
from tests.review.live import chromium_available, log_in, serve, shot
from tests.review.review_helpers import act, candidate_codes, issue, password_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright"),
]
PHONE = {"width": 390, "height": 844}


def overflow_px(page) -> int:
    """How far the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_patroller_checks_an_issue_on_a_phone(browser, field_client, make_app, db_url,
                                                tmp_path) -> None:  # fmt: skip
    first, second, *_ = candidate_codes(db_url)
    for code in (first, second):
        assert act(field_client, db_url, code, "confirm").status_code == 303
        assert act(field_client, db_url, code, "assign", responsible_unit="u",
                   deadline="2026-12-31").status_code == 303  # fmt: skip
    row = issue(db_url, second)
    here = north_of(row.lat_deg, row.lon_deg, 4)
    with serve(field_client.app) as base:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                      geolocation={"latitude": here[0], "longitude": here[1]},
                                      permissions=["geolocation"])  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base, "rev", password_of("rev"))
        page.goto(f"{base}/field")
        page.click("#field-locate")
        page.wait_for_selector("#field-sorted")
        codes = page.locator(".field-item").evaluate_all("els => els.map(e => e.dataset.code)")
        assert codes[:2] == [second, first]  # nearest first
        assert overflow_px(page) <= 0
        shot(page, "field-list-phone.png")
        page.click(f'.field-item[data-code="{second}"] a.field-code')
        assert page.get_attribute("#nav-amap", "href").startswith("https://uri.amap.com/marker")
        assert "coord_type=bd09ll" in page.get_attribute("#nav-baidu", "href")
        taken = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
        picture = tmp_path / "现场.jpg"
        picture.write_bytes(photo(*north_of(row.lat_deg, row.lon_deg, 12), taken))
        page.check('input[name="verdict"][value="rectified"]')
        page.set_input_files('input[name="photo"]', str(picture))
        page.click("#field-form button[type=submit]")
        page.wait_for_selector(".photo-check")
        assert page.inner_text(".photo-check") == "拍摄位置距问题 12 m"
        assert overflow_px(page) <= 0
        shot(page, "field-issue-phone.png")
        for path in (f"/issues/{first}", "/queue", "/map"):
            page.goto(base + path)
            assert overflow_px(page) <= 0, path
            page.wait_for_load_state("networkidle")
            shot(page, f"phone{path.replace('/', '-')}.png")
        context.close()


def test_a_check_made_offline_is_sent_once_when_the_network_returns(
    browser,
    field_client,
    db_url,
    tmp_path,
) -> None:
    from sqlalchemy import func, select

    from pipeline.review.field_models import FieldCheck
    from pipeline.review.store import open_db

    code = candidate_codes(db_url)[0]
    assert act(field_client, db_url, code, "confirm").status_code == 303
    assert act(field_client, db_url, code, "assign", responsible_unit="u",
               deadline="2026-12-31").status_code == 303  # fmt: skip
    row = issue(db_url, code)
    picture = tmp_path / "现场.jpg"
    picture.write_bytes(photo(*north_of(row.lat_deg, row.lon_deg, 8),
                              dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)))  # fmt: skip

    def rows() -> int:
        db = open_db(db_url)
        try:
            with db.read() as session:
                return session.scalar(select(func.count()).select_from(FieldCheck))
        finally:
            db.dispose()

    with serve(field_client.app) as base:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base, "rev", password_of("rev"))
        page.goto(f"{base}/field/{code}")
        context.set_offline(True)
        page.check('input[name="verdict"][value="problem"]')
        page.set_input_files('input[name="photo"]', str(picture))
        page.click("#field-form button[type=submit]")
        page.wait_for_selector("body[data-queued]")
        assert page.is_visible("#field-queue") and "无网络" in page.inner_text("#field-queue")
        assert rows() == 0
        context.set_offline(False)
        page.wait_for_selector("body[data-flushed]")
        assert rows() == 1
        page.goto(f"{base}/field")  # the queue is empty: nothing is sent again
        page.wait_for_load_state("networkidle")
        page.goto(f"{base}/field/{code}")
        assert page.inner_text(".photo-check") == "拍摄位置距问题 8 m"
        assert rows() == 1
        context.close()
