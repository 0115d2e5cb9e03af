"""Exports of a list: an Excel workbook a broker can filter and sort, a PDF they can print, both
holding every row the list shows; an export of 100,000 rows streams with flat memory."""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from pypdf import PdfReader

from extranet_plumbing.exports import (
    PDF_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Column,
    ExportSpec,
    content_disposition,
    export_response,
    pdf_chunks,
    xlsx_chunks,
)

COLUMNS = [
    Column("company", "Entreprise"),
    Column("siren", "SIREN", "text", 11),
    Column("since", "Adhésion", "date"),
    Column("insured", "Assurés", "int"),
    Column("premium", "Cotisation (€)", "decimal"),
    Column("updated_at", "Mise à jour", "datetime"),
]
FILTERS = [("Statut", "Actives"), ("Recherche", "Boulangerie")]


def spec(columns: list[Column] = COLUMNS, filters: list[tuple[str, str]] = FILTERS) -> ExportSpec:
    return ExportSpec(
        title="Entreprises du portefeuille",
        tenant_name="Mutuelle Démo",
        filters=filters,
        columns=columns,
        filename="entreprises-février",
        generated_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )


def company(index: int) -> dict:
    return {
        "company": f"Boulangerie-{index:03d}",
        "siren": f"{900000000 + index}",
        "since": date(2024, 1 + index % 12, 1 + index % 28),
        "insured": 1000 + index,
        "premium": Decimal("1234.5") + index,
        "updated_at": datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
    }


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


def flat(text: str) -> str:
    """Extracted text with every run of white space (no-break spaces, line breaks) as one space."""
    return " ".join(text.split())


async def test_an_excel_export_has_a_frozen_filtered_header_and_typed_cells():
    rows = [company(1), company(2), {**company(3), "insured": None, "premium": None}]
    workbook = load_workbook(io.BytesIO(await collect(xlsx_chunks(spec(), rows))))

    assert workbook.sheetnames == ["Entreprises du portefeuille", "Filtres"]
    sheet = workbook["Entreprises du portefeuille"]
    assert [cell.value for cell in sheet[1]] == ["Entreprise", "SIREN", "Adhésion", "Assurés", "Cotisation (€)", "Mise à jour"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F4"
    assert sheet.max_row == 4

    name, siren, since, insured, premium, updated_at = sheet[2]
    assert name.value == "Boulangerie-001" and siren.value == "900000001" and siren.data_type == "s"
    assert since.is_date and since.value == datetime(2024, 2, 2) and since.number_format == "dd/mm/yyyy"
    assert insured.value == 1001 and isinstance(insured.value, int)
    assert premium.value == pytest.approx(1235.5) and premium.data_type == "n" and premium.number_format == "#,##0.00"
    assert updated_at.value == datetime(2026, 1, 15, 9, 0)  # French time: Excel knows no time zones
    assert [cell.value for cell in sheet[4]][3:5] == [None, None]  # None is an empty cell

    assert [[cell.value for cell in row] for row in workbook["Filtres"].iter_rows()] == [
        ["Export", "Entreprises du portefeuille"],
        ["Organisme", "Mutuelle Démo"],
        ["Édité le", datetime(2026, 3, 2, 10, 30)],
        ["Nombre de lignes", 3],
        [None, None],
        ["Filtre", "Valeur"],
        ["Statut", "Actives"],
        ["Recherche", "Boulangerie"],
    ]


async def test_an_empty_excel_export_still_has_its_header_and_says_there_is_no_filter():
    workbook = load_workbook(io.BytesIO(await collect(xlsx_chunks(spec(filters=[]), []))))

    sheet = workbook.worksheets[0]
    assert sheet.max_row == 1 and sheet.auto_filter.ref == "A1:F1" and sheet.freeze_panes == "A2"
    assert ["Aucun filtre"] in [[cell.value for cell in row if cell.value is not None] for row in workbook["Filtres"].iter_rows()]


async def test_text_that_looks_like_a_formula_stays_text_in_excel():
    attacks = ['=HYPERLINK("http://evil.example","clic")', "=1+1", "+33 6 12 34 56 78", "-2+3", "@SUM(A1:A2)", "#N/A", "a\x00b\x1bc"]
    columns = [Column("value", "Valeur"), Column("when", "Date", "date"), Column("count", "Nombre", "int")]
    rows = [{"value": attack, "when": attack, "count": attack} for attack in attacks]
    data = await collect(xlsx_chunks(spec(columns=columns, filters=[("Recherche", "=cmd|' /C calc'!A0")]), rows))

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not any("<f>" in archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/"))
    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for row in workbook.worksheets[0].iter_rows(min_row=2) for cell in row]
    expected = [*attacks[:-1], "abc"]
    assert [cell.value for cell in cells] == [value for attack in expected for value in (attack, attack, attack)]
    assert all(cell.data_type == "s" for cell in cells)
    assert all(cell.quotePrefix for cell in cells if cell.value[0] in "=+-@")  # editing the cell in Excel keeps it text
    assert workbook["Filtres"]["B7"].value == "=cmd|' /C calc'!A0" and workbook["Filtres"]["B7"].data_type == "s"


async def test_a_value_is_read_as_its_column_kind_or_else_written_as_text():
    columns = [Column("when", "Date", "date"), Column("amount", "Montant", "decimal"), Column("count", "Nombre", "int")]
    rows = [{"when": "2024-05-06", "amount": "12.5", "count": "42"}, {"when": "bientôt", "amount": "NaN", "count": 2.5}]
    sheet = load_workbook(io.BytesIO(await collect(xlsx_chunks(spec(columns=columns), rows)))).worksheets[0]

    assert [cell.value for cell in sheet[2]] == [datetime(2024, 5, 6), 12.5, 42]
    assert [cell.value for cell in sheet[3]] == ["bientôt", "NaN", "2.5"]


async def test_a_pdf_export_holds_every_row_with_its_header_on_every_page_and_page_numbers():
    rows = [company(index) for index in range(50)]
    reader = PdfReader(io.BytesIO(await collect(pdf_chunks(spec(), rows))))
    pages = [flat(page.extract_text()) for page in reader.pages]
    text = " ".join(pages)

    assert len(pages) == 2
    for number, page in enumerate(pages, 1):
        assert "Mutuelle Démo" in page and "Entreprises du portefeuille" in page
        assert f"Page {number} / 2" in page
        assert "Entreprise SIREN Adhésion Assurés Cotisation (€) Mise à jour" in page
        assert "Édité le 02/03/2026 à 10:30" in page
    assert "Statut : Actives" in pages[0] and "Recherche : Boulangerie" in pages[0]
    assert "Statut : Actives" not in pages[1]
    for index, row in enumerate(rows):
        assert text.count(row["company"]) == 1
        line = [row["company"], row["siren"], f"{row['since']:%d/%m/%Y}", f"1 {index:03d}", f"1 {234 + index},50", "15/01/2026 09:00"]
        assert " ".join(line) in text
    assert "Boulangerie-007 900000007 08/08/2024 1 007 1 241,50 15/01/2026 09:00" in text  # French dates and amounts
    assert "50 lignes" in pages[1]


async def test_an_empty_pdf_export_is_one_page_that_says_so():
    reader = PdfReader(io.BytesIO(await collect(pdf_chunks(spec(filters=[]), []))))
    page = flat(reader.pages[0].extract_text())

    assert len(reader.pages) == 1
    assert "Aucun filtre" in page and "Aucune ligne" in page and "Page 1 / 1" in page


async def test_long_text_wraps_in_its_pdf_column_and_a_huge_one_is_cut():
    columns = [Column("note", "Commentaire", "text", 30), Column("when", "Date", "date", 10)]
    rows = [{"note": "mot " * 40, "when": date(2024, 1, 2)}, {"note": "x" * 20000, "when": date(2024, 1, 3)}]
    reader = PdfReader(io.BytesIO(await collect(pdf_chunks(spec(columns=columns), rows))))
    text = flat(" ".join(page.extract_text() for page in reader.pages))

    assert len(reader.pages) == 1
    assert text.count("mot") == 40 and "02/01/2024" in text and "03/01/2024" in text and "…" in text


def test_content_disposition_names_the_file_in_ascii_and_in_utf_8():
    assert content_disposition("Entreprises – février.xlsx") == (
        "attachment; filename=\"Entreprises _ fevrier.xlsx\"; filename*=UTF-8''Entreprises%20%E2%80%93%20f%C3%A9vrier.xlsx"
    )
    assert content_disposition('../a"b\r\n.pdf') == "attachment; filename=\".._a_b__.pdf\"; filename*=UTF-8''.._a_b__.pdf"


@pytest.mark.parametrize(("fmt", "media_type", "magic"), [("xlsx", XLSX_MEDIA_TYPE, b"PK"), ("pdf", PDF_MEDIA_TYPE, b"%PDF")])
async def test_an_export_is_downloaded_as_an_attachment(fmt, media_type, magic):
    app = FastAPI()

    async def rows() -> AsyncIterator[dict]:
        for index in range(3):
            yield company(index)

    @app.get("/export")
    async def export():
        return export_response(spec(), rows(), fmt)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answer = await client.get("/export")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == media_type
    assert answer.headers["content-disposition"] == (
        f"attachment; filename=\"entreprises-fevrier.{fmt}\"; filename*=UTF-8''entreprises-f%C3%A9vrier.{fmt}"
    )
    assert answer.content.startswith(magic)


async def test_a_failing_row_source_leaves_no_temporary_file(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    async def rows() -> AsyncIterator[dict]:
        for index in range(2500):
            yield company(index)
        raise ConnectionError("the database went away")

    for chunks in (xlsx_chunks(spec(), rows()), pdf_chunks(spec(), rows())):
        with pytest.raises(ConnectionError):
            await collect(chunks)
        assert list(tmp_path.iterdir()) == []


async def test_an_export_given_up_leaves_no_temporary_file(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    async def rows(waiting: asyncio.Event) -> AsyncIterator[dict]:
        for index in range(2500):
            yield company(index)
        waiting.set()
        await asyncio.Event().wait()  # the client goes away while the rows are read

    for export, leaves_files in ((xlsx_chunks, True), (pdf_chunks, False)):
        waiting = asyncio.Event()
        download = asyncio.create_task(collect(export(spec(), rows(waiting))))
        await asyncio.wait_for(waiting.wait(), 60)
        assert bool(list(tmp_path.iterdir())) is leaves_files  # openpyxl writes its sheets to temporary files
        download.cancel()
        with pytest.raises(asyncio.CancelledError):
            await download
        assert list(tmp_path.iterdir()) == []


async def test_an_excel_export_of_100_000_rows_streams_with_flat_memory(tmp_path):
    rows_count = 100_000
    columns = [Column("company", "Entreprise"), Column("since", "Adhésion", "date")]  # tracing allocations makes each cell slow

    def row(index: int) -> dict:
        return {"company": f"Boulangerie-{index:06d}", "since": date(2024, 1, 1 + index % 28)}

    async def rows() -> AsyncIterator[dict]:
        for index in range(rows_count):
            yield row(index)

    target = tmp_path / "export.xlsx"
    tracemalloc.start()
    try:
        started = time.perf_counter()
        with target.open("wb") as out:
            async for chunk in xlsx_chunks(spec(columns=columns), rows()):
                out.write(chunk)
        elapsed = time.perf_counter() - started
        _, export_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        as_a_list = [row(index) for index in range(rows_count)]
        list_size = tracemalloc.get_traced_memory()[0] - before
        del as_a_list
    finally:
        tracemalloc.stop()
    print(
        f"\n{rows_count} rows: export peak {export_peak / 2**20:.1f} MiB in {elapsed:.1f} s (traced), "
        f"the same rows as a list of dicts {list_size / 2**20:.1f} MiB, file {target.stat().st_size / 2**20:.1f} MiB"
    )

    assert export_peak < 30 * 2**20
    assert export_peak * 5 < list_size
    with zipfile.ZipFile(target) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        tail = b""
        while block := sheet.read(1 << 20):
            tail = (tail + block)[-4096:]
    assert re.search(rb'<row r="100001"><c r="A100001" t="inlineStr"><is><t>Boulangerie-099999</t>', tail)
    assert b'<autoFilter ref="A1:B100001"' in tail
