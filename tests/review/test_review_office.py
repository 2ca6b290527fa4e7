"""The office's paperwork in the review app: the deadline rule at dispatch, 逾期, 历史遗留 and
挂账, 回头看, and the statistics page with its charts and downloads (viewers may read it)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from tests.review.review_helpers import act, candidate_codes, history, issue


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _force(db_url, code, **values) -> None:
    from sqlalchemy import update

    from pipeline.ledger.models import Issue
    from pipeline.review.store import open_db

    db = open_db(db_url)
    try:
        with db.write() as session:
            session.execute(update(Issue).where(Issue.code == code).values(**values))
    finally:
        db.dispose()


def test_dispatch_without_a_deadline_takes_the_configured_rule(client_for, db_url) -> None:
    from pipeline.config import load_config

    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    assert act(rev, db_url, code, "confirm").status_code == 303
    rule = load_config().ledger.settings.deadline(issue(db_url, code).subtype, _today())
    page = rev.get(f"/issues/{code}").text
    assert 'id="deadline-rule"' in page and str(rule) in page
    assert act(rev, db_url, code, "assign", responsible_unit="示例镇").status_code == 303
    assert issue(db_url, code).deadline == rule


def test_an_overdue_issue_is_flagged_on_its_page_and_in_the_export(client_for, db_url) -> None:
    from openpyxl import load_workbook

    view = client_for("view")
    code = candidate_codes(db_url)[0]
    _force(db_url, code, status="rectifying", deadline=dt.date(2020, 1, 1))
    assert 'id="overdue"' in view.get(f"/issues/{code}").text
    sheet = load_workbook(io.BytesIO(view.get("/export/issues.xlsx?status=all").content)).active
    header = [c.value for c in sheet[3]]
    rows = {r[header.index("问题编号")]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows[code][header.index("是否逾期")] == "是"
    assert {r[header.index("是否逾期")] for c, r in rows.items() if c != code} == {"否"}


def test_historical_needs_a_reason_and_reopens(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    assert 'id="form-historical"' in rev.get(f"/issues/{code}").text
    refused = act(rev, db_url, code, "historical")
    assert refused.status_code == 400 and "标记历史遗留需要在说明中写明原因" in refused.text
    assert act(rev, db_url, code, "historical", note="2015年已立案").status_code == 303
    assert issue(db_url, code).status == "historical"
    assert (history(db_url, code)[-1].new_value, history(db_url, code)[-1].note) == (
        "historical", "2015年已立案")  # fmt: skip
    page = rev.get(f"/issues/{code}").text
    assert "历史遗留" in page and 'id="form-reopen"' in page
    assert act(rev, db_url, code, "reopen").status_code == 303


def test_carry_over_then_follow_up_then_resume(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    refused = act(rev, db_url, code, "carry_over", note="汛期后处理")
    assert refused.status_code == 400 and "挂账需要填写下次检查日期" in refused.text
    assert act(rev, db_url, code, "carry_over", note="汛期后处理",
               next_check_on="2020-06-01").status_code == 303  # fmt: skip
    row = issue(db_url, code)
    assert (row.status, row.next_check_on) == ("carried_over", dt.date(2020, 6, 1))
    page = rev.get(f"/issues/{code}").text
    assert 'id="next-check"' in page and 'id="form-resume"' in page
    stats = client_for("view").get("/stats").text
    assert code in stats.split('id="due-checks"')[1].split("</ul>")[0]
    assert act(rev, db_url, code, "check_on", next_check_on="2099-01-01").status_code == 303
    assert issue(db_url, code).next_check_on == dt.date(2099, 1, 1)
    assert history(db_url, code)[-1].field == "next_check_on"
    assert act(rev, db_url, code, "resume").status_code == 303
    assert (issue(db_url, code).status, issue(db_url, code).next_check_on) == ("confirmed", None)


def test_a_closed_issue_gets_a_follow_up_check(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    _force(db_url, code, status="closed", closed_on=dt.date(2026, 1, 1))
    assert 'id="form-check-on"' in rev.get(f"/issues/{code}").text
    assert act(rev, db_url, code, "check_on", next_check_on="2026-07-01",
               note="回头看").status_code == 303  # fmt: skip
    assert issue(db_url, code).next_check_on == dt.date(2026, 7, 1)


def test_a_viewer_reads_the_statistics_page(client_for, db_url) -> None:
    view = client_for("view")
    code = candidate_codes(db_url)[0]
    rev = client_for("rev")
    assert act(rev, db_url, code, "confirm").status_code == 303
    found = issue(db_url, code).discovered_at.date()
    page = view.get(f"/stats?from={found}&to={_today()}&period=none&by=type")
    assert page.status_code == 200
    table = page.text.split('id="stats-table"')[1].split("</table>")[0]
    assert "问题类型" in table and "销号率" in table and "合计" in table
    assert 'src="/stats/rate.png?' in page.text and 'src="/stats/types.png?' in page.text
    coverage = page.text.split('id="coverage-table"')[1].split("</table>")[0]  # configs/grids
    assert "example-brighton-west" in coverage and "覆盖比例" in coverage


@pytest.mark.parametrize("chart", ["rate", "types"])
def test_charts_are_png_images_drawn_with_a_cjk_font(client_for, chart) -> None:
    from PIL import Image

    from pipeline.review.charts import cjk_font

    assert cjk_font().exists()
    response = client_for("view").get(f"/stats/{chart}.png?from=2026-01-05&to=2026-03-29")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (700, 320)


def test_a_missing_cjk_font_is_named(monkeypatch) -> None:
    from matplotlib import font_manager

    from pipeline.errors import MissingDependencyError
    from pipeline.review import charts

    charts.cjk_font.cache_clear()
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: ["/x/DejaVuSans.ttf"])
    try:
        with pytest.raises(MissingDependencyError, match="apt-get install fonts-wqy-microhei"):
            charts.cjk_font()
    finally:
        charts.cjk_font.cache_clear()


def test_statistics_download_as_xlsx_and_csv(client_for) -> None:
    from openpyxl import load_workbook

    view = client_for("view")
    xlsx = view.get("/stats/export.xlsx?from=2026-11-02&to=2026-11-15&by=river&period=week")
    assert xlsx.status_code == 200 and "hehu-stats-20261102-20261115.xlsx" in (
        xlsx.headers["content-disposition"])  # fmt: skip
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb["统计表"]["A1"].value == "河湖“四乱”问题统计表" and wb["统计表"].freeze_panes == "C4"
    csv = view.get("/stats/export.csv?from=2026-11-02&to=2026-11-15")
    assert csv.content.decode("utf-8").startswith("\ufeff统计周期,发现问题数")


@pytest.mark.parametrize(
    "query", ["from=2026-13-01", "from=2026-11-02&to=2026-11-01", "from=1900-01-01&to=2026-01-01"]
)
def test_a_bad_period_is_refused(client_for, query) -> None:
    assert client_for("view").get(f"/stats?{query}").status_code == 400


def test_statistics_need_an_account(client_for) -> None:
    anonymous = client_for(None)
    assert anonymous.get("/stats", follow_redirects=False).status_code == 303
    assert anonymous.get("/stats/rate.png", headers={"accept": "image/png"}).status_code == 401


def test_the_queue_flags_overdue_issues(client_for, db_url) -> None:
    first, second, *_ = candidate_codes(db_url)
    _force(db_url, first, status="assigned", deadline=dt.date(2020, 1, 1))
    _force(db_url, second, status="assigned", deadline=dt.date(2999, 1, 1))
    page = client_for("view").get("/queue?status=assigned").text
    rows = {
        code: page.split(f'data-code="{code}"')[1].split("</tr>")[0] for code in (first, second)
    }
    assert "chip overdue" in rows[first] and "chip overdue" not in rows[second]


@pytest.mark.parametrize(
    ("status", "label"),
    [("historical", "positive"), ("carried_over", "positive"), ("false_positive", "negative"),
     ("candidate", "unknown")],
)  # fmt: skip
def test_the_new_verdicts_are_real_objects_for_training(status, label) -> None:
    """历史遗留 and 挂账 say the object is there: their boxes are positives in feedback exports."""
    from pipeline.review.feedback import _label

    assert _label(status, "luandui") == label
