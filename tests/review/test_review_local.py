"""Chinese throughout and the office's time: notes, tags, help, time zone (issue 15 item 7)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import ConfigError
from pipeline.review.notes import note_text
from pipeline.review.render import local_time
from tests.review.review_helpers import candidate_codes, issue_version

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("note", "zh"),
    [
        ("new candidate from flight 0501 东湖", "航次 0501 东湖 发现的新候选问题"),
        ("flight A: 3 detection(s) filed as recurrence", "航次 A：3 个检测框记为再次发现"),
        ("flight A", "航次 A"),
        ("flight A: moved 2.5 m, σ 1.2 m", "航次 A：位置移动 2.5 米，定位误差 1.2 米"),
        ("X1 merged into X2 (4.0 m apart): same shed", "X1 合并到 X2（相距 4.0 米）：same shed"),
        ("merge of X1", "合并 X1"),
        ("detection 7 split off X1 into X3", "检测框 7 从 X1 拆分为新问题 X3"),
        (
            "split of detection 7: moved 9.0 m, σ 3.0 m",
            "拆分检测框 7：位置移动 9.0 米，定位误差 3.0 米",
        ),
        (
            "反弹: flight B saw it again (time unknown) after 销号 on 2024-05-01",
            "反弹：航次 B 再次发现（时间未知），此前于 2024-05-01 销号",
        ),
        ("误报原因：合法审批项目", "误报原因：合法审批项目"),  # already Chinese: as stored
        ("", ""),
    ],
)
def test_ledger_notes_read_in_chinese(note: str, zh: str) -> None:
    assert note_text(note, "zh") == zh
    assert note_text(note, "en") == note


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.datetime(2026, 5, 1, 17, 3, 4, 123456, tzinfo=dt.UTC), "2026-05-02 01:03"),
        (dt.datetime(2026, 5, 1, 10, 3, 4), "2026-05-01 10:03"),  # a camera clock: as recorded
        (dt.date(2026, 5, 1), "2026-05-01"),
        (None, "–"),
    ],
)
def test_times_show_in_the_office_zone_without_microseconds(value, shown) -> None:
    assert local_time(value, SHANGHAI) == shown


def test_display_timezone_is_checked_when_the_config_is_loaded(tmp_path) -> None:
    from pipeline.config import load_config

    assert load_config().display.timezone == "Asia/Shanghai"
    path = tmp_path / "hehu.yaml"
    path.write_text("display:\n  timezone: Asia/Beijing\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"display\.timezone: unknown time zone 'Asia/Beijing'"):
        load_config(path)


def _reject(client, db_url: str, code: str) -> None:
    data = {
        "csrf_token": client.csrf,
        "version": issue_version(db_url, code),
        "reason": "permitted",
    }
    assert client.post(f"/issues/{code}/reject", data=data).status_code in (200, 303)


def test_candidate_page_in_chinese_with_beijing_time(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    _reject(rev, db_url, code)
    html = rev.get(f"/issues/{code}").text
    assert "时间（北京时间）" in html and "UTC" not in html
    history = html[html.index('id="history"') :]
    assert "new candidate from flight" not in history and "发现的新候选问题" in history
    assert ">status<" not in history and ">状态<" in history
    stamps = re.findall(r'<td class="when">([^<]+)</td>', history)
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", s) for s in stamps)


def test_history_time_is_the_office_zone(client_for, db_url, tmp_path) -> None:
    from pipeline.ledger.audit import history
    from pipeline.review.store import open_db

    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    _reject(rev, db_url, code)
    db = open_db(db_url)
    with db.read() as session:
        at = history(session=session, entity="issue", entity_key=code)[-1].at_utc
    db.dispose()
    local = at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    assert f'<td class="when">{local}</td>' in rev.get(f"/issues/{code}").text


def test_another_time_zone_from_the_run_config(make_app, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from tests.review.review_helpers import log_in, password_of

    run = tmp_path / "hehu.yaml"
    run.write_text("display:\n  timezone: Asia/Urumqi\nledger:\n  zones: null\n", encoding="utf-8")
    client = TestClient(make_app(run_config=run), headers={"accept": "text/html"})
    assert log_in(client, "rev", password_of("rev")).status_code == 303
    html = client.get("/issues/" + client.get("/api/issues.geojson?status=all").json()[
        "features"][0]["properties"]["code"]).text  # fmt: skip
    assert "时间（乌鲁木齐时间）" in html


def test_help_overlay_and_sighting_tags_are_chinese(client_for, db_url) -> None:
    rev = client_for("rev")
    queue = rev.get("/queue").text
    help_ = queue[queue.index('id="help-tpl"') :]
    for english in ("next row", "previous row", ">open<"):
        assert english not in help_
    assert "下一行" in help_ and "打开问题" in help_
    page = rev.get(f"/issues/{candidate_codes(db_url)[0]}").text
    crops = page[page.index('class="crops"') : page.index('id="history"')]
    tags = re.findall(r"<figcaption.*?</figcaption>", crops, re.S)
    assert tags
    for tag in tags:
        label = re.findall(r"<span>([^<]*)</span>", tag)[0]  # the class, then flight and time
        assert label and not re.search(r"[A-Za-z]", label), label
        assert "再次发现" in tag or "st-rectifying" not in tag


@pytest.mark.parametrize(
    ("message", "zh"),
    [
        (
            "a rejection (误报) needs a reason: choose one or write one",
            "标记误报需要原因：请选择一项或填写说明",
        ),
        ("assigning (交办) needs a responsible unit (责任单位)", "交办需要填写责任单位"),
        ("say why in the note (挂账)", "标记挂账需要在说明中写明原因"),
        ("carrying over (挂账) needs the next check date", "挂账需要填写下次检查日期"),
        ("note is too long (2001 characters, at most 2000)", "备注过长（2001 字，最多 2000 字）"),
        ("deadline must be a date YYYY-MM-DD, got 'soon'", "整改时限必须是日期（年-月-日）"),
        (
            "issue X1 is closed (已销号): edit is allowed only from candidate (待审核), "
            "confirmed (已确认); reload it to see what it allows",
            "问题 X1 当前为已销号，此操作只能在待审核、已确认状态下进行；"
            "请刷新页面查看可执行的操作",
        ),
        (
            "X1 and X2 are 120 m apart (more than 50 m): check the codes; if they really are one "
            "object, merge with force",
            "X1 与 X2 相距 120 米（超过 50 米）：请核对编号；"
            "确为同一对象时勾选「确为同一对象」再合并",
        ),
        ("X1 cannot be merged into itself", "X1 不能合并到自身"),
        ("something new", "something new"),  # unknown: shown as it is
    ],
)
def test_refusals_read_in_chinese(message: str, zh: str) -> None:
    from pipeline.review.notes import refusal_text

    assert refusal_text(message, "zh") == zh
    assert refusal_text(message, "en") == message


def test_refusal_banner_is_chinese(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    data = {"csrf_token": rev.csrf, "version": issue_version(db_url, code)}
    page = rev.post(f"/issues/{code}/reject", data=data)
    assert page.status_code == 400
    banner = re.search(r'<div class="banner error"[^>]*>([^<]*)</div>', page.text).group(1)
    assert banner == "标记误报需要原因：请选择一项或填写说明"
