"""Exports of the portals' lists to Excel and PDF, streamed.

A list route builds an `ExportSpec` (title, tenant, the filters as the user chose them, the columns)
and hands it, with an async iterator over every row the list shows (no page limit), to
`export_response(spec, rows, "xlsx" | "pdf")`. Rows are consumed in batches and written by a
worker thread, so the event loop is never blocked for long and only one batch of rows is held at a
time:

- Excel: an openpyxl write-only workbook (each sheet goes to a temporary file as rows arrive, so
  memory does not grow with the row count): a bold header row, frozen, with a filter over the
  written rows; typed cells (dates are Excel dates shown dd/mm/yyyy, integers and decimals are
  numbers); a second sheet "Filtres" says what was exported, for whom and with which filters.
- PDF: reportlab, A4 landscape, the tenant and the title on every page, the filters on the first
  page, the column headers at the top of every page, "Page n / N" in the footer (N is a form drawn
  on every page and defined once the last page is known: one pass). The rows go to the document in
  tables of `PDF_BATCH` rows; reportlab keeps the pages of the document in memory until it is
  saved, so a PDF's memory grows with its pages: Excel is the format for very long lists.

Measured on 2 cores, 100,000 rows of 6 columns: Excel in about 9 s, 2 MiB of Python allocations at
most (as for 10,000 rows); PDF (3,500 pages) in about 30 s, about 0.7 KiB per row held until saved.

Both are written to a temporary file first and then streamed in chunks of `CHUNK_SIZE`: an error
while reading the rows ends the export before its first byte, never in the middle of a file.

A value `None` (or a missing key) is an empty cell. A value that cannot be read as its column's
kind is written as text. Text is always written as text: a string that looks like a formula
(=, +, -, @) is never one (formula injection), and keeps Excel's quote prefix so that editing
the cell does not turn it into one either. Identifiers and codes (SIREN, contract numbers, years)
are "text" columns, not "int" ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import IO, Any, Literal, TypeVar
from urllib.parse import quote
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle
from starlette.responses import StreamingResponse

Kind = Literal["text", "date", "int", "decimal", "datetime"]
ExportFormat = Literal["xlsx", "pdf"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MEDIA_TYPE = "application/pdf"
MEDIA_TYPES: dict[str, str] = {"xlsx": XLSX_MEDIA_TYPE, "pdf": PDF_MEDIA_TYPE}

CHUNK_SIZE = 64 * 1024
XLSX_BATCH = 1000
PDF_BATCH = 500
_SPOOL_MAX = 1024 * 1024  # a small export never touches the disk
_PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Column:
    """One column of a list: the row's key, its French title, how its values are typed, and its
    width in characters (Excel's unit; also the column's share of the PDF page)."""

    key: str
    title: str
    kind: Kind = "text"
    width: int | None = None


@dataclass(frozen=True)
class ExportSpec:
    """What an export says besides its rows. `filters` are (label, value) as the list shows them;
    `filename` without extension is given one; `generated_at`, when given, is printed ("Édité le")."""

    title: str
    tenant_name: str
    filters: Sequence[tuple[str, str]]
    columns: Sequence[Column]
    filename: str
    generated_at: datetime | None = field(default=None)


# --- values ------------------------------------------------------------------------------------

_FORMULA_PREFIXES = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return _as_datetime(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            return _as_datetime(text).date()
    raise TypeError(value)


def _as_datetime(value: Any) -> datetime:
    """A naive datetime in French time (Excel knows no time zones); a naive input is taken as such."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        return value.astimezone(_PARIS).replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(value)


def _as_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise TypeError(value)


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        number = Decimal(value.strip())
    else:
        raise TypeError(value)
    if not number.is_finite():
        raise ValueError(value)
    return number


_CONVERTERS: dict[str, Callable[[Any], Any]] = {"date": _as_date, "datetime": _as_datetime, "int": _as_int, "decimal": _as_decimal}


def _clean_text(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def typed_value(kind: Kind, value: Any) -> date | datetime | int | Decimal | str | None:
    """The value as its column's kind says, text when it cannot be read so, None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    converter = _CONVERTERS.get(kind)
    if converter is not None:
        with contextlib.suppress(ValueError, TypeError, ArithmeticError):
            return converter(value)
    text = _clean_text(value if isinstance(value, str) else str(value))
    return text or None


def _group(digits: str) -> str:
    """French digit grouping with a no-break space: 1 234 567."""
    head = len(digits) % 3 or 3
    return "\u00a0".join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


def french_number(value: int | Decimal, decimals: int = 0) -> str:
    """1 234,56 (no-break spaces), as a French reader writes it."""
    if decimals:
        value = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        integral, _, fraction = f"{abs(value):f}".partition(".")
        text = f"{_group(integral)},{fraction}"
    else:
        text = _group(str(abs(int(value))))
    return f"-{text}" if value < 0 else text


def display_value(kind: Kind, value: Any) -> str:
    """The value as a French reader expects it on paper."""
    typed = typed_value(kind, value)
    if typed is None:
        return ""
    if isinstance(typed, str):
        return typed
    if isinstance(typed, datetime):
        return f"{typed:%d/%m/%Y %H:%M}"
    if isinstance(typed, date):
        return f"{typed:%d/%m/%Y}"
    if isinstance(typed, Decimal):
        return french_number(typed, 2)
    return french_number(typed)


def _generated_at(spec: ExportSpec) -> datetime | None:
    return _as_datetime(spec.generated_at) if spec.generated_at is not None else None


def _count(rows: int) -> str:
    return f"{french_number(rows)} ligne{'s' if rows > 1 else ''}"


# --- running blocking work -----------------------------------------------------------------------

T = TypeVar("T")


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a worker thread. A cancelled caller waits for the thread to finish before
    the cancellation goes on, so that the clean-up that follows never races the work."""
    task = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller reports
        raise


async def _each(rows: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]]) -> AsyncIterator[Mapping[str, Any]]:
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


async def _batches(
    rows: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]], size: int
) -> AsyncIterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    async for row in _each(rows):
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _stream(out: IO[bytes]) -> AsyncIterator[bytes]:
    out.seek(0)
    while chunk := out.read(CHUNK_SIZE):
        yield chunk


# --- Excel -----------------------------------------------------------------------------------------

_XLSX_FORMATS = {"date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm", "int": "#,##0", "decimal": "#,##0.00"}
_XLSX_WIDTHS = {"text": 24, "date": 12, "datetime": 17, "int": 10, "decimal": 14}
_FILTERS_SHEET = "Filtres"
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\']", " ", _clean_text(title)).strip()[:31].strip()
    return "Export" if not cleaned or cleaned.casefold() == _FILTERS_SHEET.casefold() else cleaned


class _XlsxWriter:
    """The blocking half of `xlsx_chunks`: one write-only workbook, fed batches of rows."""

    def __init__(self, spec: ExportSpec) -> None:
        self.spec = spec
        self.rows = 0
        self.workbook = Workbook(write_only=True)
        self.workbook.properties.title = spec.title
        self.workbook.properties.creator = spec.tenant_name
        self.sheet = self.workbook.create_sheet(_sheet_title(spec.title))
        self.filters = self.workbook.create_sheet(_FILTERS_SHEET)
        # Everything above the rows is written with the first row: set it now.
        for index, column in enumerate(spec.columns, 1):
            width = column.width or max(_XLSX_WIDTHS[column.kind], min(len(column.title) + 4, 40))
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        self.sheet.print_title_rows = "1:1"
        self.sheet.page_setup.orientation = "landscape"
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.page_setup.fitToHeight = 0
        self.filters.column_dimensions["A"].width = 24
        self.filters.column_dimensions["B"].width = 60
        self.sheet.append([self._header(column.title) for column in spec.columns])
        self.kinds = [(column.key, column.kind, _XLSX_FORMATS.get(column.kind)) for column in spec.columns]

    def _header(self, title: str) -> WriteOnlyCell:
        cell = self._text(title)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        return cell

    def _text(self, text: str, sheet: Any = None) -> WriteOnlyCell:
        """A cell that is text whatever its content: never a formula, never an error value."""
        cell = WriteOnlyCell(sheet or self.sheet)
        cell._value = ILLEGAL_CHARACTERS_RE.sub("", text)[:32767]
        cell.data_type = "s"
        if text.startswith(_FORMULA_PREFIXES):
            cell.quotePrefix = True
        return cell

    def _cell(self, kind: Kind, number_format: str | None, value: Any) -> Any:
        typed = typed_value(kind, value)
        if typed is None:
            return None
        if isinstance(typed, str):
            if typed.startswith(_FORMULA_PREFIXES) or typed in ERROR_CODES or ILLEGAL_CHARACTERS_RE.search(typed) or len(typed) > 32767:
                return self._text(typed)
            return typed  # plain text: openpyxl writes it as a string
        cell = WriteOnlyCell(self.sheet, typed)
        cell.number_format = number_format
        return cell

    def append(self, rows: list[Mapping[str, Any]]) -> None:
        cell = self._cell
        for row in rows:
            self.sheet.append([cell(kind, number_format, row.get(key)) for key, kind, number_format in self.kinds])
        self.rows += len(rows)

    def _write_filters(self) -> None:
        def text(value: str) -> WriteOnlyCell:
            return self._text(_clean_text(value), self.filters)

        def line(label: str, value: Any) -> list[Any]:
            head = text(label)
            head.font = _BOLD
            return [head, text(value) if isinstance(value, str) else value]

        self.filters.append(line("Export", self.spec.title))
        self.filters.append(line("Organisme", self.spec.tenant_name))
        generated_at = _generated_at(self.spec)
        if generated_at is not None:
            when = WriteOnlyCell(self.filters, generated_at)
            when.number_format = _XLSX_FORMATS["datetime"]
            when.alignment = Alignment(horizontal="left")
            self.filters.append(line("Édité le", when))
        count = WriteOnlyCell(self.filters, self.rows)
        count.number_format = _XLSX_FORMATS["int"]
        count.alignment = Alignment(horizontal="left")
        self.filters.append(line("Nombre de lignes", count))
        self.filters.append([])
        self.filters.append([self._header("Filtre"), self._header("Valeur")])
        for label, value in self.spec.filters:
            self.filters.append([text(str(label)), text(str(value))])
        if not self.spec.filters:
            self.filters.append([text("Aucun filtre")])

    def save(self, out: IO[bytes]) -> None:
        last_column = get_column_letter(max(len(self.spec.columns), 1))
        self.sheet.auto_filter.ref = f"A1:{last_column}{self.rows + 1}"
        self._write_filters()
        self.workbook.save(out)

    def discard(self) -> None:
        """Removes the temporary files of a workbook that will not be saved (an export given up)."""
        for sheet in self.workbook.worksheets:
            writer = sheet._writer
            if writer is None or sheet.closed:
                continue
            with contextlib.suppress(Exception):
                if sheet._rows is not None:
                    sheet._rows.close()
                writer.close()
            with contextlib.suppress(Exception):
                writer.cleanup()


async def xlsx_chunks(spec: ExportSpec, rows: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]]) -> AsyncIterator[bytes]:
    """The Excel workbook of the rows, in chunks of `CHUNK_SIZE` bytes. Memory does not grow with
    the number of rows: `XLSX_BATCH` rows at a time, written to temporary files by a worker thread."""
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)
    writer: _XlsxWriter | None = None
    try:
        writer = _XlsxWriter(spec)
        async for batch in _batches(rows, XLSX_BATCH):
            await _in_thread(writer.append, batch)
        await _in_thread(writer.save, out)
        async for chunk in _stream(out):
            yield chunk
    finally:
        if writer is not None:
            writer.discard()
        out.close()


# --- PDF -------------------------------------------------------------------------------------------

_FONT = "Helvetica"
_BOLD_FONT = "Helvetica-Bold"
_FONT_SIZE = 8
_LEADING = 9.6
_PADDING = 3
_MAX_LINES = 12  # a cell never grows taller than this: a row always fits on a page
_PDF_WEIGHTS = {"text": 20, "date": 11, "datetime": 16, "int": 9, "decimal": 13}
_MARGIN = 12 * mm
_BAND = 9 * mm  # the page header and the footer
_TOTAL_FORM = "extranetPageCount"
_INK = colors.HexColor("#1F2A44")
_RULE = colors.HexColor("#9AA5B8")
_HEADER_BACKGROUND = colors.HexColor("#DDE4EE")
_ZEBRA = colors.HexColor("#F3F5F9")


class _PageCountCanvas(Canvas):
    """Each page draws the form `_TOTAL_FORM` where the number of pages goes; the form is defined
    once the last page is done, so "Page n / N" needs one pass and keeps no page for a second one."""

    def save(self) -> None:
        if self._code:
            self.showPage()
        pages = self.getPageNumber() - 1
        self.beginForm(_TOTAL_FORM)
        self.setFont(_FONT, _FONT_SIZE)
        self.setFillColor(_INK)
        self.drawString(0, 0, str(pages))
        self.endForm()
        super().save()


class _StreamingDocTemplate(BaseDocTemplate):
    """A document built from flowables handed over a few at a time (`BaseDocTemplate.build` takes
    them all at once): `begin`, `add` as the rows arrive, `end`. The same steps as `build`."""

    def begin(self) -> None:
        self._startBuild(canvasmaker=_PageCountCanvas)
        self.canv._doctemplate = self

    def add(self, flowables: list[Flowable]) -> None:
        while flowables:
            self.clean_hanging()
            self.handle_flowable(flowables)

    def end(self) -> None:
        del self.canv._doctemplate
        self._endBuild()


class _PdfWriter:
    """The blocking half of `pdf_chunks`: one document, fed batches of rows."""

    def __init__(self, spec: ExportSpec, out: IO[bytes]) -> None:
        self.spec = spec
        self.rows = 0
        self.page_width, self.page_height = landscape(A4)
        width = self.page_width - 2 * _MARGIN
        self.width = width
        weights = [column.width or _PDF_WEIGHTS[column.kind] for column in spec.columns] or [1]
        self.column_widths = [width * weight / sum(weights) for weight in weights]
        self.kinds = [(column.key, column.kind) for column in spec.columns]
        self.right_aligned = [column.kind in ("int", "decimal") for column in spec.columns]

        title_style = ParagraphStyle("title", fontName=_BOLD_FONT, fontSize=14, leading=17, textColor=_INK, spaceAfter=2 * mm)
        filter_style = ParagraphStyle("filters", fontName=_FONT, fontSize=9, leading=11.5, textColor=_INK)
        self.preamble: list[Flowable] = [Paragraph(escape(_clean_text(spec.title)), title_style)]
        if spec.filters:
            for label, value in spec.filters:
                text = f"<b>{escape(_clean_text(str(label)))}\u00a0:</b> {escape(_clean_text(str(value))[:300])}"
                self.preamble.append(Paragraph(text, filter_style))
        else:
            self.preamble.append(Paragraph("Aucun filtre", filter_style))
        self.preamble.append(Spacer(1, 3 * mm))
        preamble_height = sum(self._height(flowable) for flowable in self.preamble)
        self.header = self._header_table()
        header_height = self._height(self.header)

        body_top = self.page_height - _MARGIN - _BAND
        body_bottom = _MARGIN + _BAND
        first = Frame(_MARGIN, body_bottom, width, body_top - body_bottom - preamble_height - header_height, 0, 0, 0, 0, id="first")
        later = Frame(_MARGIN, body_bottom, width, body_top - body_bottom - header_height, 0, 0, 0, 0, id="later")
        self.document = _StreamingDocTemplate(
            out,
            pagesize=(self.page_width, self.page_height),
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_MARGIN,
            title=spec.title,
            author=spec.tenant_name,
            creator="Extranet",
            pageTemplates=[
                PageTemplate("first", [first], onPage=self._first_page, autoNextPageTemplate="later"),
                PageTemplate("later", [later], onPage=self._later_page),
            ],
        )
        self.body_top = body_top
        self.preamble_height = preamble_height
        self.header_height = header_height
        self.body_style = TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, _FONT_SIZE, _LEADING),
                ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("ROWBACKGROUNDS", (0, 0), (-1, -1), [colors.white, _ZEBRA]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
                *[("ALIGN", (index, 0), (index, -1), "RIGHT") for index, right in enumerate(self.right_aligned) if right],
            ]
        )
        self.document.begin()

    def _height(self, flowable: Flowable) -> float:
        _, height = flowable.wrap(self.width, self.page_height)
        return height + flowable.getSpaceBefore() + flowable.getSpaceAfter()

    def _header_table(self) -> Table:
        titles = [self._wrap(column.title, index, _BOLD_FONT) for index, column in enumerate(self.spec.columns)] or [""]
        style = [
            ("FONT", (0, 0), (-1, -1), _BOLD_FONT, _FONT_SIZE, _LEADING),
            ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
            ("BACKGROUND", (0, 0), (-1, -1), _HEADER_BACKGROUND),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
            ("LINEBELOW", (0, 0), (-1, -1), 0.75, _INK),
            *[("ALIGN", (index, 0), (index, 0), "RIGHT") for index, right in enumerate(self.right_aligned) if right],
        ]
        return Table([titles], colWidths=self.column_widths, style=style)

    def _wrap(self, text: str, index: int, font: str = _FONT) -> str:
        """The text cut into lines that fit its column (a table cell does not wrap by itself), a word
        longer than the column cut too, at most `_MAX_LINES` lines."""
        room = self.column_widths[index] - 2 * _PADDING
        if "\n" not in text and stringWidth(text, font, _FONT_SIZE) <= room:
            return text
        lines: list[str] = []
        for line in simpleSplit(text[: _MAX_LINES * 200], font, _FONT_SIZE, room):
            while len(lines) <= _MAX_LINES and len(line) > 1 and stringWidth(line, font, _FONT_SIZE) > room:
                cut, width = 0, 0.0
                for char in line:
                    width += stringWidth(char, font, _FONT_SIZE)
                    if width > room:
                        break
                    cut += 1
                lines.append(line[: max(cut, 1)])
                line = line[max(cut, 1) :]
            lines.append(line)
            if len(lines) > _MAX_LINES:
                break
        if len(lines) > _MAX_LINES:
            last = lines[_MAX_LINES - 1]
            while last and stringWidth(last + " …", font, _FONT_SIZE) > room:
                last = last[:-1]
            lines = [*lines[: _MAX_LINES - 1], last + " …"]
        return "\n".join(lines)

    def _decorate(self, canvas: Canvas, document: BaseDocTemplate) -> None:
        """The header band (tenant, title) and the footer (date of issue, page n / N) of every page."""
        canvas.saveState()
        top = self.page_height - _MARGIN
        canvas.setFillColor(_INK)
        canvas.setFont(_BOLD_FONT, 10)
        canvas.drawString(_MARGIN, top - 10, _clean_text(self.spec.tenant_name))
        canvas.setFont(_FONT, 9)
        title = _clean_text(self.spec.title)
        canvas.drawRightString(self.page_width - _MARGIN, top - 10, title)
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(_MARGIN, top - _BAND + 3 * mm, self.page_width - _MARGIN, top - _BAND + 3 * mm)
        canvas.line(_MARGIN, _MARGIN + _BAND - 3 * mm, self.page_width - _MARGIN, _MARGIN + _BAND - 3 * mm)
        canvas.setFont(_FONT, _FONT_SIZE)
        generated_at = _generated_at(self.spec)
        if generated_at is not None:
            canvas.drawString(_MARGIN, _MARGIN, f"Édité le {generated_at:%d/%m/%Y à %H:%M}")
        number_at = self.page_width - _MARGIN - stringWidth("00000", _FONT, _FONT_SIZE)
        canvas.drawRightString(number_at, _MARGIN, f"Page {document.page} / ")
        canvas.translate(number_at, _MARGIN)
        canvas.doForm(_TOTAL_FORM)
        canvas.restoreState()

    def _first_page(self, canvas: Canvas, document: BaseDocTemplate) -> None:
        self._decorate(canvas, document)
        y = self.body_top
        for flowable in self.preamble:
            y -= flowable.getSpaceBefore()
            _, height = flowable.wrap(self.width, self.page_height)
            flowable.drawOn(canvas, _MARGIN, y - height)
            y -= height + flowable.getSpaceAfter()
        self.header.drawOn(canvas, _MARGIN, y - self.header_height)

    def _later_page(self, canvas: Canvas, document: BaseDocTemplate) -> None:
        self._decorate(canvas, document)
        self.header.drawOn(canvas, _MARGIN, self.body_top - self.header_height)

    def append(self, rows: list[Mapping[str, Any]]) -> None:
        wrap = self._wrap
        data = [[wrap(display_value(kind, row.get(key)), index) for index, (key, kind) in enumerate(self.kinds)] or [""] for row in rows]
        self.rows += len(rows)
        self.document.add([Table(data, colWidths=self.column_widths, style=self.body_style)])

    def finish(self) -> None:
        style = ParagraphStyle("count", fontName=_FONT, fontSize=_FONT_SIZE, leading=_LEADING, textColor=_INK)
        text = _count(self.rows) if self.rows else "Aucune ligne"
        self.document.add([Spacer(1, 2 * mm), Paragraph(text, style)])
        self.document.end()


async def pdf_chunks(spec: ExportSpec, rows: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]]) -> AsyncIterator[bytes]:
    """The PDF document of the rows, in chunks of `CHUNK_SIZE` bytes: `PDF_BATCH` rows at a time,
    laid out by a worker thread."""
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)
    try:
        writer = await _in_thread(_PdfWriter, spec, out)
        async for batch in _batches(rows, PDF_BATCH):
            await _in_thread(writer.append, batch)
        await _in_thread(writer.finish)
        async for chunk in _stream(out):
            yield chunk
    finally:
        out.close()


# --- HTTP ------------------------------------------------------------------------------------------

_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\"]')
_ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char, besides letters and digits


def content_disposition(filename: str, disposition: Literal["attachment", "inline"] = "attachment") -> str:
    """`Content-Disposition` for a download (RFC 6266): an ASCII `filename` for old clients and the
    real name, UTF-8, in `filename*`."""
    name = _UNSAFE_IN_FILENAME.sub("_", filename).strip() or "export"
    ascii_name = "".join(char for char in unicodedata.normalize("NFKD", name) if not unicodedata.combining(char))
    ascii_name = re.sub(r"[^A-Za-z0-9 ._()\-]", "_", ascii_name).strip() or "export"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def export_filename(spec: ExportSpec, fmt: ExportFormat) -> str:
    suffix = f".{fmt}"
    return spec.filename if spec.filename.lower().endswith(suffix) else f"{spec.filename}{suffix}"


def export_response(
    spec: ExportSpec, rows: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]], fmt: ExportFormat
) -> StreamingResponse:
    """The download of a list: the rows are read while the answer is sent (its headers go first,
    so an error while reading them cuts the download short rather than answering with a problem)."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"unknown export format {fmt!r}")
    chunks = xlsx_chunks(spec, rows) if fmt == "xlsx" else pdf_chunks(spec, rows)
    headers = {"Content-Disposition": content_disposition(export_filename(spec, fmt)), "Cache-Control": "no-store"}
    return StreamingResponse(chunks, media_type=MEDIA_TYPES[fmt], headers=headers)


# --- other documents, written and streamed the same way ----------------------------------------------

ZIP_MEDIA_TYPE = "application/zip"


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a worker thread, as the exports lay out their pages: the event loop is never
    blocked by a document's layout (a cancelled caller waits for the thread before going on)."""
    return await _in_thread(function, *args)


async def spooled_chunks(fill: Callable[[IO[bytes]], Awaitable[None]]) -> AsyncIterator[bytes]:
    """A file that `fill(out)` writes (handing its blocking work to `in_thread`) into a spooled temporary
    file, then read back in chunks of `CHUNK_SIZE`, as the exports are: an error while it is written ends
    the download before its first byte, and memory holds at most the spool's first MiB."""
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)
    try:
        await fill(out)
        async for chunk in _stream(out):
            yield chunk
    finally:
        out.close()


def file_response(chunks: AsyncIterator[bytes], media_type: str, filename: str) -> StreamingResponse:
    """A download of `chunks` under `filename` (RFC 6266), never cached."""
    headers = {"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"}
    return StreamingResponse(chunks, media_type=media_type, headers=headers)
