"""The ledger's fixed vocabulary: 四乱 types, statuses, severity grades, transitions.

The database stores the ASCII codes; people see the Chinese labels (exports,
CLI tables). Types come from the prefix of a taxonomy subtype id
(``luandui.floating_garbage`` → ``luandui``), so the ledger does not need
``configs/taxonomy.yaml`` to be present.
"""

from __future__ import annotations

from types import MappingProxyType

from pipeline.errors import BadInputError

TYPE_LABELS = MappingProxyType(
    {
        "luanzhan": "乱占",
        "luancai": "乱采",
        "luandui": "乱堆",
        "luanjian": "乱建",
    }
)

# Status codes in workflow order, with the labels of the 问题台账.
STATUS_LABELS = MappingProxyType(
    {
        "candidate": "待审核",
        "confirmed": "已确认",
        "false_positive": "误报",
        "assigned": "已交办",
        "rectifying": "整改中",
        "rectified": "已整改",
        "closed": "已销号",
        "merged": "已合并",
        # verdicts beside 误报 (issue 19): an old case, and one carried over and monitored
        "historical": "历史遗留",
        "carried_over": "挂账",
    }
)

# Legal status changes a person may make. Besides the forward chain:
# false_positive → candidate (a reviewer reopens a rejection) and
# rectified → rectifying (the 验收 check finds the work unfinished).
# closed → candidate happens only through a 反弹 (rebound) seen by a later flight.
# merged (已合并) is where an issue goes when a reviewer merges it into another one
# (pipeline.ledger.merge): it gives its evidence away and never moves again.
TRANSITIONS = MappingProxyType(
    {
        "candidate": frozenset({"confirmed", "false_positive", "historical", "carried_over"}),
        # back to candidate: a reviewer undoing their confirmation (the review app's undo)
        "confirmed": frozenset({"assigned", "candidate", "historical", "carried_over"}),
        "false_positive": frozenset({"candidate"}),
        "assigned": frozenset({"rectifying"}),
        "rectifying": frozenset({"rectified"}),
        "rectified": frozenset({"closed", "rectifying"}),
        "closed": frozenset(),
        "merged": frozenset(),
        # 历史遗留 is settled like 误报 (a reviewer may reopen it); 挂账 is monitored until
        # its rectification starts (back to 已确认, then 交办)
        "historical": frozenset({"candidate"}),
        "carried_over": frozenset({"confirmed"}),
    }
)

# Issues a later sighting adds evidence to (recurrence), 挂账 (monitored) among them. A
# sighting near a closed issue reopens it as a rebound; near a false positive or a
# 历史遗留 it is filed as more evidence of it (no new work for reviewers).
OPEN_STATUSES = frozenset(
    {"candidate", "confirmed", "assigned", "rectifying", "rectified", "carried_over"}
)

#: Statuses whose issue is past its 整改时限 (deadline) when that date has gone: dispatched and
#: not yet reported rectified.
OVERDUE_STATUSES = frozenset({"assigned", "rectifying"})

#: Statuses with a next check date (``issue.next_check_on``): 挂账's next look, a closed
#: issue's 回头看 (follow-up check).
CHECKED_STATUSES = frozenset({"carried_over", "closed"})

SEVERITY_LABELS = MappingProxyType(
    {
        "general": "一般",
        "serious": "较严重",
        "major": "重大",
    }
)

DISCOVERY_DRONE = "无人机飞检"

# A recheck's (复查) verdict on an issue a later flight sees again (pipeline.ledger.rechecks).
RECHECK_VERDICT_LABELS = MappingProxyType(
    {
        "still_present": "仍存在",
        "gone": "已消失",
        "cannot_tell": "无法判断",
    }
)


def type_of(subtype: str | None) -> str | None:
    """The 四乱 type code of a subtype id, or ``None`` (context-only class or unknown prefix)."""
    if not subtype:
        return None
    prefix = subtype.split(".", 1)[0]
    return prefix if prefix in TYPE_LABELS else None


def status_code(text: str) -> str:
    """A status code from a code or its Chinese label (``已交办`` or ``assigned``)."""
    if text in STATUS_LABELS:
        return text
    for code, label in STATUS_LABELS.items():
        if text == label:
            return code
    known = ", ".join(f"{c} ({label})" for c, label in STATUS_LABELS.items())
    raise BadInputError(f"unknown status {text!r}; expected one of {known}")


#: What statistics group by (:mod:`pipeline.ledger.stats`), with the column header of each.
STATS_BY = MappingProxyType(
    {"river": "河湖", "division": "行政区划", "chief": "河长", "type": "问题类型", "status": "状态"}
)
#: The periods statistics are cut into.
STATS_PERIODS = MappingProxyType({"week": "周", "month": "月"})
# An issue of type ``change`` (新增变化) is ground that differs between two flights inside a
# management zone (pipeline.ledger.changes); a reviewer confirms it as a 四乱 subtype, which
# gives it that subtype's type, or rejects it. Detections never carry it: TYPE_LABELS are theirs.
CHANGE_TYPE = "change"
ISSUE_TYPE_LABELS = MappingProxyType({**TYPE_LABELS, CHANGE_TYPE: "新增变化"})
DISCOVERY_CHANGE = "无人机飞检前后比对"
