"""Every role × every action: 401 without a session, 403 without the permission, else allowed."""

from __future__ import annotations

import pytest

from tests.review.review_helpers import candidate_codes, issue_version

ROLES = {None: None, "view": "viewer", "rev": "reviewer", "op": "operator", "admin": "admin"}
RANK = ("viewer", "reviewer", "operator", "admin")

# (method, path template, permission, body kind)
ENDPOINTS = [
    ("GET", "/queue", "read", None),
    ("GET", "/queue?status=all&sort=severity", "read", None),
    ("GET", "/issues/{code}", "read", None),
    ("GET", "/issues/{code}/step?dir=1", "read", None),
    ("GET", "/map", "read", None),
    ("GET", "/api/issues.geojson", "read", None),
    ("GET", "/api/zones.geojson", "read", None),
    ("GET", "/media/crop/{det}.jpg", "read", None),
    ("GET", "/media/frame/{frame}.jpg?issue={code}", "read", None),
    ("GET", "/export/issues.geojson", "read", None),
    ("GET", "/export/issues.kml", "read", None),
    ("GET", "/export/issues.xlsx", "read", None),
    ("GET", "/export/issues.gpkg", "read", None),
    ("GET", "/export/dossier/{code}.pdf", "read", None),
    ("GET", "/stats", "read", None),
    ("GET", "/stats/rate.png", "read", None),
    ("GET", "/stats/export.xlsx", "read", None),
    ("POST", "/issues/{code}/confirm", "review", "form"),
    ("POST", "/issues/{code}/reject", "review", "form-reject"),
    ("POST", "/issues/{code}/edit", "review", "form-edit"),
    ("POST", "/issues/{code}/assign", "review", "form"),
    ("POST", "/issues/{code}/carry_over", "review", "form"),
    ("POST", "/issues/{code}/close", "review", "form"),
    ("POST", "/api/issues/{code}/confirm", "review", "json"),
    ("POST", "/api/issues/{code}/reject", "review", "json-reject"),
    ("GET", "/process", "process", None),
    ("POST", "/process", "process", "form-process"),
    ("GET", "/users", "admin", None),
    ("POST", "/users", "admin", "form-user"),
    ("POST", "/users/view/role", "admin", "form-role"),
    ("POST", "/users/view/password", "admin", "form-password"),
    ("POST", "/users/view/disable", "admin", "form"),
    ("POST", "/logout", "read", "form"),
]


def allowed(role: str | None, permission: str) -> bool:
    need = {"read": "viewer", "review": "reviewer", "process": "operator", "admin": "admin"}
    return role is not None and RANK.index(role) >= RANK.index(need[permission])


def _ids(db_url):
    from sqlalchemy import select

    from pipeline.ledger.models import Detection, Evidence, Issue
    from pipeline.review.store import open_db

    code = candidate_codes(db_url)[0]
    db = open_db(db_url)
    with db.read() as session:
        det, frame = session.execute(
            select(Detection.id, Detection.frame_id)
            .join(Evidence, Evidence.detection_id == Detection.id)
            .join(Issue, Issue.id == Evidence.issue_id)
            .where(Issue.code == code)
        ).first()
    db.dispose()
    return {"code": code, "det": det, "frame": frame}


def _body(kind: str, version: int) -> dict:
    return {
        "form": {"version": version},
        "form-reject": {"version": version, "reason": "not_object"},
        "form-edit": {"version": version, "severity": "serious"},
        "form-process": {"folder": "/nonexistent"},
        "form-user": {"username": "newbie", "role": "viewer", "password": "long-enough-pw"},
        "form-role": {"role": "reviewer"},
        "form-password": {"password": "another-long-pw"},
        "json": {"version": version},
        "json-reject": {"version": version, "reason": "not_object"},
    }[kind]


@pytest.mark.parametrize("user", list(ROLES))
def test_role_action_matrix(client_for, db_url, user) -> None:
    role = ROLES[user]
    client = client_for(user)
    ids = _ids(db_url)
    failures = []
    for method, template, permission, kind in ENDPOINTS:
        path = template.format(**ids)
        headers = {"accept": "application/json"}
        if method == "GET":
            response = client.get(path, headers=headers, follow_redirects=False)
        else:
            if template == "/logout":
                continue  # checked last: it ends the session
            body = _body(kind, issue_version(db_url, ids["code"]))
            if user is not None:
                headers["x-csrf-token"] = client.csrf
            if kind.startswith("json"):
                response = client.post(path, json=body, headers=headers, follow_redirects=False)
            else:
                response = client.post(path, data=body, headers=headers, follow_redirects=False)
        status = response.status_code
        if role is None:
            ok = status == 401
        elif allowed(role, permission):
            ok = status not in (401, 403) and (status < 500 or status == 503)  # 503: no hook
        else:
            ok = status == 403
        if not ok:
            failures.append(f"{user}: {method} {path} -> {status}")
    if user is not None:
        response = client.post("/logout", headers={"x-csrf-token": client.csrf})
        assert response.status_code in (200, 303)
    else:
        assert client.post("/logout", headers={"accept": "application/json"}).status_code == 401
    assert not failures, "\n".join(failures)


def test_viewer_changes_nothing(client_for, db_url) -> None:
    from pipeline.ledger.audit import history
    from pipeline.review.store import open_db

    code = candidate_codes(db_url)[0]
    viewer = client_for("view")
    version = issue_version(db_url, code)
    for action in ("confirm", "reject", "edit", "assign"):
        response = viewer.post(
            f"/issues/{code}/{action}",
            data={"version": version, "csrf_token": viewer.csrf, "reason": "not_object"},
        )
        assert response.status_code == 403
    assert issue_version(db_url, code) == version
    db = open_db(db_url)
    with db.read() as session:
        assert all(
            e.actor == "hehu" for e in history(session=session, entity="issue", entity_key=code)
        )
    db.dispose()
    page = viewer.get(f"/issues/{code}")
    assert page.status_code == 200 and 'id="form-confirm"' not in page.text


def test_every_route_is_gated(app) -> None:
    """No route but login, language and home can be reached without ``require(...)``."""
    open_routes = {"/login", "/lang", "/", "/static"}
    missing = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if path in open_routes or not hasattr(route, "dependant"):
            continue
        names = {d.call.__name__ for d in _all_dependencies(route.dependant)}
        if not any(n.startswith("require_") for n in names):
            missing.append(path)
    assert not missing


def _all_dependencies(dependant):
    for dep in dependant.dependencies:
        yield dep
        yield from _all_dependencies(dep)
