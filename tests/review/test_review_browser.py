"""The review app in Debian's chromium (Playwright), on a live server with the processed flight.

Run with ``pytest --all`` (``browser`` tests are skipped by default). Needs
``apt-get install chromium`` and ``pip install playwright`` (no browser download).
"""

from __future__ import annotations

import re

import pytest

from tests.review.live import chromium_available, log_in, serve
from tests.review.review_helpers import candidate_codes, password_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright"),
]


def history_rows(page):
    return page.locator("#history tbody tr").all_inner_texts()


def test_confirm_and_reject_from_the_queue_with_the_keyboard(page_for, base, db_url) -> None:
    page = page_for("rev")
    rows = page.locator("table.queue tbody tr")
    first, second = rows.nth(0).get_attribute("data-code"), rows.nth(1).get_attribute("data-code")
    page.keyboard.press("c")  # confirm the selected (first) row
    page.wait_for_selector(f'tr[data-code="{first}"] [data-status="confirmed"]')
    assert "sel" in (rows.nth(1).get_attribute("class") or "")  # moved on to the next
    page.keyboard.press("x")
    page.wait_for_selector(".popover")
    page.keyboard.press("1")  # first reason: not a 四乱 object
    page.wait_for_selector(f'tr[data-code="{second}"] [data-status="false_positive"]')
    page.goto(f"{base}/issues/{first}")
    assert any("rev" in r and "已确认" in r for r in history_rows(page))
    page.goto(f"{base}/issues/{second}")
    assert any("rev" in r and "误报" in r and "非四乱对象" in r for r in history_rows(page))
    assert set(candidate_codes(db_url)).isdisjoint({first, second})


def test_candidate_page_shows_evidence_map_and_acts(page_for, base, db_url) -> None:
    page = page_for("rev")
    code = page.locator("table.queue tbody tr").nth(0).get_attribute("data-code")
    page.click(f'tr[data-code="{code}"] a.mono')
    page.wait_for_load_state("networkidle")
    sizes = page.eval_on_selector_all(".crops img", "imgs => imgs.map(i => i.naturalWidth)")
    assert sizes and all(w > 0 for w in sizes)
    assert page.locator("#issue-map.leaflet-container").count() == 1
    assert page.locator("#issue-map path.leaflet-interactive, #issue-map canvas").count() > 0
    page.click(".crops img >> nth=0")  # the full frame opens in the viewer
    page.wait_for_selector("dialog.viewer[open]")
    page.keyboard.press("Escape")
    page.locator("#form-reject input[name=reason]").nth(0).check()
    page.click("#do-reject")
    page.wait_for_url(re.compile(r".*done=reject.*"))
    assert "已标记误报" in page.inner_text(".banner.ok")
    assert code not in candidate_codes(db_url)


def test_conflict_between_two_reviewers(page_for, base, db_url) -> None:
    code = candidate_codes(db_url)[0]
    first, second = page_for("rev"), page_for("rev2")
    first.goto(f"{base}/issues/{code}")
    second.goto(f"{base}/issues/{code}")
    second.click("#do-confirm")  # rev2 confirms first
    second.wait_for_url(re.compile(r".*done=confirm.*"))
    first.locator("#form-reject input[name=reason]").nth(1).check()
    first.click("#do-reject")  # rev rejects the version they saw
    banner = first.wait_for_selector("#conflict")
    text = banner.inner_text()
    assert "rev2" in text and "没有保存" in text
    assert first.locator(".head [data-status]").get_attribute("data-status") == "confirmed"
    assert first.locator("#form-reject").count() == 0  # the page shows the current state
    assert first.locator("#history tr.new").count() >= 1
    rows = history_rows(first)
    assert not any(r.split("\t")[1:2] == ["rev"] for r in rows)  # nothing of rev's was written


def test_viewer_sees_but_cannot_act(page_for, base, db_url) -> None:
    page = page_for("view")
    assert page.locator("table.queue button[data-act]").count() == 0
    code = page.locator("table.queue tbody tr").nth(0).get_attribute("data-code")
    page.keyboard.press("c")
    page.goto(f"{base}/issues/{code}")
    assert page.locator("#actions").count() == 0
    page.keyboard.press("c")
    status = page.evaluate(
        """async (code) => {
            const r = await fetch('/api/issues/' + code + '/confirm', {method: 'POST',
              headers: {'Content-Type': 'application/json',
                        'X-CSRF-Token': document.body.dataset.csrf},
              body: JSON.stringify({version: 1})});
            return r.status; }""",
        code,
    )
    assert status == 403
    assert code in candidate_codes(db_url)


def test_language_switch(page_for, base) -> None:
    page = page_for("rev")
    assert page.inner_text("header nav a.on") == "审核队列"
    page.click("#lang-switch")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("header nav a.on") == "Queue"
    assert page.evaluate("document.documentElement.lang") == "en"


#: Before any page script: keep every Leaflet map the page makes, to open its tooltips and popups.
KEEP_MAPS = """
window.__maps = [];
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return window.__leaflet; },
  set(v) {
    window.__leaflet = v;
    v.Map.addInitHook(function () { window.__maps.push(this); });
  },
});
"""
OPEN_ALL = """() => {
  let opened = 0;
  for (const map of window.__maps) {
    map.eachLayer((l) => {
      if (l.getTooltip && l.getTooltip()) { l.openTooltip(); opened++; }
      if (l.getPopup && l.getPopup()) { l.openPopup(); opened++; }
    });
  }
  return opened;
}"""
#: Legal in a file name (no "/"); before the fix, the refresh navigated the reviewer away.
HOSTILE = '<b id="injected">x<meta http-equiv="refresh" content="0;url=about:blank">'


@pytest.fixture
def hostile_base(make_app, db_url):
    """A live app whose frame file names, flight and river names and basemap attribution hold
    markup."""
    from sqlalchemy import literal, update

    from pipeline.ledger.models import Flight, Frame, Issue
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.write() as session:
        session.execute(update(Flight).values(name=Flight.name + literal(HOSTILE)))
        session.execute(update(Frame).values(path=Frame.path + literal(HOSTILE)))
        session.execute(update(Issue).values(river_name=HOSTILE))
    db.dispose()
    app = make_app(basemap_url="http://127.0.0.1:9/{z}/{x}/{y}.png", basemap_attribution=HOSTILE)
    with serve(app) as url:
        yield url


def test_names_from_files_reach_maps_as_text(browser, hostile_base, db_url) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.add_init_script(KEEP_MAPS)
        log_in(page, hostile_base, "rev", password_of("rev"))
        code = candidate_codes(db_url)[0]
        pages = {
            f"{hostile_base}/issues/{code}": ".leaflet-tooltip-pane",  # frame names
            f"{hostile_base}/map": ".leaflet-popup-pane",  # river names
        }
        for url, pane in pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")  # the map page fetches its issues
            assert page.evaluate(OPEN_ALL) > 0  # (evaluate: the page's CSP forbids eval)
            assert page.locator("#injected").count() == 0, url
            assert page.locator(".leaflet-container meta").count() == 0, url
            # the markup is shown as the text it is, in the data and in the attribution
            assert '<b id="injected">' in page.inner_text(pane), url
            assert '<b id="injected">' in page.inner_text(".leaflet-control-attribution"), url
            assert page.url == url  # no refresh navigated away
        # flight names reach the layer switcher (which takes HTML) escaped
        page.wait_for_selector("#issues-map[data-ready]")
        assert '<b id="injected">' in page.inner_text(".leaflet-control-layers-overlays")
    finally:
        context.close()
