"""The recheck (复查) panel in Debian's chromium: the before/after pair shows, 复查销号 closes.

Run with ``pytest --all`` (``browser`` tests are skipped by default).
"""

from __future__ import annotations

import re

import pytest

from tests.review.live import chromium_available
from tests.review.review_helpers import candidate_codes, issue
from tests.review.test_review_recheck import _picture, record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright"),
]


def _to_rectified(db_url: str, code: str) -> None:
    import datetime as dt

    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.workflow import transition

    engine = make_engine(db_url)
    assign = {"responsible_unit": "u", "deadline": dt.date(2026, 12, 31)}
    steps = (("confirmed", None), ("assigned", assign), ("rectifying", None), ("rectified", None))
    with make_session_factory(engine).begin() as session:
        for version, (to, changes) in enumerate(steps, start=1):
            transition(session=session, code=code, to=to, expected_version=version,
                       actor="rev", changes=changes)  # fmt: skip
    engine.dispose()


def test_the_pair_shows_and_a_gone_issue_closes(page_for, base, db_url, tmp_path) -> None:
    code = candidate_codes(db_url)[0]
    _to_rectified(db_url, code)
    record(db_url, code, "gone", _picture(tmp_path, (20, 200, 20)), "later-browser")
    page = page_for("rev")
    page.goto(f"{base}/issues/{code}")
    page.wait_for_load_state("networkidle")
    width = page.eval_on_selector("#rechecks img", "img => img.naturalWidth")
    assert width == 120
    assert "已消失" in page.inner_text("#rechecks")
    page.click("#do-close-recheck")
    page.wait_for_url(re.compile(r".*done=close_recheck.*"))
    assert issue(db_url, code).status == "closed"
    assert page.locator("#form-close-recheck").count() == 0
