"""The candidate page in chromium: full-frame viewer (pan, zoom, box, keyboard), undo of a
keyboard decision, bulk decisions for operators (issue 15 item 8); screenshots in zh-CN.

``HEHU_UI_SHOTS=/some/folder`` also saves screenshots there.
"""

from __future__ import annotations

import re

import pytest

from tests.review.live import chromium_available, shot
from tests.review.review_helpers import candidate_codes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and playwright"),
]


def most_seen(db_url: str) -> str:
    """The candidate with the most sightings (so there is a next one to step to)."""
    from sqlalchemy import func, select

    from pipeline.ledger.models import Evidence, Issue
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.read() as session:
        code = session.execute(
            select(Issue.code)
            .join(Evidence, Evidence.issue_id == Issue.id)
            .where(Issue.status == "candidate")
            .group_by(Issue.code)
            .order_by(func.count().desc(), Issue.code)
        ).scalar()
    db.dispose()
    return code


def viewer_state(page):
    return page.evaluate(
        """() => { const m = document.getElementById('frame-viewer').hehuMap;
          const layers = []; m.eachLayer(l => layers.push(l));
          const img = layers.find(l => l instanceof L.ImageOverlay);
          const box = layers.find(l => l instanceof L.Rectangle);
          const b = img.getBounds(), r = box && box.getBounds();
          return { zoom: m.getZoom(), centre: [m.getCenter().lat, m.getCenter().lng],
                   image: [b.getWest(), -b.getNorth(), b.getEast(), -b.getSouth()],
                   box: r && [r.getWest(), -r.getNorth(), r.getEast(), -r.getSouth()],
                   src: img.getElement().src, natural: img.getElement().naturalWidth }; }"""
    )


def test_full_frame_viewer_pans_zooms_and_steps_through_sightings(page_for, base, db_url) -> None:
    code = most_seen(db_url)
    page = page_for("rev")
    page.goto(f"{base}/issues/{code}")
    page.wait_for_selector("#issue-map[data-ready]")
    shot(page, "candidate-zh.png")
    shot(page, "candidate-zh-full.png")
    sightings = page.evaluate("JSON.parse(document.getElementById('sightings').textContent)")
    page.keyboard.press("v")
    page.wait_for_selector("dialog.viewer[open][data-shown='0']")
    state = viewer_state(page)
    width, height = sightings[0]["size"]
    assert state["image"] == pytest.approx([0, 0, width, height])
    assert state["box"] == pytest.approx(sightings[0]["box"])  # in the original's pixels
    assert state["src"].endswith(sightings[0]["src"]) and state["natural"] > 1000
    shot(page, "viewer-zh.png")
    page.keyboard.press("+")
    page.wait_for_timeout(500)  # the zoom animation
    assert viewer_state(page)["zoom"] > state["zoom"]
    centre = viewer_state(page)["centre"]
    viewer = page.locator("#frame-viewer").bounding_box()
    page.mouse.move(viewer["x"] + viewer["width"] / 2, viewer["y"] + viewer["height"] / 2)
    page.mouse.down()
    page.mouse.move(
        viewer["x"] + viewer["width"] / 2 - 200, viewer["y"] + viewer["height"] / 2 - 100, steps=8
    )
    page.mouse.up()
    assert viewer_state(page)["centre"] != pytest.approx(centre)  # dragged: panned
    if len(sightings) > 1:
        page.keyboard.press("ArrowRight")
        page.wait_for_selector("dialog.viewer[data-shown='1']")
        assert viewer_state(page)["box"] == pytest.approx(sightings[1]["box"])
        assert page.inner_text("#viewer-count") == f"2 / {len(sightings)}"
        page.keyboard.press("ArrowLeft")
        page.wait_for_selector("dialog.viewer[data-shown='0']")
    page.keyboard.press("Escape")
    assert page.locator("dialog.viewer[open]").count() == 0
    page.click(".crops img >> nth=-1")  # a crop opens the viewer at its own sighting
    page.wait_for_selector(f"dialog.viewer[data-shown='{len(sightings) - 1}']")


def test_candidate_page_shows_no_english(page_for, base, db_url) -> None:
    page = page_for("rev")
    code = candidate_codes(db_url)[0]
    page.goto(f"{base}/issues/{code}")
    page.wait_for_selector("#issue-map[data-ready]")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    data = {s["caption"].split(" · ")[0] for s in page.evaluate(
        "JSON.parse(document.getElementById('sightings').textContent)")}  # fmt: skip
    flights = set(re.findall(r"Brighton[^\n\t·]*", text))
    for value in data | flights | {"WGS-84", "English", "hehu"}:
        text = text.replace(value.strip(), "")
    words = re.findall(r"[A-Za-z]{3,}", text)
    assert not words, words
    assert "UTC" not in text and "北京时间" in text


def test_undo_the_last_keyboard_decision_in_the_queue(page_for, base, db_url) -> None:
    page = page_for("rev")
    first = page.locator("table.queue tbody tr").nth(0).get_attribute("data-code")
    page.keyboard.press("c")
    page.wait_for_selector(f'tr[data-code="{first}"] [data-status="confirmed"]')
    toast = page.wait_for_selector(".toast")
    assert first in toast.inner_text() and "撤销" in toast.inner_text()
    shot(page, "queue-undo-zh.png")
    page.keyboard.press("z")
    page.wait_for_selector(f'tr[data-code="{first}"] [data-status="candidate"]')
    assert page.locator(f'tr[data-code="{first}"] button[data-act="confirm"]').count() == 1
    assert page.locator(".toast").count() == 0
    assert first in candidate_codes(db_url)
    page.goto(f"{base}/issues/{first}")
    rows = page.locator("#history tbody tr").all_inner_texts()
    assert "撤销确认" in rows[0] and "rev" in rows[0]


def test_undo_on_the_candidate_page_after_a_keyboard_rejection(page_for, base, db_url) -> None:
    page = page_for("rev")
    code = candidate_codes(db_url)[0]
    page.goto(f"{base}/issues/{code}?sort=code")
    page.keyboard.press("x")
    page.keyboard.press("2")  # 合法审批项目: rejects and goes on to the next
    page.wait_for_url(re.compile(r".*done=reject.*"))
    page.wait_for_selector("#do-undo")
    page.keyboard.press("z")
    page.wait_for_url(re.compile(r".*done=undo.*"))
    assert code in candidate_codes(db_url)
    assert "已撤销对" in page.inner_text(".banner.ok")


def test_bulk_confirm_for_an_operator(page_for, base, db_url) -> None:
    page = page_for("op")
    page.goto(f"{base}/queue")
    n = len(candidate_codes(db_url))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#do-bulk")
    page.wait_for_url(re.compile(r".*done=bulk_confirm.*"))
    assert f"已批量确认 {n} 条" in page.inner_text(".banner.ok")
    assert candidate_codes(db_url) == []
