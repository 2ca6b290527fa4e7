"""Text the ledger writes in English, shown in the reader's language.

The ledger's own audit notes (:mod:`pipeline.ledger.assign`, ``merge``,
``split``, ``position``) and its refusals of a reviewer's action
(:mod:`pipeline.review.actions`, :mod:`pipeline.ledger.workflow`, ``merge``)
are fixed English phrases around names and numbers; the log and the
exceptions keep them as written. :func:`note_text` and :func:`refusal_text`
match each phrase and rewrite it in Chinese for a zh page; a text they do not
know (a reviewer's own words, already-Chinese reasons) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import MappingProxyType

_KINDS_ZH = {
    "first": "首次发现",
    "recurrence": "再次发现",
    "rebound": "反弹",
    "split": "拆分",
    "merged": "合并",
}


def kind_zh(kind: str) -> str:
    """The Chinese name of an evidence kind (``first``, ``recurrence`` …)."""
    return _KINDS_ZH.get(kind, kind)


def _tail(match: re.Match[str]) -> str:
    note = match.groupdict().get("note")
    return f"：{note_text(note, 'zh')}" if note else ""


_RECHECK_PARTS = {"appearance": "外观比对", "detector": "检测模型", "not covered": "未覆盖",
                  "appearance in between": "外观介于两者之间，无法判断"}  # fmt: skip


def _recheck_parts(rest: str) -> str:
    """The ``; ``-separated parts of a recheck note (reason, residual, picture) in Chinese."""
    out = []
    for part in filter(None, rest.split("; ")):
        part = re.sub(r"^residual ([\d.]+) px$", r"配准残差 \1 像素", part)
        part = re.sub(r"^before/after sha256 ", "前后对比图 sha256 ", part)
        part = re.sub(r"^frame (\w+) vs (\w+)$", r"新照片 \1 对比早前照片 \2", part)
        part = re.sub(r"^area ([\d.]+) m²$", r"面积约 \1 平方米", part)
        out.append(_RECHECK_PARTS.get(part, part))
    return "".join(f"；{p}" for p in out)


# Most specific first: a position note wraps another note.
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"(?P<why>.+): moved (?P<m>[\d.]+) m, σ (?P<s>[\d.]+) m"),
        lambda m: f"{note_text(m['why'], 'zh')}：位置移动 {m['m']} 米，定位误差 {m['s']} 米",
    ),
    (
        re.compile(r"new candidate from flight (?P<f>.+)"),
        lambda m: f"航次 {m['f']} 发现的新候选问题",
    ),
    (
        re.compile(r"flight (?P<f>.+): (?P<n>\d+) detection\(s\) filed as (?P<k>\w+)"),
        lambda m: f"航次 {m['f']}：{m['n']} 个检测框记为{kind_zh(m['k'])}",
    ),
    (
        re.compile(r"反弹: (?P<n>复查 flight .+) after 销号 on (?P<d>.*)"),
        lambda m: f"反弹：{note_text(m['n'], 'zh')}；此前于 {m['d']} 销号",
    ),
    (
        re.compile(r"复查 flight (?P<f>[^;]+)(?P<rest>(?:; .*)?)"),
        lambda m: f"复查 航次 {m['f']}{_recheck_parts(m['rest'])}",
    ),
    (
        re.compile(
            r"(?P<a>复查销号|复查仍存在): recheck of flight (?P<f>[^,;]+)"
            r"(?:, before/after sha256 (?P<s>[0-9a-f]+))?(?:; (?P<note>.*))?"
        ),
        lambda m: (
            f"{m['a']}：航次 {m['f']} 的复查"
            + (f"，前后对比图 sha256 {m['s']}" if m["s"] else "")
            + _tail(m)
        ),
    ),
    (
        re.compile(r"反弹: flight (?P<f>.+) saw it again \((?P<w>.*)\) after 销号 on (?P<d>.*)"),
        lambda m: f"反弹：航次 {m['f']} 再次发现（{_when(m['w'])}），此前于 {m['d']} 销号",
    ),
    (
        re.compile(
            r"(?P<c>\S+) merged into (?P<i>\S+) \((?P<d>[\d.]+) m apart\)(?:: (?P<note>.*))?"
        ),
        lambda m: f"{m['c']} 合并到 {m['i']}（相距 {m['d']} 米）{_tail(m)}",
    ),
    (re.compile(r"merge of (?P<c>\S+)"), lambda m: f"合并 {m['c']}"),
    (
        re.compile(r"detection (?P<d>\d+) split off (?P<c>\S+) into (?P<n>\S+)(?:: (?P<note>.*))?"),
        lambda m: f"检测框 {m['d']} 从 {m['c']} 拆分为新问题 {m['n']}{_tail(m)}",
    ),
    (re.compile(r"split of detection (?P<d>\d+)"), lambda m: f"拆分检测框 {m['d']}"),
    (
        re.compile(r"新增变化 flight (?P<f>[^;]+)(?P<rest>(?:; .*)?)"),
        lambda m: f"新增变化 航次 {m['f']}{_recheck_parts(m['rest'])}",
    ),
    (re.compile(r"flight (?P<f>.+)"), lambda m: f"航次 {m['f']}"),
)


#: Audit-log field names (the ledger's column names) → (zh, en).
FIELD_LABELS = MappingProxyType(
    {
        "status": ("状态", "status"),
        "evidence": ("证据", "evidence"),
        "position": ("位置", "position"),
        "subtype": ("子类", "subtype"),
        "type": ("类型", "type"),
        "severity": ("严重程度", "severity"),
        "description": ("问题描述", "description"),
        "river_name": ("河湖名称", "river"),
        "river_code": ("河湖编码", "river code"),
        "reach": ("河段", "reach"),
        "river_chief": ("河长", "river chief"),
        "responsible_unit": ("责任单位", "responsible unit"),
        "responsible_person": ("责任人", "responsible person"),
        "rectification_measures": ("整改措施", "rectification measures"),
        "deadline": ("整改时限", "deadline"),
        "progress": ("整改进展", "progress"),
        "closed_on": ("销号日期", "closed on"),
        "next_check_on": ("下次检查日期", "next check"),
        "rebound": ("反弹", "rebound"),
        "rebound_count": ("反弹次数", "rebound count"),
        "discovered_at": ("发现时间", "discovered"),
        "after_photo": ("整改后照片", "after photo"),
        "later_frame": ("后续航次照片", "later frame"),
        "recheck": ("复查", "recheck"),
        "processing": ("处理航次", "processing"),
        "note": ("备注", "note"),
        "reason_text": ("误报说明", "reason"),
        "into": ("合并目标", "merge target"),
    }
)


def _statuses(text: str) -> str:
    """The Chinese labels of ``"candidate (待审核), confirmed (已确认)"``."""
    return "、".join(re.findall(r"\(([^)]*)\)", text)) or text


def _field(key: str) -> str:
    pair = FIELD_LABELS.get(key)
    return key if pair is None else pair[0]


_FORCE = "确为同一对象时勾选「确为同一对象」再合并"
_REFUSALS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern), rewrite)
    for pattern, rewrite in (
        (r"a rejection \(误报\) needs a reason: choose one or write one",
         lambda m: "标记误报需要原因：请选择一项或填写说明"),
        (r"assigning \(交办\) needs a responsible unit \(责任单位\)",
         lambda m: "交办需要填写责任单位"),
        (r"write the rectification progress \(整改进展\)", lambda m: "请填写整改进展"),
        (r"say why the check failed \(验收不通过\) in the note",
         lambda m: "请在备注中说明验收不通过的原因"),
        (r"closing \(销号\) needs evidence: .*",
         lambda m: "销号需要依据：请上传整改后照片，或选择后续航次拍到此处的照片"),
        (r"nothing to change", lambda m: "没有需要保存的修改"),
        (r"(closing|reopening) on a recheck \((?P<a>[^)]*)\) needs the latest recheck to say .*",
         lambda m: f"{m['a']}需要最近一次复查的结论与之相符；请先复查"),
        (r"say why in the note \((?P<v>[^)]*)\)", lambda m: f"标记{m['v']}需要在说明中写明原因"),
        (r"carrying over \(挂账\) needs the next check date", lambda m: "挂账需要填写下次检查日期"),
        (r"issue (?P<c>\S+) is carried over \(挂账\): it keeps a next check date",
         lambda m: f"问题 {m['c']} 为挂账，须保留下次检查日期"),
        (r"a merge needs the code of the issue to merge into",
         lambda m: "合并需要填写目标问题编号"),
        (r"(?P<k>\w+) is too long \((?P<n>\d+) characters, at most (?P<m>\d+)\)",
         lambda m: f"{_field(m['k'])}过长（{m['n']} 字，"
         f"最多 {m['m']} 字）"),
        (r"(?P<k>\w+) must be a date YYYY-MM-DD, got .*",
         lambda m: f"{_field(m['k'])}必须是日期（年-月-日）"),
        (r"unknown 四乱 subtype (?P<v>.*)", lambda m: f"未知的四乱子类 {m['v']}"),
        (r"a new change \(新增变化\) is confirmed as a 四乱 subtype: choose one",
         lambda m: "新增变化须确认为一个四乱子类：请选择子类"),
        (r"issue (?P<c>\S+) is \w+ \((?P<s>[^)]*)\): (?P<a>\w+) is allowed only from (?P<f>.*); "
         r"reload it to see what it allows",
         lambda m: f"问题 {m['c']} 当前为{m['s']}，此操作只能在{_statuses(m['f'])}状态下进行；"
         "请刷新页面查看可执行的操作"),
        (r"issue (?P<c>\S+) is \w+ \((?P<s>[^)]*)\); it cannot move to \w+ \((?P<t>[^)]*)\);.*",
         lambda m: f"问题 {m['c']} 当前为{m['s']}，不能改为{m['t']}"),
        (r"(?P<a>\S+) cannot be merged into itself", lambda m: f"{m['a']} 不能合并到自身"),
        (r"(?P<a>\S+) and (?P<b>\S+) are (?P<d>\d+) m apart \(more than (?P<m>\d+) m\): .*",
         lambda m: f"{m['a']} 与 {m['b']} 相距 {m['d']} 米"
         f"（超过 {m['m']} 米）：请核对编号；{_FORCE}"),
        (r"(?P<a>\S+) and (?P<b>\S+) are separate boxes in (?P<n>\d+) photo\(s\) \((?P<p>.*)\): .*",
         lambda m: f"{m['a']} 与 {m['b']} 在 {m['n']} 张照片中是不同的检测框（{m['p']}），"
         f"看来是两个对象；{_FORCE}"),
    )
)  # fmt: skip


def refusal_text(message: str, lang: str) -> str:
    """Why the ledger refused a reviewer's action, in ``lang`` (Chinese for ``zh``)."""
    if lang != "zh":
        return message
    for pattern, rewrite in _REFUSALS:
        match = pattern.fullmatch(message)
        if match:
            return rewrite(match)
    return message


def _when(text: str) -> str:
    return "时间未知" if text == "time unknown" else text


def note_text(note: str | None, lang: str) -> str:
    """``note`` for a page in ``lang``: the ledger's English phrases in Chinese for ``zh``."""
    if not note:
        return ""
    if lang != "zh":
        return note
    for pattern, rewrite in _RULES:
        match = pattern.fullmatch(note)
        if match:
            return rewrite(match)
    return note
