"""Downloads: a summary declaration as Excel (openpyxl) and as PDF (reportlab), the 无票免税
register as Excel.

The Excel workbook of a summary holds everything: the CEB792 head, the lines, and every list
line with the summary line it went into (split over several sheets past Excel's row limit). The
PDF is the document people sign and file: the head and the lines, and the list mapping up to
``PDF_MAX_ITEMS`` rows (a summary of a million list lines is read in Excel, not on paper).

Chinese in the PDF needs a CJK TrueType font embedded: ``SUMMARY_PDF_FONT`` (a .ttf/.ttc path)
or the first of ``FONT_CANDIDATES`` found (Debian's fonts-wqy-zenhei first). Without one the PDF
is refused with ``PdfFontMissing`` rather than rendered with every Chinese glyph a blank box.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zone_portal.core.errors import ApplicationError

from . import selectors
from .models import Summary

EXCEL_MAX_ROWS = 1_000_000  # per sheet; Excel's limit is 1,048,576
PDF_MAX_ITEMS = 2_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_DEC_STATES = {"generated": "1", "confirmed": "2"}
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
)
FONT_NAME = "ZoneCJK"


class PdfFontMissing(ApplicationError):
    """No CJK TrueType font on this machine: the PDF cannot show Chinese."""

    code = "pdf_font_missing"
    http_status = 503


def dec_states() -> dict[str, str]:
    """decState written into the CEB792 head per summary status. The spec leaves its values to
    customs ("具体返回值由海关确定"): a setting, ``SUMMARY_DEC_STATES``."""
    return {**DEFAULT_DEC_STATES, **(getattr(settings, "SUMMARY_DEC_STATES", None) or {})}


def _number(value: Decimal | None):
    return float(value) if value is not None else None


def head_rows(summary: Summary) -> list[tuple[str, str]]:
    """(label, value) of the summary's head: the CEB792 fields, then the grouping."""
    rows = [(name, value) for name, value in selectors.summary_result_head(summary, dec_states=dec_states()).items()]
    rows += [
        (_("Month"), f"{summary.month:%Y-%m}"),
        (_("Status"), str(summary.get_status_display())),
        (_("Grouped by"), ", ".join(f"{k}={v}" for k, v in summary.key_values.items())),
        (_("Transport mode"), summary.traf_mode), (_("Owner"), f"{summary.owner_code} {summary.owner_name}".strip()),
        (_("Destination country"), summary.country), (_("Port"), summary.port_code),
        (_("Lists"), str(summary.list_count)), (_("List lines"), str(summary.item_count)),
        (_("Summary lines"), str(summary.line_count)),
    ]
    return rows


LINE_HEADER = ("gseqno", "gcode", "gname", "itemName", "country", "currency", "qty", "unit", "qty1", "unit1",
               "qty2", "unit2", "totalPrice", "list lines")
ITEM_HEADER = ("invtNo", "logisticsNo", "gseqno", "gnum", "gcode")


def _line_row(line) -> list:
    return [line.gseqno, line.gcode, line.gname, line.item_name, line.country, line.currency, _number(line.qty),
            line.unit, _number(line.qty1), line.unit1, _number(line.qty2), line.unit2, _number(line.total_price),
            line.item_count]


def summary_workbook(summary: Summary) -> bytes:
    """The summary as an .xlsx: head, lines, and every list line's gseqno (CEB792 list)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Summary declaration"))
    for label, value in head_rows(summary):
        ws.append([label, value])
    ws = wb.create_sheet(_("Lines"))
    ws.append(list(LINE_HEADER))
    for line in selectors.summary_lines(summary):
        ws.append(_line_row(line))
    sheet, rows = None, EXCEL_MAX_ROWS
    part = 0
    for item in selectors.summary_items(summary).iterator(chunk_size=5000):
        if rows >= EXCEL_MAX_ROWS:
            part += 1
            sheet = wb.create_sheet(_("Lists") if part == 1 else f"{_('Lists')} {part}")
            sheet.append(list(ITEM_HEADER))
            rows = 0
        sheet.append([item.invt_no, item.logistics_no, item.gseqno, item.gnum, item.gcode])
        rows += 1
    if part == 0:
        wb.create_sheet(_("Lists")).append(list(ITEM_HEADER))
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- PDF -----------------------------------------------------------------------------------------

_font_lock = threading.Lock()
_registered: dict[str, str] = {}


def cjk_font_path() -> Path:
    """The CJK TrueType font to embed: ``SUMMARY_PDF_FONT`` if set, else the first candidate found."""
    configured = getattr(settings, "SUMMARY_PDF_FONT", "") or ""
    candidates = [configured] if configured else list(FONT_CANDIDATES)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    raise PdfFontMissing(
        gettext_lazy("No Chinese (CJK) TrueType font was found for the PDF (looked for %(paths)s). Install "
                     "Debian's fonts-wqy-zenhei or set SUMMARY_PDF_FONT to a .ttf/.ttc file.")
        % {"paths": ", ".join(candidates)})


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = cjk_font_path()
    with _font_lock:
        if _registered.get(FONT_NAME) != str(path):
            try:
                pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            except TTFError as exc:  # e.g. a CFF-based OpenType font: reportlab embeds TrueType outlines only
                raise PdfFontMissing(gettext_lazy("The font %(path)s cannot be embedded in a PDF: %(error)s")
                                     % {"path": path, "error": exc}) from exc
            _registered[FONT_NAME] = str(path)
    return FONT_NAME


def summary_pdf(summary: Summary) -> bytes:
    """The summary as a PDF (A4 landscape): head, lines, and the list mapping when it is short."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer

    font = _register_font()
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5)
    note = ParagraphStyle("note", fontName=font, fontSize=8, leading=11, textColor=colors.grey)

    def table(rows, widths=None, header=True):
        data = [[Paragraph(str(v) if v is not None else "", cell) for v in row] for row in rows]
        t = LongTable(data, colWidths=widths, repeatRows=1 if header else 0)
        style = [("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
        t.setStyle(style)
        return t

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=f"{summary.sum_no}",
                            author=summary.ebc_name or summary.ebc_code)
    story = [Paragraph(f"{_('Export summary declaration (汇总申报单)')} {summary.sum_no}", title)]
    head = head_rows(summary)
    half = (len(head) + 1) // 2
    pairs = [[*head[i], *(head[i + half] if i + half < len(head) else ("", ""))] for i in range(half)]
    story.append(table(pairs, widths=[32 * mm, 100 * mm, 32 * mm, 100 * mm], header=False))
    story.append(Paragraph(_("Lines"), heading))
    lines = [list(LINE_HEADER)] + [
        [v if not isinstance(v, float) else f"{v:,.5f}".rstrip("0").rstrip(".") for v in _line_row(line)]
        for line in selectors.summary_lines(summary)]
    story.append(table(lines))
    story.append(Paragraph(_("Lists and the summary line of each list line (gseqno)"), heading))
    items = list(selectors.summary_items(summary)[:PDF_MAX_ITEMS + 1])
    rows = [list(ITEM_HEADER)] + [[i.invt_no, i.logistics_no, i.gseqno, i.gnum, i.gcode] for i in items[:PDF_MAX_ITEMS]]
    story.append(table(rows, widths=[60 * mm, 60 * mm, 25 * mm, 25 * mm, 40 * mm]))
    if len(items) > PDF_MAX_ITEMS:
        story.append(Spacer(1, 4))
        story.append(Paragraph(_("The first %(n)s of %(total)s list lines are shown; the Excel download has them "
                                 "all.") % {"n": f"{PDF_MAX_ITEMS:,}", "total": f"{summary.item_count:,}"}, note))
    story.append(Spacer(1, 6))
    story.append(Paragraph(_("Generated by the zone's online public service platform on %(time)s.")
                           % {"time": timezone.localtime().strftime("%Y-%m-%d %H:%M")}, note))
    doc.build(story)
    return buffer.getvalue()


# --- the 无票免税 register -------------------------------------------------------------------------

REGISTER_HEADER = (
    gettext_lazy("Export date (出口日期)"), gettext_lazy("Goods name (货物名称)"), gettext_lazy("Unit (计量单位)"),
    gettext_lazy("Quantity (数量)"), gettext_lazy("Unit price (单价)"), gettext_lazy("Amount (金额)"),
    gettext_lazy("Currency"), gettext_lazy("Exporter"), "ebcCode", "invtNo", "gnum", "gcode", "statisticsFlag",
    "tradeMode",
)


def register_workbook(records, *, limit: int = EXCEL_MAX_ROWS) -> tuple[bytes, int]:
    """The register rows ``records`` (a queryset) as an .xlsx, at most ``limit`` rows; (bytes, rows)."""
    from openpyxl import Workbook

    from zone_portal.codes.models import Unit

    units = dict(Unit.objects.values_list("code", "name_zh"))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Exemption register"))
    ws.append([str(h) for h in REGISTER_HEADER])
    written = 0
    for r in records[:limit].iterator(chunk_size=5000):
        unit = f"{r.unit} {units[r.unit]}" if r.unit in units else r.unit
        ws.append([r.export_date, r.goods_name, unit, _number(r.quantity), _number(r.unit_price), _number(r.amount),
                   r.currency, r.ebc_name, r.ebc_code, r.invt_no, r.gnum, r.gcode, r.statistics_flag, r.trade_mode])
        written += 1
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), written
