"""Interface text in Chinese (default) and English.

:data:`MESSAGES` maps a key to ``(zh, en)``; templates call ``t("key")``.
Ledger vocabulary (四乱 types, statuses, severities) keeps the 问题台账's
Chinese labels from :mod:`pipeline.ledger.vocab`, with English beside them here.
A missing key shows the key itself, so a gap is visible, never fatal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import MappingProxyType

from pipeline.ledger.vocab import ISSUE_TYPE_LABELS, SEVERITY_LABELS, STATUS_LABELS
from pipeline.review.notes import FIELD_LABELS, kind_zh
from pipeline.review.notes import note_text as note_text  # re-exported for the pages
from pipeline.review.notes import refusal_text as refusal_text

LANGS = ("zh", "en")
LANG_COOKIE = "hehu_lang"

_EN_TYPES = {
    "luanzhan": "Occupation",
    "luancai": "Extraction",
    "luandui": "Dumping",
    "luanjian": "Construction",
    "change": "New change",
}
_EN_STATUS = {
    "candidate": "To review",
    "confirmed": "Confirmed",
    "false_positive": "False positive",
    "assigned": "Assigned",
    "rectifying": "Rectifying",
    "rectified": "Rectified",
    "closed": "Closed",
    "merged": "Merged",
    "historical": "Historical case",
    "carried_over": "Carried over",
}
_EN_SEVERITY = {"general": "Minor", "serious": "Serious", "major": "Major"}
_EN_ROLES = {"viewer": "viewer", "reviewer": "reviewer", "operator": "operator", "admin": "admin"}
_ZH_ROLES = {"viewer": "只读", "reviewer": "审核员", "operator": "操作员", "admin": "管理员"}

#: Reasons offered when rejecting a candidate as 误报 (key → (zh, en)); free text is allowed too.
REJECT_REASONS = MappingProxyType(
    {
        "not_object": ("非四乱对象（误识别）", "not a 四乱 object (misdetection)"),
        "permitted": ("合法审批项目", "permitted / approved project"),
        "outside_zone": ("不在管理范围内", "outside the management zone"),
        "duplicate": ("重复上报", "duplicate of another issue"),
        "image_quality": ("影像质量差，无法判断", "image too poor to judge"),
        "historical": ("历史遗留，已另案处理", "historical case handled elsewhere"),
    }
)

MESSAGES: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "app.title": ("河湖四乱审核", "River 四乱 review"),
        "nav.queue": ("审核队列", "Queue"),
        "nav.map": ("地图", "Map"),
        "nav.field": ("实地核查", "Field"),
        "field.title": ("我的网格：已交办问题", "My grids: dispatched issues"),
        "field.nogrid": (
            "没有以您的账号为巡查员的网格",
            "No grid names your account as its patroller",
        ),
        "field.none": ("网格内暂无已交办问题", "No dispatched issue in your grids"),
        "field.locate": ("按距我远近排序", "Sort by distance from me"),
        "field.sorted": ("已按距您的位置排序", "Sorted by distance from you"),
        "field.amap": ("高德导航", "Amap"),
        "field.baidu": ("百度导航", "Baidu"),
        "field.verdict": ("实地核查结论", "Field verdict"),
        "field.v.problem": ("是问题", "Is a problem"),
        "field.v.not_problem": ("不是问题", "Not a problem"),
        "field.v.rectified": ("已整改", "Rectified"),
        "field.photo": ("现场照片", "Site photo"),
        "field.note": ("说明", "Note"),
        "field.submit": ("提交核查", "Submit"),
        "field.checks": ("核查记录", "Field checks"),
        "field.done": ("核查已记录", "Field check recorded"),
        "field.back": ("返回列表", "Back to the list"),
        "field.queued": (
            "无网络：核查已保存在手机上，联网后自动提交",
            "Offline: kept, sent when online",
        ),
        "field.sent": ("离线保存的核查已提交", "Field checks kept offline were sent"),
        "nav.process": ("处理航次", "Process flight"),
        "nav.users": ("用户", "Users"),
        "nav.logout": ("退出", "Log out"),
        "nav.lang": ("English", "中文"),
        "login.title": ("登录", "Log in"),
        "login.username": ("用户名", "User name"),
        "login.password": ("密码", "Password"),
        "login.submit": ("登录", "Log in"),
        "login.failed": ("用户名或密码错误", "Wrong user name or password"),
        "login.throttled": ("登录失败次数过多，请稍后再试", "Too many failed logins; try later"),
        "q.status": ("状态", "Status"),
        "q.type": ("类型", "Type"),
        "q.river": ("河湖/管理范围", "River / zone"),
        "q.flight": ("航次", "Flight"),
        "q.minconf": ("最低置信度", "Min. confidence"),
        "q.sort": ("排序", "Sort"),
        "q.sort.conf": ("置信度从高到低", "Confidence, high first"),
        "q.sort.conf_asc": ("置信度从低到高", "Confidence, low first"),
        "q.sort.severity": ("严重程度", "Severity"),
        "q.sort.area": ("面积", "Area"),
        "q.sort.code": ("编号", "Code"),
        "q.sort.recent": ("最近发现", "Most recent"),
        "q.all": ("全部", "All"),
        "q.open": ("未销号", "Open"),
        "q.apply": ("筛选", "Filter"),
        "q.reset": ("重置", "Reset"),
        "q.count": ("共 {n} 条", "{n} issues"),
        "q.page": ("第 {p}/{pages} 页", "page {p} of {pages}"),
        "q.prev": ("上一页", "Previous"),
        "q.next": ("下一页", "Next"),
        "q.empty": ("没有符合条件的问题", "No issues match these filters"),
        "q.keys": (
            "快捷键：J/K 上下移动 · C 确认 · X 误报 · Z 撤销 · Enter 打开 · ? 帮助",
            "Keys: J/K move · C confirm · X reject · Z undo · Enter open · ? help",
        ),
        "q.help.title": ("快捷键", "Keyboard"),
        "q.help.next": ("下一行", "next row"),
        "q.help.prev": ("上一行", "previous row"),
        "q.help.open": ("打开问题", "open"),
        "q.help.help": ("显示/关闭本帮助", "show or hide this help"),
        "q.help.undo": ("撤销刚才的决定（{s} 秒内）", "undo the last decision (within {s} s)"),
        "col.evidence": ("证据", "Evidence"),
        "col.code": ("编号", "Code"),
        "col.type": ("类型", "Type"),
        "col.conf": ("置信度", "Conf."),
        "col.severity": ("严重程度", "Severity"),
        "col.area": ("面积 m²", "Area m²"),
        "col.river": ("河湖", "River"),
        "col.frames": ("照片/航次", "Frames/flights"),
        "col.discovered": ("发现时间", "Discovered"),
        "col.status": ("状态", "Status"),
        "col.actions": ("操作", "Actions"),
        # deadlines, verdicts beside 误报, checks (回头看), statistics
        "act.historical": ("历史遗留", "Historical case"),
        "act.carry_over": ("挂账", "Carry over"),
        "act.resume": ("恢复整改", "Resume rectification"),
        "act.check_on": ("安排回头看 / 下次检查", "Schedule a check"),
        "act.verdicts": ("其他结论", "Other verdicts"),
        "f.next_check": ("下次检查日期", "Next check"),
        "f.why": ("说明（必填）", "Why (required)"),
        "f.deadline_rule": ("留空按规定时限：{d}", "empty: the rule's {d}"),
        "i.overdue": ("逾期", "Overdue"),
        "nav.stats": ("统计", "Statistics"),
        "s.title": ("问题统计", "Statistics"),
        "s.from": ("起始日期", "From"),
        "s.to": ("截止日期", "To"),
        "s.by": ("分组", "Group by"),
        "s.by.none": ("不分组", "None"),
        "s.period": ("周期", "Period"),
        "s.period.none": ("整段", "Whole span"),
        "s.show": ("统计", "Show"),
        "s.download": ("下载", "Download"),
        "s.rate_chart": ("销号率变化", "Closure rate over time"),
        "s.type_chart": ("各类问题数量", "Issues by type"),
        "s.due": ("到期的回头看与挂账复查", "Checks due"),
        "s.overdue": ("逾期问题", "Overdue issues"),
        "s.coverage": ("网格巡查覆盖（本期航次所见）", "Patrol coverage per grid (this period)"),
        "s.none": ("无", "None"),
        "s.notes": (
            "发现数按发现日期；确认、交办、整改完成、销号按审核记录中的日期；逾期与销号率为各周期末的状态。",
            "Found by discovery date; other moves by the date the history records; overdue and "
            "the closure rate as at each period's end.",
        ),
        "act.confirm": ("确认问题", "Confirm"),
        "act.reject": ("误报", "Reject"),
        "act.reason": ("误报原因", "Reason"),
        "act.reason_other": ("其他说明", "Other / note"),
        "act.retype": ("更改类型", "Change type"),
        "act.edit": ("修改信息", "Edit details"),
        "act.assign": ("交办", "Assign"),
        "act.start": ("开始整改", "Start rectification"),
        "act.progress": ("更新进展", "Update progress"),
        "act.rectified": ("整改完成", "Mark rectified"),
        "act.close": ("销号", "Close (销号)"),
        "act.reopen": ("撤销误报", "Reopen"),
        "act.fail_check": ("验收不通过", "Check failed"),
        "act.save": ("保存", "Save"),
        "act.next": ("下一条", "Next"),
        "act.back": ("返回队列", "Back to queue"),
        "act.none": ("当前状态下没有可执行的操作", "No action in this status"),
        "f.subtype": ("子类", "Subtype"),
        "f.choose_subtype": ("— 请选择四乱子类 —", "— choose a 四乱 subtype —"),
        "f.severity": ("严重程度", "Severity"),
        "f.description": ("问题描述", "Description"),
        "f.unit": ("责任单位", "Responsible unit"),
        "f.person": ("责任人", "Responsible person"),
        "f.measures": ("整改措施", "Rectification measures"),
        "f.deadline": ("整改时限", "Deadline"),
        "f.progress": ("整改进展", "Progress"),
        "f.note": ("备注", "Note"),
        "f.after_photo": ("整改后照片", "After photo"),
        "f.later_frame": ("后续航次照片", "Later flight's frame"),
        "f.none": ("（无）", "(none)"),
        "f.code": ("问题编号", "Code"),
        "f.position": ("位置（WGS-84）", "Position (WGS-84)"),
        "f.in_zone": ("管理范围内", "Inside zone"),
        "f.river_chief": ("河长", "River chief"),
        "f.division": ("行政区划", "Division"),
        "f.discovered": ("发现时间", "Discovered"),
        "f.last_seen": ("最近发现", "Last seen"),
        "f.version": ("版本", "Version"),
        "f.closed_on": ("销号日期", "Closed on"),
        "f.rebound": ("反弹", "Rebound"),
        "yes": ("是", "yes"),
        "no": ("否", "no"),
        "i.evidence": ("证据照片", "Evidence"),
        "i.frames": ("看到它的每一张照片", "Every frame that saw it"),
        "i.sightings": ("{n} 个检测框 · {f} 张照片", "{n} detections in {f} frames"),
        "i.assoc_opened": ("首次发现，开立此问题", "opened this issue"),
        "i.assoc_split": ("拆分而来", "split off another issue"),
        "i.assoc_merged": ("合并而来，距问题 {d} 米", "merged in, {d} m from the issue"),
        "i.merged_into": (
            "已合并到 {code}：证据在该问题下",
            "Merged into {code}: its evidence is there",
        ),
        "i.assoc": ("距问题 {d} 米（门限 {g} 米）", "{d} m from the issue (gate {g} m)"),
        "i.sigma": ("定位误差 ±{s} 米", "position ±{s} m"),
        "act.split": ("拆分为新问题", "split off as a new candidate"),
        "act.merge": ("合并到另一问题", "Merge into another issue"),
        "f.merge_into": ("同一对象的问题", "The issue of the same object"),
        "f.merge_other": ("或输入编号", "or type its code"),
        "f.merge_force": (
            "确为同一对象（距离较远或同一照片中两个框）",
            "They are one object (far apart, or two boxes in one photo)",
        ),
        "f.merge_none": ("附近没有同类问题", "No issue of this type nearby"),
        "map.ring": ("描边：状态", "ring: status"),
        "i.map": ("位置", "Map"),
        "i.details": ("台账信息", "Ledger record"),
        "i.history": ("审核记录", "History"),
        "i.attachments": ("销号依据", "Closure evidence"),
        "i.rechecks": ("复查（前后对比）", "Recheck (before / after)"),
        "rc.still_present": ("仍存在", "still present"),
        "rc.gone": ("已消失", "gone"),
        "rc.cannot_tell": ("无法判断", "cannot tell"),
        "rc.residual": ("配准残差 {px} 像素", "registration residual {px} px"),
        "rc.over_rule": ("超过 2 像素要求", "over the 2 px rule"),
        "i.change": ("新增变化（前后对比）", "New change (before / after)"),
        "ch.area": ("变化面积约 {a} 平方米", "changed area about {a} m²"),
        "ch.hint": (
            "前后两次航拍之间新出现的变化：确认时请选择四乱子类；不是问题请标记误报",
            "Ground that changed between two flights: confirm it as a 四乱 subtype, "
            "or reject it (误报)",
        ),
        "act.close_recheck": ("复查已消失，销号", "Gone on recheck: close (销号)"),
        "act.reopen_recheck": (
            "复查仍存在，退回整改",
            "Still present on recheck: back to rectifying",
        ),
        "i.full_frame": ("原图", "Full frame"),
        "i.video_at": ("视频 {name} {t}", "Video {name} at {t}"),
        "v.title": ("原图查看", "Full-frame viewer"),
        "v.open": ("点击查看原图（V）", "Click to view the full frame (V)"),
        "v.prev": ("上一张", "Previous"),
        "v.next": ("下一张", "Next"),
        "v.keys": (
            "← → 切换 · 拖动平移 · 滚轮或 +/− 缩放 · 0 全图 · B 检测框 · Esc 关闭",
            "← → switch · drag to pan · wheel or +/− zoom · 0 whole frame · B box · Esc close",
        ),
        "i.no_crop": ("原始照片不可用", "Original frame not available"),
        "i.amap": ("高德地图", "Amap"),
        "i.dossier": ("下载案卷", "Case dossier (PDF)"),
        "i.dossier_zip": ("案卷及原始照片（压缩包）", "Dossier with original photos (zip)"),
        "h.when": ("时间（{tz}）", "When ({tz})"),
        "h.who": ("操作人", "Who"),
        "h.field": ("字段", "Field"),
        "h.change": ("变更", "Change"),
        "h.note": ("备注", "Note"),
        "conflict.title": ("修改冲突", "Edit conflict"),
        "conflict.body": (
            "在您打开此页面之后，{who} 于 {when}（{tz}）修改了该问题（版本 {old} → {new}）。"
            "您的操作「{action}」没有保存。下面显示的是当前状态，请核对后再操作。",
            "{who} changed this issue at {when} ({tz}) after you opened it "
            "(version {old} → {new}). "
            "Your action “{action}” was NOT saved. The current state is shown below; "
            "check it and act again.",
        ),
        "conflict.short": (
            "他人已修改此问题，未保存；本行显示的是当前状态",
            "Someone else changed this issue; nothing was saved. The row shows its current state",
        ),
        "conflict.changed": ("对方的修改", "Their changes"),
        "err.title": ("出错了", "Something went wrong"),
        "err.forbidden": ("您的账户没有此权限", "Your account may not do this"),
        "err.csrf": (
            "页面已过期或请求来源无效，请刷新页面后重试",
            "This page has expired or the request did not come from it; reload and try again",
        ),
        "err.notfound": ("找不到该问题", "No such issue"),
        "ok.saved": ("已保存", "Saved"),
        "ok.confirmed": ("已确认 {code}", "Confirmed {code}"),
        "ok.rejected": ("已标记误报 {code}", "Rejected {code}"),
        "ok.merged": ("已将 {code} 合并到此问题", "Merged {code} into this issue"),
        "ok.bulk_confirm": ("已批量确认 {code} 条", "Confirmed {code} issues"),
        "ok.bulk_reject": ("已批量标记误报 {code} 条", "Rejected {code} issues"),
        "bulk.title": (
            "批量操作：当前筛选的 {n} 条待审核",
            "Bulk: the {n} candidates of this filter",
        ),
        "bulk.confirm": ("全部确认", "confirm all"),
        "bulk.reject": ("全部标记误报", "reject all"),
        "bulk.apply": ("执行", "Apply"),
        "bulk.sure": (
            "对当前筛选的 {n} 条待审核问题执行批量操作？每条都会记入审核记录。",
            "Apply to the {n} candidates of this filter? Each is written to the history.",
        ),
        "ok.undone": ("已撤销对 {code} 的决定，恢复为待审核", "Undid the decision on {code}"),
        "act.undo": ("撤销", "Undo"),
        "map.title.open": ("未销号问题分布", "Open issues"),
        "map.title.candidate": ("待审核问题分布", "Issues to review"),
        "map.title.all": ("全部问题分布", "All issues"),
        "map.nobasemap": (
            "未配置底图：显示点位、管理范围与照片覆盖范围",
            "No basemap configured: points, zones and footprints only",
        ),
        "map.layer.none": ("无底图", "No basemap"),
        "map.basemap": ("底图", "Basemap"),
        "map.layer.zones": ("管理范围", "Management zones"),
        "map.layer.footprints": ("照片覆盖范围", "Photo footprints"),
        "map.layer.coverage": ("已覆盖（按距今天数着色）", "Ground seen (by age)"),
        "map.layer.gaps": ("覆盖缺口", "Coverage gaps"),
        "map.age": ("距今", "Seen"),
        "map.age.days": ("天", "days ago"),
        "map.layer.issues": ("问题点位", "Issues"),
        "map.layer.frames": ("看到它的照片", "Frames that saw it"),
        "map.flights": ("航次照片覆盖范围", "Flights' photo footprints"),
        "export.title": ("导出", "Export"),
        "p.title": ("处理航次文件夹", "Process a flight folder"),
        "p.folder": ("航次文件夹", "Flight folder"),
        "p.start": ("开始处理", "Start processing"),
        "p.not_configured": (
            "本服务器未配置处理功能（缺少 flows.deployment.start_flight）",
            "Processing is not configured here (flows.deployment.start_flight is missing)",
        ),
        "p.started": ("已开始处理：{path}", "Processing started: {path}"),
        "u.title": ("用户管理", "Users"),
        "u.add": ("添加用户", "Add user"),
        "u.role": ("角色", "Role"),
        "u.active": ("启用", "Active"),
        "u.disable": ("停用", "Disable"),
        "u.enable": ("启用", "Enable"),
        "u.set_role": ("设置角色", "Set role"),
        "u.reset": ("重置密码", "Reset password"),
        "u.display": ("显示名", "Display name"),
    }
)


_EN_KINDS = {"first": "first", "recurrence": "recurrence", "rebound": "rebound",
             "split": "split", "merged": "merged"}  # fmt: skip
_TZ_ZH = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Harbin": "北京时间",
          "Asia/Urumqi": "乌鲁木齐时间", "UTC": "协调世界时"}  # fmt: skip


def field_label(name: str, lang: str) -> str:
    pair = FIELD_LABELS.get(name)
    return name if pair is None else pair[LANGS.index(lang) if lang in LANGS else 0]


def kind_label(kind: str, lang: str) -> str:
    """An evidence kind (first, recurrence, rebound, split, merged) in ``lang``."""
    return _EN_KINDS.get(kind, kind) if lang == "en" else kind_zh(kind)


def tz_label(tz: dt.tzinfo, lang: str) -> str:
    """The office's time zone as a reader names it (``北京时间`` for Asia/Shanghai)."""
    key = getattr(tz, "key", None) or str(tz)
    return _TZ_ZH.get(key, key) if lang == "zh" else key


def type_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    return _EN_TYPES.get(code, code) if lang == "en" else ISSUE_TYPE_LABELS.get(code, code)


def status_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    return _EN_STATUS.get(code, code) if lang == "en" else STATUS_LABELS.get(code, code)


def severity_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    return _EN_SEVERITY.get(code, code) if lang == "en" else SEVERITY_LABELS.get(code, code)


def role_label(code: str, lang: str) -> str:
    return (_EN_ROLES if lang == "en" else _ZH_ROLES).get(code, code)


def reason_label(key: str, lang: str) -> str:
    pair = REJECT_REASONS.get(key)
    return key if pair is None else pair[LANGS.index(lang)]


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang`` (``zh`` or ``en``)."""
    index = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str, **values: object) -> str:
        pair = MESSAGES.get(key)
        text = key if pair is None else pair[index]
        return text.format(**values) if values else text

    return t


def pick_lang(cookie: str | None, default: str) -> str:
    return cookie if cookie in LANGS else default
