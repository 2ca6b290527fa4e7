"""The dossier's PDF (fpdf2): an A4 page class with the CJK font, a footer, and its sections.

:data:`pipeline.dossier.sections.SECTIONS` is the dossier, in order: each is a function
``(pdf, dossier) -> None`` that draws one part. A new part (before/after pairs from
rechecks, say) is one more function in that tuple. The font is Debian's
WenQuanYi Micro Hei (``fonts-wqy-microhei``), or Noto Sans CJK, embedded as a subset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import MissingDependencyError

if TYPE_CHECKING:
    from pipeline.dossier.content import Dossier

#: CJK fonts tried in order: (path, index in a TrueType collection).
CJK_FONTS = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),  # SC
)
FONT = "cjk"
MARGIN_MM = 15.0
TEXT_PT = 9.5

Section = Callable[["DossierPdf", "Dossier"], None]


def cjk_font() -> tuple[Path, int]:
    """The first CJK font found (:data:`CJK_FONTS`); raises naming the package to install."""
    for path, index in CJK_FONTS:
        if path.is_file():
            return path, index
    raise MissingDependencyError(
        "the dossier needs a CJK font: install Debian's fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei) or fonts-noto-cjk; looked for "
        + ", ".join(str(p) for p, _ in CJK_FONTS)
    )


def _fpdf_class() -> Any:
    try:
        from fpdf import FPDF
    except ImportError as e:
        raise MissingDependencyError("the dossier needs fpdf2: pip install 'fpdf2>=2.7'") from e
    return FPDF


def make_pdf(code: str, stamp: str) -> DossierPdf:
    """An empty dossier PDF for issue ``code`` (``stamp``: when it was made, in the footer)."""
    fpdf_base = _fpdf_class()

    class _Pdf(DossierPdf, fpdf_base):  # type: ignore[misc,valid-type]
        pass

    pdf: DossierPdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.setup(code, stamp)
    return pdf


#: Chinese section numerals, in order.
NUMERALS = "一二三四五六七八九十"


class DossierPdf:
    """Mixed into fpdf2's ``FPDF`` by :func:`make_pdf` (fpdf2 is imported only when used)."""

    code = ""
    stamp = ""
    headings = 0

    def setup(self, code: str, stamp: str) -> None:
        pdf: Any = self
        path, index = cjk_font()
        for style in ("", "B"):  # one face: headings are set apart by size and colour
            pdf.add_font(FONT, style, str(path), collection_font_number=index)
        self.code, self.stamp = code, stamp
        pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        pdf.set_auto_page_break(True, margin=MARGIN_MM + 5)
        pdf.set_title(f"河湖问题案卷 {code}")
        pdf.set_creator("hehu")
        pdf.set_font(FONT, size=TEXT_PT)

    def footer(self) -> None:
        pdf: Any = self
        pdf.set_y(-MARGIN_MM)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(110)
        pdf.cell(0, 5, f"案卷 {self.code}　生成于 {self.stamp}　hehu", align="L")
        pdf.set_x(MARGIN_MM)
        pdf.cell(0, 5, f"第 {pdf.page_no()} / {{nb}} 页", align="R")
        pdf.set_text_color(0)

    @property
    def width_mm(self) -> float:
        pdf: Any = self
        return float(pdf.w - 2 * MARGIN_MM)

    def heading(self, text: str) -> None:
        """A section's title, numbered in turn (一、二、…: a section with nothing to show
        draws none, so the numbers never skip), on a new page when less than 40 mm are left."""
        pdf: Any = self
        self.headings += 1
        text = f"{NUMERALS[self.headings - 1]}、{text}"
        if pdf.get_y() > pdf.h - MARGIN_MM - 45:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(FONT, size=13)
        pdf.set_text_color(20, 60, 120)
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(20, 60, 120)
        pdf.line(MARGIN_MM, pdf.get_y(), pdf.w - MARGIN_MM, pdf.get_y())
        pdf.set_text_color(0)
        pdf.set_draw_color(0)
        pdf.set_font(FONT, size=TEXT_PT)
        pdf.ln(2)

    def key_values(self, rows: Sequence[tuple[str, str]], key_mm: float = 34) -> None:
        """A two-column table of labels and values (empty values shown as –)."""
        pdf: Any = self
        with pdf.table(col_widths=(key_mm, self.width_mm - key_mm), first_row_as_headings=False,
                       text_align=("LEFT", "LEFT"), line_height=4.8,
                       borders_layout="HORIZONTAL_LINES") as table:  # fmt: skip
            for key, value in rows:
                row = table.row()
                row.cell(key)
                row.cell(value or "–")

    def grid(self, widths: Sequence[float], header: Sequence[str],
             rows: Sequence[Sequence[str]], size: float = 8) -> None:  # fmt: skip
        """A table with a shaded header row, repeated on each page it spans."""
        from fpdf.fonts import FontFace

        pdf: Any = self
        pdf.set_font_size(size)
        with pdf.table(col_widths=tuple(widths), text_align="LEFT", line_height=size * 0.55,
                       headings_style=FontFace(fill_color=(226, 233, 243)),
                       repeat_headings=1) as table:  # fmt: skip
            table.row(list(header))
            for cells in rows:
                table.row(list(cells))
        pdf.set_font_size(TEXT_PT)

    def note(self, text: str, size: float = 8) -> None:
        pdf: Any = self
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(90)
        pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.set_font(FONT, size=TEXT_PT)
