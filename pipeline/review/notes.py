"""Audit notes the ledger writes in English, shown in the reader's language.

The ledger's own notes (:mod:`pipeline.ledger.assign`, ``merge``, ``split``,
``position``) are fixed English phrases around names and numbers; the log
keeps them as written. :func:`note_text` matches each phrase and rewrites it
in Chinese for a zh page; a note it does not know (a reviewer's own words,
already-Chinese reasons) is shown as stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
    (re.compile(r"flight (?P<f>.+)"), lambda m: f"航次 {m['f']}"),
)


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
