"""Integers from the outside (paths, queries, forms, JSON) never reach the database unbounded.

SQLite and PostgreSQL ``BIGINT`` stop at 2**63 - 1: a larger id is refused
at the door (404 for a path, 422 for a query, 400 for a form field), never a 500.
"""

from __future__ import annotations

import pytest

from tests.review.review_helpers import candidate_codes, issue_version, merged_issue

HUGE = "9" * 30
TOO_BIG = str(2**63)  # one above the largest 64-bit id


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/media/crop/{HUGE}.jpg", 404),
        ("/media/crop/99999999999999999999.jpg", 404),
        (f"/media/crop/{TOO_BIG}.jpg", 404),
        (f"/media/crop/-{HUGE}.jpg", 404),
        ("/media/crop/0.jpg", 404),
        (f"/media/frame/{HUGE}.jpg", 404),
        (f"/media/attachment/{HUGE}", 404),
        (f"/queue?flight={HUGE}", 422),
        (f"/queue?flight=-{HUGE}", 422),
        (f"/queue?flight={TOO_BIG}", 422),
        ("/queue?flight=abc", 422),
        (f"/export/issues.csv?flight={HUGE}", 422),
        (f"/issues/{{code}}?flight={HUGE}", 422),
        (f"/queue?page_no={HUGE}", 200),  # a page past the end shows the last
        (f"/issues/{{code}}/step?dir={HUGE}", 303),
    ],
)
def test_out_of_range_integers_are_refused_not_500(client_for, db_url, path, expected) -> None:
    client = client_for("view")
    url = path.format(code=candidate_codes(db_url)[0])
    response = client.get(url, follow_redirects=False, headers={"accept": "application/json"})
    assert response.status_code == expected, response.text


def test_largest_id_is_simply_not_found(client_for) -> None:
    response = client_for("view").get(f"/media/crop/{2**63 - 1}.jpg")
    assert response.status_code == 404 and "no detection" in response.text


def test_queue_with_the_largest_flight_id_is_empty(client_for) -> None:
    response = client_for("view").get(f"/queue?flight={2**63 - 1}")
    assert response.status_code == 200


@pytest.mark.parametrize("detection_id", [HUGE, TOO_BIG, f"-{HUGE}"])
def test_split_with_a_huge_detection_id_is_a_bad_request(client_for, db_url, detection_id) -> None:
    rev = client_for("rev")
    code, _ = merged_issue(db_url)
    version = issue_version(db_url, code)
    form = rev.post(
        f"/issues/{code}/split",
        data={"csrf_token": rev.csrf, "version": version, "detection_id": detection_id},
        follow_redirects=False,
    )
    assert form.status_code == 400 and "detection_id" in form.text
    api = rev.post(
        f"/api/issues/{code}/split",
        json={"version": version, "detection_id": int(detection_id)},
        headers={"x-csrf-token": rev.csrf},
    )
    assert api.status_code == 400 and "detection_id" in api.json()["message"]
    assert issue_version(db_url, code) == version


def test_action_form_with_a_huge_flight_filter_is_refused(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    version = issue_version(db_url, code)
    response = rev.post(
        f"/issues/{code}/confirm",
        data={"csrf_token": rev.csrf, "version": version, "flight": HUGE},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert issue_version(db_url, code) == version  # refused before anything was written
