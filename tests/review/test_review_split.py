"""The candidate page shows how each sighting joined its issue and splits one off, audited."""

from __future__ import annotations

from tests.review.review_helpers import act, history, issue_version, merged_issue


def test_page_shows_association_and_splits_a_sighting(client_for, db_url) -> None:
    rev = client_for("rev")
    code, ids = merged_issue(db_url)
    assert code is not None, "the sample ledger should hold an issue seen twice"
    page = rev.get(f"/issues/{code}").text
    assert "首次发现，开立此问题" in page and "门限" in page
    assert page.count('action="/issues/' + code + '/split"') == len(ids)
    response = act(rev, db_url, code, "split", detection_id=str(ids[-1]), note="两辆车")
    assert response.status_code == 303
    entry = [h for h in history(db_url, code) if h.field == "evidence"][-1]
    assert entry.actor == "rev" and f"detection {ids[-1]} split off {code}" in entry.note
    new_code = entry.note.split(" into ", 1)[1].split(":", 1)[0]
    assert history(db_url, new_code)[0].new_value == "candidate"
    assert "拆分而来" in rev.get(f"/issues/{new_code}").text
    assert issue_version(db_url, code) == 2


def test_split_needs_a_sighting_of_the_issue(client_for, db_url) -> None:
    rev = client_for("rev")
    code, _ = merged_issue(db_url)
    response = act(rev, db_url, code, "split", detection_id="999999")
    assert response.status_code == 400 and "not evidence of" in response.text
    assert act(rev, db_url, code, "split", detection_id="x").status_code == 400
