"""The candidate page merges a duplicate into the issue of the same object, audited."""

from __future__ import annotations

from tests.review.review_helpers import act, history, issue, issue_version, merged_issue


def _split_off(rev, db_url) -> tuple[str, str]:
    """Split a sighting off a two-sighting candidate: two candidates of one object."""
    code, ids = merged_issue(db_url)
    assert act(rev, db_url, code, "split", detection_id=str(ids[-1])).status_code == 303
    entry = [h for h in history(db_url, code) if h.field == "evidence"][-1]
    return code, entry.note.split(" into ", 1)[1].split(":", 1)[0]


def test_a_split_off_sighting_merges_back(client_for, db_url) -> None:
    rev = client_for("rev")
    code, new = _split_off(rev, db_url)
    page = rev.get(f"/issues/{new}").text
    assert 'action="/issues/' + new + '/merge"' in page
    assert f'<option value="{code}">' in page  # the original is offered, nearest first
    response = act(rev, db_url, new, "merge", into=code, note="同一处")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/issues/{code}?")
    kept = rev.get(response.headers["location"]).text
    assert f"已将 {new} 合并到此问题" in kept and "合并而来" in kept
    gone = issue(db_url, new)
    assert gone.status == "merged" and gone.merged_into_id == issue(db_url, code).id
    entry = [h for h in history(db_url, new) if h.new_value == "merged"][-1]
    assert entry.actor == "rev" and "同一处" in entry.note
    page = rev.get(f"/issues/{new}").text
    assert "已合并到" in page and f'href="/issues/{code}"' in page
    assert 'action="/issues/' + new + '/merge"' not in page  # nothing left to act on
    assert issue_version(db_url, code) == 3  # split, then merge


def test_merge_errors_are_shown_and_write_nothing(client_for, db_url) -> None:
    rev = client_for("rev")
    code, new = _split_off(rev, db_url)
    for fields, words in (
        ({"into": new}, "into itself"),
        ({"into": "000000-1999-0001"}, "no issue with code"),
        ({}, "needs the code"),
    ):
        response = act(rev, db_url, new, "merge", **fields)
        assert response.status_code in (400, 404) and words in response.text
    assert act(rev, db_url, new, "merge", version=7, into=code).status_code == 409
    assert issue(db_url, new).status == "candidate"
    viewer = client_for("view")
    assert act(viewer, db_url, new, "merge", into=code).status_code == 403
