"""The dossier's sections, in order: each draws one part of the PDF from a :class:`Dossier`.

A section is ``(pdf, dossier) -> None`` (:data:`pipeline.dossier.pdf.Section`); the
dossier is :data:`SECTIONS`, so another part (before/after pairs from rechecks) is
one more function added to the tuple.
"""

from __future__ import annotations

import io
from typing import Any

from pipeline.dossier.content import Dossier, RecheckPicture, Sighting
from pipeline.dossier.mapdraw import detail_extent, draw_map, legend, overview_extent
from pipeline.dossier.pdf import FONT, MARGIN_MM, Section
from pipeline.review.i18n import field_label, kind_label, severity_label, status_label, type_label
from pipeline.review.notes import note_text

MAP_MM, MAP_MIN_MM = 110.0, 70.0
MAP_NOTE = (
    "左：现场详图；下：位置示意图（红框为详图范围）。均由台账中的几何数据绘制，无底图；上为北。"
)
DATUM_NOTE = (
    "CGCS2000（2000国家大地坐标系，EPSG:4490）与 WGS-84 在本用途下相差厘米至分米级，"
    "远小于无人机定位误差（无 RTK 时 1–3 米），故两者坐标数值相同；位置由无人机 GPS（WGS-84）测得。"
)


def _when(value: Any) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _day(value: Any) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d")


def _dms(deg: float, pos: str, neg: str) -> str:
    a = abs(deg)
    d, m = int(a), int(a * 60) % 60
    return f"{d}°{m:02d}′{(a * 3600) % 60:05.2f}″{pos if deg >= 0 else neg}"


def summary(pdf: Any, d: Dossier) -> None:
    """Title and the ledger row: code, type, subtype, severity, river, reach, 河长, unit."""
    v = d.issue
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 11, "河湖“四乱”问题案卷", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 7, f"问题编号 {v.code}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.note(f"生成时间 {pdf.stamp}（{getattr(d.tz, 'key', d.tz)}）　发现方式 {v.discovery_method}"
             "　用于执法联动：照片与截图均可按第五部分的 sha256 核验。")  # fmt: skip
    pdf.heading("基本信息")
    subtype = d.subtype_labels.get(v.subtype or "", "")
    river = v.river_name or "–"
    pdf.key_values([
        ("问题编号", v.code), ("问题类型", type_label(v.type, "zh")),
        ("问题子类", f"{subtype}（{v.subtype}）" if subtype else (v.subtype or "")),
        ("严重程度", severity_label(v.severity, "zh")), ("状态", status_label(v.status, "zh")),
        ("河湖名称", f"{river}（{v.river_code}）" if v.river_code else river),
        ("河段", v.reach or ""), ("河长", v.river_chief or ""),
        ("行政区划代码", v.division_code), ("责任单位", v.responsible_unit or ""),
        ("责任人", v.responsible_person or ""), ("问题描述", v.description or ""),
        ("面积（平方米）", "" if v.area_m2 is None else f"{v.area_m2:.2f}"),
        ("发现时间", _when(v.discovered_at)), ("最近发现时间", _when(v.last_seen_at)),
        ("证据", f"{v.frames} 张照片，{v.flights} 个航次"),
        ("整改措施", v.rectification_measures or ""), ("整改时限", _day(v.deadline)),
        ("整改进展", v.progress or ""), ("销号日期", _day(v.closed_on)),
    ])  # fmt: skip


def position(pdf: Any, d: Dossier) -> None:
    """Coordinates in WGS-84 and CGCS2000, and the map extract with its legend."""
    v = d.issue
    pdf.heading("位置")
    lat, lon = f"{v.lat:.7f}", f"{v.lon:.7f}"
    dms = f"{_dms(v.lat, 'N', 'S')}　{_dms(v.lon, 'E', 'W')}"
    pdf.key_values([
        ("WGS-84 纬度, 经度", f"{lat}, {lon}（{dms}）"),
        ("CGCS2000 纬度, 经度", f"{lat}, {lon}（EPSG:4490）"),
        ("在管理范围内", "是" if v.in_zone else "否"),
        ("管理范围编号", v.zone_id or ""),
    ])  # fmt: skip
    pdf.note(DATUM_NOTE)
    room = pdf.h - MARGIN_MM - 10 - pdf.get_y()
    if room < MAP_MIN_MM:
        pdf.add_page()
    size = min(MAP_MM, max(room, MAP_MIN_MM))
    top = pdf.get_y() + 3
    detail = detail_extent(d)
    draw_map(pdf, d, MARGIN_MM, top, size, detail)
    side_x = MARGIN_MM + size + 6
    side_w = pdf.w - MARGIN_MM - side_x
    legend(pdf, side_x, top + 2)
    pdf.set_font_size(8)
    pdf.set_xy(side_x, top + 28)
    pdf.multi_cell(side_w, 4, MAP_NOTE, align="L", new_x="LMARGIN", new_y="NEXT")
    overview = min(side_w, size - 44)
    if overview >= 30:
        draw_map(pdf, d, side_x, top + size - overview, overview, overview_extent(d, detail),
                 inset=detail)  # fmt: skip
    pdf.set_y(top + size + 4)
    pdf.set_font_size(9.5)


def _caption(s: Sighting, d: Dossier) -> str:
    sub = d.subtype_labels.get(s.subtype or "", s.subtype or s.class_name)
    where = "–" if s.lat is None or s.lon is None else f"{s.lat:.6f}, {s.lon:.6f}"
    joined = "" if s.distance_m is None else f"，距问题点 {s.distance_m:.1f} 米"
    crop = ("处理时记录的截图" if s.pictures.crop_recorded
            else "由核验后的原始照片现场裁切" if s.pictures.crop else "无")  # fmt: skip
    lines = [
        f"#{s.number}　{_when(s.captured_at)}（相机时间）　航次 {s.flight}",
        f"照片 {s.frame_name}　{sub}　置信度 {s.conf:.0%}　{kind_label(s.kind, 'zh')}{joined}",
        f"位置 {where}（WGS-84）　截图：{crop}",
    ]
    if s.pictures.problem:
        lines.append(f"原始照片不可用：{s.pictures.problem}")
    return "\n".join(lines)


def _picture(pdf: Any, data: bytes | None, x: float, y: float, w: float, h: float) -> None:
    if data is None:
        pdf.set_fill_color(229, 231, 235)
        pdf.rect(x, y, w, h, style="F")
        pdf.set_xy(x, y + h / 2 - 3)
        pdf.cell(w, 6, "原始照片不可用", align="C")
        return
    pdf.image(io.BytesIO(data), x=x, y=y, w=w, h=h, keep_aspect_ratio=True)


def sightings(pdf: Any, d: Dossier) -> None:
    """Every sighting: its watermarked crop, the full-frame thumbnail, time and flight."""
    pdf.heading(f"现场照片（{len(d.sightings)} 次发现）")
    half = (pdf.w - 2 * MARGIN_MM - 4) / 2
    pic_h = half * 0.75
    for s in d.sightings:
        height = pic_h if s.pictures.crop or s.pictures.thumbnail else 16.0
        if pdf.get_y() + height + 20 > pdf.h - MARGIN_MM - 5:
            pdf.add_page()
        pdf.set_font_size(8.5)
        pdf.multi_cell(0, 4.2, _caption(s, d), new_x="LMARGIN", new_y="NEXT")
        top = pdf.get_y() + 1
        _picture(pdf, s.pictures.crop, MARGIN_MM, top, half, height)
        _picture(pdf, s.pictures.thumbnail, MARGIN_MM + half + 4, top, half, height)
        pdf.set_y(top + height + 4)
    pdf.set_font_size(9.5)
    pdf.note("左：带水印的证据截图（时间、WGS-84 位置、航次、问题编号），红框为检测框；"
             "右：整张原始照片的缩略图。")  # fmt: skip


def _recheck_caption(r: RecheckPicture, d: Dossier) -> str:
    v = r.view
    when = v.at_utc.astimezone(d.tz).strftime("%Y-%m-%d %H:%M") if v.at_utc else "–"
    fit = ("–" if v.residual_px is None
           else f"{v.residual_px:.2f} 像素（{v.residual_m:.2f} 米）" if v.residual_m is not None
           else f"{v.residual_px:.2f} 像素")  # fmt: skip
    rule = {True: "，满足两期影像配准 2 像素要求", False: "，未满足 2 像素要求"}.get(
        v.meets_rule, ""
    )
    lines = [f"复查航次 {v.flight}　记录于 {when}　结论：{v.label}",
             f"配准残差 {fit}{rule}"]  # fmt: skip
    if v.reason:
        lines.append(f"依据：{v.reason}")
    if r.problem:
        lines.append(f"对比图不可用：{r.problem}")
    return "\n".join(lines)


def rechecks(pdf: Any, d: Dossier) -> None:
    """Each recorded recheck (复查): its watermarked before/after picture and verdict, latest
    first; nothing when the issue was never rechecked."""
    if not d.rechecks:
        return
    pdf.heading(f"复查前后对比（{len(d.rechecks)} 次）")
    for r in d.rechecks:
        width = pdf.w - 2 * MARGIN_MM
        height = width * 0.42 if r.picture else 16.0
        if pdf.get_y() + height + 16 > pdf.h - MARGIN_MM - 5:
            pdf.add_page()
        pdf.set_font_size(8.5)
        pdf.multi_cell(0, 4.2, _recheck_caption(r, d), new_x="LMARGIN", new_y="NEXT")
        top = pdf.get_y() + 1
        _picture(pdf, r.picture, MARGIN_MM, top, width, height)
        pdf.set_y(top + height + 4)
    pdf.set_font_size(9.5)
    pdf.note("左：此前航次的证据；右：复查航次同一地面，已配准。图上水印为复查航次的时间、"
             "位置、航次与问题编号。")  # fmt: skip


def _value(field: str, value: str | None) -> str:
    if value is None or value == "":
        return "∅"
    labels = {"status": status_label, "severity": severity_label, "type": type_label}
    return labels[field](value, "zh") if field in labels else value


def history(pdf: Any, d: Dossier) -> None:
    """The whole audit history, oldest first, times in the office's zone."""
    pdf.heading(f"审核与处理记录（{len(d.history)} 条）")
    widths = (30, 18, 20, 50, pdf.w - 2 * MARGIN_MM - 30 - 18 - 20 - 50)
    rows = [
        (e.at_utc.astimezone(d.tz).strftime("%Y-%m-%d %H:%M:%S"), e.actor,
         field_label(e.field, "zh"), f"{_value(e.field, e.old_value)} → "
         f"{_value(e.field, e.new_value)}", note_text(e.note, "zh"))
        for e in d.history
    ]  # fmt: skip
    pdf.grid(widths, ("时间", "操作人", "字段", "变更", "备注"), rows)


def hashes(pdf: Any, d: Dossier) -> None:
    """sha256 of every original photo and crop, to verify a copy of the package."""
    pdf.heading("文件校验（sha256）")
    pdf.note(
        "原始照片的 sha256 与台账记录一致方为“已核验”；截图的 sha256 为本案卷所附截图文件的"
        "摘要。随案卷导出的压缩包附 SHA256SUMS，可用 sha256sum -c SHA256SUMS 核验。"
    )
    pdf.ln(1)
    widths = (22, 48, pdf.w - 2 * MARGIN_MM - 22 - 48 - 14, 14)
    rows = [(f.role, f.name, f.sha256, "已核验" if f.verified else "未核验") for f in d.files]
    pdf.grid(widths, ("类别", "文件", "sha256", "核验"), rows, size=7.5)


SECTIONS: tuple[Section, ...] = (summary, position, sightings, rechecks, history, hashes)
