"""The employer portal's reads on the internal API (guide 003), called by the gateway with the
correspondent's token, checked again here: a correspondent reads only its company, the contracts granted
to it (of its population categories) and its insured groups; anyone else is refused (403), and a
contract, group or employee outside what it may see is not found (404).

- GET /internal/employer/contracts: home's selector of contract and insured group.
- GET /internal/employer/contracts/{contract_number}/groups/{insured_group}/sheet: the company sheet.
- GET /internal/employer/contracts/{contract_number}/groups/{insured_group}/contributions: payers, schedules, payments.
- POST /internal/employer/employees/search: find an employee by name or by NIR (and its key), at a date (criteria in the body).
- GET /internal/employer/employees/{membership_id}: an employee's detail (masked NIRs and RIB).
- GET /internal/employer/employees: the employees of a period, with or without dependants, a page.
- GET /internal/employer/exports/employees: the same rows as Excel or CSV, streamed."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from fastapi.responses import StreamingResponse

from extranet_plumbing.auth import CorrespondentScope, require_correspondent
from extranet_plumbing.dependencies import Placeholder, Who
from extranet_plumbing.exports import Column, ExportSpec, display_value, export_response, file_response
from extranet_plumbing.http import field_error, refused_as_field
from extranet_plumbing.tenants import UnknownTenant, tenant
from portfolio.adapters.employer import Visible
from portfolio.api import (
    CompanySheet,
    Contributions,
    EmployeeDetail,
    EmployeeExportQuery,
    EmployeeList,
    EmployeeListQuery,
    EmployeeSearchQuery,
    EmployeeSearchResult,
    EmployerContracts,
    SheetQuery,
)
from portfolio.domain.employer import EMPLOYEE_PAGE_SIZES, INSURED_GROUPS, EmployeeListing, EmployeeSearch, NirDigest, Selection
from portfolio.domain.listing import Page
from portfolio.entrypoints.dependencies import Answers, Today, UoW

router = APIRouter(prefix="/internal/employer")

nir_digest = Placeholder("nir_digest")  # -> NirDigest, bound by bootstrap (the settings' key)
Digest = Annotated[NirDigest, Depends(nir_digest)]
NOT_VISIBLE = "Contrat ou groupe d'assurés introuvable parmi ceux qui vous sont ouverts."
NOT_FOUND = "Salarié introuvable parmi les contrats qui vous sont ouverts."


async def correspondent(who: Who) -> tuple[str, CorrespondentScope]:
    """The tenant and what the correspondent may see; 403 for anyone else."""
    return who.tenant, require_correspondent(who)


Asking = Annotated[tuple[str, CorrespondentScope], Depends(correspondent)]


def _page(number: int, size: int, location: str = "query") -> Page:
    if size not in EMPLOYEE_PAGE_SIZES:
        raise field_error("page_size", f"Nombre de lignes par page : {', '.join(map(str, EMPLOYEE_PAGE_SIZES))}.", location=location)
    return Page(number, size)


async def _visible(uow: UoW, asking: tuple[str, CorrespondentScope], selection: Selection) -> Visible:
    """In the unit of work: what the correspondent sees; 404 for a contract or group outside it."""
    visible = await uow.employer.visible(*asking)
    if not visible.may_select(selection):
        raise HTTPException(404, NOT_VISIBLE)
    return visible


async def selected(contract_number: Annotated[str, Path(max_length=20)], insured_group: Annotated[str, Path(max_length=1)]) -> Selection:
    """The contract and insured group of the path."""
    if insured_group not in INSURED_GROUPS:
        raise field_error("insured_group", "Groupe d'assurés : A, P, E ou M.", location="path")
    return Selection(contract_number, insured_group)


Selected = Annotated[Selection, Depends(selected)]


async def _kept(
    uow: UoW,
    answers: Answers,
    asking: tuple[str, CorrespondentScope],
    selection: Selection,
    model: Any,
    key: tuple,
    read: Callable[[Visible], Awaitable[dict | None]],
) -> Response:
    """The answer of `read`, kept while the read model has not changed (`ReadModelCache.respond`). What the
    correspondent may see is part of the computation: it depends on the read model (the company's contracts)
    and on the token's scope, which is in the key. A contract, group or answer not found is a 404, not kept."""

    async def computed() -> dict:
        found = await read(await _visible(uow, asking, selection))
        if found is None:
            raise HTTPException(404, NOT_VISIBLE)
        return found

    return await answers.respond(uow, (*key, asking, selection), model, computed)


@router.get("/contracts", response_model=EmployerContracts)
async def contracts(asking: Asking, uow: UoW) -> dict:
    async with uow:
        return await uow.employer.contracts(await _visible(uow, asking, Selection()))


@router.get("/contracts/{contract_number}/groups/{insured_group}/sheet", response_model=CompanySheet)
async def company_sheet(
    selection: Selected, asking: Asking, uow: UoW, answers: Answers, today: Today, query: Annotated[SheetQuery, Query()]
) -> Response:
    as_of = query.as_of or today()
    return await _kept(
        uow, answers, asking, selection, CompanySheet, ("employer sheet", as_of), lambda v: uow.employer.company_sheet(v, selection, as_of)
    )


@router.get("/contracts/{contract_number}/groups/{insured_group}/contributions", response_model=Contributions)
async def contributions(selection: Selected, asking: Asking, uow: UoW, answers: Answers, today: Today) -> Response:
    """« Cotisations »: the payers, schedules and payments of the contract and insured group."""
    day = today()
    return await _kept(
        uow,
        answers,
        asking,
        selection,
        Contributions,
        ("employer contributions", day),
        lambda v: uow.employer.contributions(v, selection, day),
    )


@router.post("/employees/search", response_model=EmployeeSearchResult)
async def search(query: EmployeeSearchQuery, asking: Asking, uow: UoW, answers: Answers, today: Today, digest: Digest) -> Response:
    """« Un salarié »: covered on the date, by name (last name required) or by NIR and its key. The criteria come
    in the body, never in the URL (which proxies log): a NIR and a name are personal data."""
    page = _page(query.page, query.page_size, "body")
    with refused_as_field(location="body"):
        criteria = EmployeeSearch.checked(
            digest,
            as_of=query.as_of or today(),
            last_name=query.last_name,
            first_name=query.first_name,
            birth_date=query.birth_date,
            nir=query.nir,
            nir_key=query.nir_key,
        )
    selection = Selection(query.contract_number, query.insured_group)
    return await _kept(
        uow,
        answers,
        asking,
        selection,
        EmployeeSearchResult,
        ("employer search", criteria, page),
        lambda v: uow.employer.search(v, selection, criteria, page),
    )


@router.get("/employees/{membership_id}", response_model=EmployeeDetail)
async def employee(
    membership_id: Annotated[str, Path(pattern=r"^[A-Z0-9-]{4,20}$")],
    asking: Asking,
    uow: UoW,
    today: Today,
    as_of: Annotated[date | None, Query(description="The status on that day (default: today)")] = None,
) -> dict:
    async with uow:
        found = await uow.employer.employee(await _visible(uow, asking, Selection()), membership_id, as_of or today())
    if found is None:
        raise HTTPException(404, NOT_FOUND)
    return found


def _listing(query: EmployeeListQuery | EmployeeExportQuery) -> tuple[Selection, EmployeeListing]:
    with refused_as_field():
        return Selection(query.contract_number, query.insured_group), EmployeeListing.checked(query.start, query.end, query.dependants)


@router.get("/employees", response_model=EmployeeList)
async def employees(asking: Asking, uow: UoW, answers: Answers, query: Annotated[EmployeeListQuery, Query()]) -> Response:
    """« Une liste de salariés »: everyone covered at some point of the period, a page."""
    page = _page(query.page, query.page_size)
    selection, listing = _listing(query)
    return await _kept(
        uow,
        answers,
        asking,
        selection,
        EmployeeList,
        ("employer list", listing, page),
        lambda v: uow.employer.employees(v, selection, listing, page),
    )


# --- the list downloaded: the same rows, without the page limit, streamed -------------------------------

EMPLOYEE_COLUMNS = [
    Column("contract_number", "Contrat collectif", "text", 14),
    Column("insured_group", "Groupe d'assurés", "text", 8),
    Column("membership_id", "N° d'adhésion", "text", 14),
    Column("member_number", "N° adhérent", "text", 12),
    Column("name", "Nom et prénom", "text", 30),
    Column("type", "Type d'assuré", "text", 16),
    Column("birth_date", "Né(e) le", "date"),
    Column("start_date", "Date début", "date"),
    Column("end_date", "Date fin", "date"),
]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(column: Column, value: Any) -> str:
    text = display_value(column.kind, value)
    return "'" + text if text.startswith(_FORMULA_START) else text  # never a formula in a spreadsheet


async def csv_chunks(columns: list[Column], rows: AsyncIterator[dict], batch: int = 1000) -> AsyncIterator[bytes]:
    """A CSV as French spreadsheets read it (UTF-8 with its mark, semicolons, dd/mm/yyyy), written as the
    rows are read: a batch of rows at a time in memory."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow([c.title for c in columns])
    count = 0
    async for row in rows:
        writer.writerow([_csv_cell(c, row.get(c.key)) for c in columns])
        count += 1
        if count % batch == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


@router.get("/exports/employees", response_class=StreamingResponse)
async def export_employees(asking: Asking, uow: UoW, query: Annotated[EmployeeExportQuery, Query()]) -> StreamingResponse:
    """The list of a period as Excel or CSV: the rows the list shows, in its order, streamed."""
    selection, listing = _listing(query)
    async with uow:
        visible = await _visible(uow, asking, selection)  # refused before the download starts

    async def rows() -> AsyncIterator[dict]:
        async with uow:
            async for row in uow.employer.all_employees(visible, selection, listing):
                yield row

    period = listing.period
    filename = f"salaries-{period.start}-{period.end}"
    if query.format == "csv":
        return file_response(csv_chunks(EMPLOYEE_COLUMNS, rows()), CSV_MEDIA_TYPE, f"{filename}.csv")
    filters = [
        ("Entreprise", visible.company_code),
        ("Contrat collectif", selection.contract_number or "Tous les contrats"),
        ("Groupe d'assurés", INSURED_GROUPS[selection.insured_group] if selection.insured_group else "Tous les groupes"),
        ("Période", f"du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}"),
        ("Ayants droit", "Oui" if listing.dependants else "Non"),
    ]
    try:
        name = tenant(visible.tenant).name
    except UnknownTenant:
        name = visible.tenant
    spec = ExportSpec(title="Liste des salariés", tenant_name=name, filters=filters, columns=EMPLOYEE_COLUMNS, filename=filename)
    return export_response(spec, rows(), "xlsx")
