"""The app on PostgreSQL: login, confirm, reject, conflict (the ledger's row lock and version)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def pg_client(make_app, pg_url):
    from tests.review.review_helpers import csrf_of, log_in

    app = make_app(pg_url)
    clients = []

    def make(username):
        client = TestClient(app, headers={"accept": "text/html"})
        assert log_in(client, username).status_code == 303
        client.csrf = csrf_of(client)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_review_on_postgresql(pg_client, pg_url) -> None:
    from tests.review.review_helpers import candidate_codes

    rev, rev2 = pg_client("rev"), pg_client("rev2")
    a, b, *_ = candidate_codes(pg_url)
    h1, h2 = {"x-csrf-token": rev.csrf}, {"x-csrf-token": rev2.csrf}
    assert rev.post(f"/api/issues/{a}/confirm", json={"version": 1}, headers=h1).status_code == 200
    rejected = rev.post(f"/api/issues/{b}/reject", json={"version": 1, "reason": "not_object"},
                        headers=h1)  # fmt: skip
    assert rejected.json()["issue"]["status"] == "false_positive"
    conflict = rev2.post(f"/api/issues/{a}/reject", json={"version": 1, "reason": "permitted"},
                         headers=h2)  # fmt: skip
    assert conflict.status_code == 409 and conflict.json()["issue"]["status"] == "confirmed"
    page = rev.get(f"/issues/{a}")
    assert page.status_code == 200 and "rev" in page.text
    assert rev.get("/queue?status=all&sort=severity").status_code == 200
    assert rev.get("/export/issues.xlsx").status_code == 200


def test_dossier_and_gis_layers_on_postgresql(pg_client, pg_url, tmp_path) -> None:
    import pyogrio
    import pypdfium2 as pdfium

    from tests.review.review_helpers import candidate_codes

    viewer = pg_client("view")
    code = candidate_codes(pg_url)[0]
    pdf = viewer.get(f"/export/dossier/{code}.pdf")
    assert pdf.status_code == 200
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf.content))
    assert code in text and "河长" in text
    (tmp_path / "x.gpkg").write_bytes(viewer.get("/export/issues.gpkg?status=all").content)
    assert pyogrio.read_info(tmp_path / "x.gpkg", layer="frames")["features"] == 5
