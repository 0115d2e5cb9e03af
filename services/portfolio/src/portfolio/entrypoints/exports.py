"""Exports of the broker portal's lists (Excel and PDF): the rows the list shows, in its order, without
the page limit, streamed as they are read (a cursor in a transaction held for the download).

The routes take the same query as the lists, checked the same way; the format is the only addition."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from extranet_plumbing.exports import Column, ExportSpec, export_response
from extranet_plumbing.http import field_error, refused_as_field
from extranet_plumbing.tenants import UnknownTenant, tenant
from portfolio.adapters.effectifs import COMPANY_SORTS, GUARANTEE_SORTS, INSURED_SORTS, Scope, all_guarantees
from portfolio.domain.listing import Page, Search
from portfolio.entrypoints.dependencies import UoW
from portfolio.entrypoints.http import Criteria, Paging, Scoped, contract_of_portfolio

router = APIRouter(prefix="/internal")
Format = Annotated[Literal["xlsx", "pdf"], Query(description="xlsx (Excel) or pdf")]

COMPANY_COLUMNS = [
    Column("legal_name", "Raison sociale", "text", 40),
    Column("company_code", "Code entreprise", "text", 14),
    Column("siret", "N° SIRET", "text", 16),
    Column("membership_date", "Date d'adhésion", "date"),
    Column("status", "Statut", "text", 10),
    Column("contracts", "Contrats", "int"),
    Column("memberships", "Adhésions", "int"),
    Column("changed_at", "Mis à jour le", "datetime"),
]
INSURED_COLUMNS = [
    Column("member_number", "N° adhérent", "text", 12),
    Column("name", "Nom et prénom", "text", 30),
    Column("status", "Statut", "text", 10),
    Column("start_date", "Date début", "date"),
    Column("end_date", "Date fin", "date"),
    Column("reason", "Motif", "text", 18),
    Column("legal_name", "Entreprise", "text", 30),
    Column("contract_number", "Contrat", "text", 12),
]
GUARANTEE_COLUMNS = [
    Column("name", "Nom de la garantie", "text", 40),
    Column("start_date", "Date début", "date"),
    Column("end_date", "Date fin", "date"),
    Column("changed_at", "Mis à jour le", "datetime"),
]
TABS = {None: "Effectifs", "entries": "Productions", "exits": "Radiations"}


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _filters(scope: Scope, search: Search, page: Page, *more: tuple[str, str]) -> list[tuple[str, str]]:
    shown = [("Courtier", scope.broker_code)]
    if scope.period is not None:
        shown.append(("Période", f"du {_french(scope.period.start)} au {_french(scope.period.end)}"))
    shown.append(("Portefeuille au", _french(scope.as_of)))
    shown += [*more, *search.described()]
    if page.sort:
        shown.append(("Tri", f"{page.sort} ({'décroissant' if page.order == 'desc' else 'croissant'})"))
    return shown


def _spec(scope: Scope, title: str, filename: str, columns: list[Column], filters: list[tuple[str, str]]) -> ExportSpec:
    try:
        name = tenant(scope.tenant).name
    except UnknownTenant:
        name = scope.tenant
    return ExportSpec(title=title, tenant_name=name, filters=filters, columns=columns, filename=filename)


def _streamed(uow: UoW, read: Callable[[Any], AsyncIterator[dict]]) -> AsyncIterator[dict]:
    """The rows, read in the unit of work's transaction, opened when the download starts."""

    async def rows() -> AsyncIterator[dict]:
        async with uow:
            async for row in read(uow):
                yield row

    return rows()


def _checked_sort(page: Page, columns: dict[str, str]) -> None:
    """An unknown sort column is refused (422) before the download starts."""
    with refused_as_field():
        page.order_by(columns, next(iter(columns)), "")


@router.get("/brokers/{broker_code}/exports/companies", response_class=StreamingResponse)
async def export_companies(scope: Scoped, search: Criteria, page: Paging, uow: UoW, format: Format = "xlsx") -> StreamingResponse:
    """The companies list (Effectifs, or Productions / Radiations with `movement`) as Excel or PDF."""
    _checked_sort(page, COMPANY_SORTS)
    tab = TABS[scope.movement]
    spec = _spec(
        scope,
        f"{tab} : entreprises du portefeuille",
        f"{tab.lower()}-entreprises-{scope.as_of}",
        COMPANY_COLUMNS,
        _filters(scope, search, page),
    )
    return export_response(spec, _streamed(uow, lambda u: u.effectifs.all_companies(scope, search, page)), format)


@router.get("/brokers/{broker_code}/exports/insured", response_class=StreamingResponse)
async def export_insured(scope: Scoped, search: Criteria, page: Paging, uow: UoW, format: Format = "xlsx") -> StreamingResponse:
    """The search by insured person as Excel or PDF."""
    if not search.by_insured:
        raise field_error("insured_name", "Saisissez le nom de l'assuré ou son numéro d'adhérent.")
    _checked_sort(page, INSURED_SORTS)
    spec = _spec(scope, "Recherche par assuré", f"assures-{scope.as_of}", INSURED_COLUMNS, _filters(scope, search, page))
    return export_response(spec, _streamed(uow, lambda u: u.effectifs.all_insured(scope, page, search=search)), format)


@router.get("/brokers/{broker_code}/exports/contracts/{contract_number}/insured", response_class=StreamingResponse)
async def export_contract_insured(
    contract_number: str, scope: Scoped, search: Criteria, page: Paging, uow: UoW, format: Format = "xlsx"
) -> StreamingResponse:
    """A contract's insured list as Excel or PDF."""
    _checked_sort(page, INSURED_SORTS)
    async with uow:
        await contract_of_portfolio(uow, scope, contract_number)
    tab = TABS[scope.movement]
    spec = _spec(
        scope,
        f"{tab} : assurés du contrat {contract_number}",
        f"assures-{contract_number}-{scope.as_of}",
        INSURED_COLUMNS,
        _filters(scope, search, page, ("Contrat", contract_number)),
    )
    rows = _streamed(uow, lambda u: u.effectifs.all_insured(scope, page, contract_number=contract_number, search=search))
    return export_response(spec, rows, format)


@router.get("/brokers/{broker_code}/exports/contracts/{contract_number}/guarantees", response_class=StreamingResponse)
async def export_guarantees(contract_number: str, scope: Scoped, page: Paging, uow: UoW, format: Format = "xlsx") -> StreamingResponse:
    """A contract's guarantees as Excel or PDF."""
    _checked_sort(page, GUARANTEE_SORTS)
    async with uow:
        await contract_of_portfolio(uow, scope, contract_number)
    spec = _spec(
        scope,
        f"Garanties du contrat {contract_number}",
        f"garanties-{contract_number}",
        GUARANTEE_COLUMNS,
        _filters(scope, Search(), page, ("Contrat", contract_number)),
    )
    return export_response(spec, _streamed(uow, lambda u: all_guarantees(u.connection, scope, contract_number, page)), format)
