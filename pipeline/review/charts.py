"""The statistics page's charts as PNG images (matplotlib, drawn with a CJK font).

matplotlib is imported inside the functions (``import pipeline`` stays light)
and used through :class:`matplotlib.figure.Figure`, never pyplot's global
state, so requests can draw at the same time. Chinese labels need a CJK font:
:func:`cjk_font` looks for WenQuanYi Micro Hei (Debian's ``fonts-wqy-microhei``,
installed by the README's setup and CI) or Noto/Source Han Sans CJK, and fails
with what to install when none is there, rather than drawing empty boxes.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import MissingDependencyError

#: Font files that draw Chinese, best first (parts of their file names).
CJK_FONTS = ("wqy-microhei", "wqy-zenhei", "NotoSansCJK", "SourceHanSans", "NotoSerifCJK")
#: Most period labels under the closure-rate chart (more periods: every n-th is labelled).
MAX_TICKS = 16


@functools.cache
def cjk_font() -> Path:
    """The file of an installed CJK font; :class:`MissingDependencyError` when there is none."""
    from matplotlib import font_manager

    found = font_manager.findSystemFonts()
    for part in CJK_FONTS:
        match = sorted(f for f in found if part.lower() in Path(f).name.lower())
        if match:
            return Path(match[0])
    raise MissingDependencyError(
        "no CJK font for the statistics charts (looked for "
        f"{', '.join(CJK_FONTS)}): install one, e.g. apt-get install fonts-wqy-microhei"
    )


def _figure(title: str) -> tuple[object, object, object]:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(cjk_font()))
    fig = Figure(figsize=(7.0, 3.2), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontproperties=font)
    return fig, ax, font


def _png(fig: object) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png")  # type: ignore[attr-defined]
    return out.getvalue()


def closure_rate_png(series: Sequence[tuple[str, float | None]]) -> bytes:
    """累计销号率 per period, in percent (a gap where nothing was under rectification yet)."""
    fig, ax, font = _figure("销号率变化")
    labels = [label.split("～")[0] for label, _ in series]
    values = [float("nan") if v is None else 100 * v for _, v in series]
    ax.plot(range(len(series)), values, marker="o" if len(series) <= 60 else None)
    ax.set_xlim(-0.5, max(len(series) - 0.5, 0.5))
    ax.set_ylim(0, 100)
    ax.set_ylabel("销号率（%）", fontproperties=font)
    every = max(1, -(-len(series) // MAX_TICKS))  # at most MAX_TICKS labels
    ax.set_xticks(range(0, len(series), every), labels[::every], fontproperties=font)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def found_by_type_png(found: Sequence[tuple[str, int]]) -> bytes:
    """Issues found in the period, one bar per 四乱 type."""
    fig, ax, font = _figure("各类问题数量")
    labels = [label for label, _ in found]
    bars = ax.bar(range(len(found)), [n for _, n in found], color="#4e79a7")
    ax.set_xticks(range(len(found)), labels, fontproperties=font)
    ax.set_ylabel("问题数", fontproperties=font)
    ax.bar_label(bars)
    ax.margins(y=0.15)  # room for the labels above the bars
    return _png(fig)
