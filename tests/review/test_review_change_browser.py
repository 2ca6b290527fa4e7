"""A new change (新增变化) in Debian's chromium: the before/after pair shows, confirming needs
a chosen 四乱 subtype (the form will not send without one), then the change takes its type.

Run with ``pytest --all`` (``browser`` tests are skipped by default).
"""

from __future__ import annotations

import re

import pytest

from tests.review.live import chromium_available
from tests.review.review_helpers import issue
from tests.review.test_review_change import file_change

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright"),
]


def test_a_change_is_confirmed_as_the_chosen_subtype(page_for, base, db_url, tmp_path) -> None:
    code, _ = file_change(db_url, tmp_path)
    page = page_for("rev")
    page.goto(f"{base}/issues/{code}")
    page.wait_for_load_state("networkidle")
    assert page.eval_on_selector("#change img", "img => img.naturalWidth") == 120
    assert "变化面积约 150 平方米" in page.inner_text("#change")
    page.click("#do-confirm")  # no subtype chosen: the browser keeps the form
    assert page.eval_on_selector("#form-confirm select[name=subtype]",
                                 "s => s.validity.valueMissing")  # fmt: skip
    assert issue(db_url, code).status == "candidate"
    page.select_option("#form-confirm select[name=subtype]", "luandui.garbage")
    page.click("#do-confirm")
    page.wait_for_url(re.compile(r".*done=confirm.*"))
    row = issue(db_url, code)
    assert (row.status, row.type, row.subtype) == ("confirmed", "luandui", "luandui.garbage")
