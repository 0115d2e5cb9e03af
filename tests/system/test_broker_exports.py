"""Exports of the broker's lists through the gateway: the file holds the rows the list shows, in its
order, without the page limit; Excel with typed cells, PDF with the filters; nothing outside the
broker's portfolio."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pypdf

from portfolio.domain.periods import today_in_france

from .test_broker_dashboard import loaded, portfolio_on  # noqa: F401 (the fixture)
from .test_broker_effectifs import Oracle, all_pages, broker_client

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(content: bytes) -> tuple[list[str], list[tuple], openpyxl.worksheet.worksheet.Worksheet]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), rows[1:], sheet


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(content)).pages)


async def test_the_companies_export_holds_the_rows_of_the_list(platform, loaded):  # noqa: F811
    _events, brokers = loaded
    get = await broker_client(platform, brokers[0])
    listed = await all_pages(get, "/api/broker/companies", sort="memberships", order="desc")
    answer = await get("/api/broker/exports/companies", sort="memberships", order="desc", format="xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"].startswith("attachment;")
    header, rows, sheet = sheet_rows(answer.content)
    assert header[:7] == ["Raison sociale", "Code entreprise", "N° SIRET", "Date d'adhésion", "Statut", "Contrats", "Adhésions"]
    assert [(r[1], r[6]) for r in rows] == [(c["company_code"], c["memberships"]) for c in listed]  # same rows, same order
    assert all(isinstance(r[3], datetime | date) and isinstance(r[5], int) for r in rows)  # typed cells
    assert sheet.freeze_panes == "A2"


async def test_a_contracts_insured_as_pdf_with_the_filters_used(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    get = await broker_client(platform, brokers[0])
    mine = portfolio_on(events, brokers[0], today)
    contract = max(
        (k for k in oracle.contracts.values() if k.company_code in mine),
        key=lambda k: sum(1 for a, _ in oracle.memberships if a.contract_number == k.contract_number),
    ).contract_number
    listed = await all_pages(get, f"/api/broker/contracts/{contract}/insured")
    answer = await get(f"/api/broker/exports/contracts/{contract}/insured", format="pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    assert "Mutuelle MBTP" in text and contract in text and "Page 1 /" in text
    assert all(person["member_number"] in text for person in listed)
    excel = await get(f"/api/broker/exports/contracts/{contract}/insured", format="xlsx")
    assert [r[0] for r in sheet_rows(excel.content)[1]] == [p["member_number"] for p in listed]


async def test_productions_export_and_what_is_refused(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    get = await broker_client(platform, brokers[0])
    listed = await all_pages(get, "/api/broker/productions")
    _header, rows, _sheet = sheet_rows((await get("/api/broker/exports/productions")).content)
    assert [r[1] for r in rows] == [c["company_code"] for c in listed]
    refused = await get("/api/broker/exports/companies", sort="1; DROP TABLE companies")
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert (await get("/api/broker/exports/companies", format="docx")).status_code == 422
    foreign = sorted(set(oracle.companies_on(brokers[1], today)) - portfolio_on(events, brokers[0], today))
    number = next(k.contract_number for k in oracle.contracts.values() if k.company_code in foreign)
    for path in (f"/api/broker/exports/contracts/{number}/insured", f"/api/broker/exports/contracts/{number}/guarantees"):
        answer = await get(path)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json", path
    assert (await platform.gateway.get("/api/broker/exports/companies")).status_code == 401
