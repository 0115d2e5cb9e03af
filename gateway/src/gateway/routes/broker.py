"""The broker portal's API (espace courtier)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from extranet_contracts.types import CompanyCode, ContractNumber
from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Token, Who
from extranet_plumbing.exports import MEDIA_TYPES
from gateway.clients.base import Relayed, segment
from gateway.dependencies import Portfolio
from gateway.errors import problem_responses
from gateway.routes.declared import declare_identity_routes
from portfolio.api import (
    AsOfQuery,
    BrokerDashboard,
    CompanyDetail,
    CompanyList,
    ExportQuery,
    GuaranteeList,
    InsuredList,
    ListQuery,
    PeriodBounds,
    PeriodExportQuery,
    PeriodQuery,
)
from portfolio.domain.periods import MONTH_PATTERN

router = APIRouter(prefix="/api", tags=["broker portal"])
declare_identity_routes(router, "broker")


@router.get(
    "/broker/dashboard",
    response_model=BrokerDashboard,
    summary="Tableau de bord du courtier",
    responses=problem_responses(authenticated=True, validated=True),
)
async def dashboard(
    who: Who,
    token: Token,
    portfolio: Portfolio,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM; the current month by default")] = None,
) -> Relayed:
    """Portfolio on the month's last day (today for the current month), entries and exits of the month
    and the previous one, exits by reason, the five latest affiliations and radiations."""
    # Checked here before asking portfolio, which checks again.
    return await portfolio.broker_dashboard(token, require_broker(who), month)


# --- Effectifs, Productions, Radiations ---------------------------------------------------------------

LISTED = problem_responses(authenticated=True, validated=True)
NOT_FOUND = {**LISTED, 404: {"description": "Hors de votre portefeuille"}}
Listing = Annotated[ListQuery, Query()]
Period = Annotated[PeriodQuery, Query()]
AsOf = Annotated[AsOfQuery, Query()]
Bounds = Annotated[PeriodBounds, Query()]


@router.get("/broker/companies", response_model=CompanyList, summary="Effectifs : les entreprises du portefeuille", responses=LISTED)
async def companies(who: Who, token: Token, portfolio: Portfolio, query: Listing) -> Relayed:
    """Search by company (raison sociale, code, SIRET) or by insured person; totals; one page, sorted."""
    return await portfolio.companies(token, require_broker(who), query.params())


@router.get(
    "/broker/companies/{company_code}", response_model=CompanyDetail, summary="Effectifs : détail d'une entreprise", responses=NOT_FOUND
)
async def company(company_code: CompanyCode, who: Who, token: Token, portfolio: Portfolio, query: AsOf) -> Relayed:
    """Details, contacts and contracts (active employees and beneficiaries on `as_of`)."""
    return await portfolio.company(token, require_broker(who), company_code, query.params())


@router.get(
    "/broker/contracts/{contract_number}/guarantees",
    response_model=GuaranteeList,
    summary="Garanties d'un contrat",
    responses=NOT_FOUND,
)
async def guarantees(contract_number: ContractNumber, who: Who, token: Token, portfolio: Portfolio, query: Listing) -> Relayed:
    return await portfolio.guarantees(token, require_broker(who), contract_number, query.params())


@router.get("/broker/contracts/{contract_number}/insured", response_model=InsuredList, summary="Assurés d'un contrat", responses=NOT_FOUND)
async def contract_insured(contract_number: ContractNumber, who: Who, token: Token, portfolio: Portfolio, query: Listing) -> Relayed:
    """Everyone who had joined by `as_of`, active or terminated (status, start, end, reason)."""
    return await portfolio.insured(token, require_broker(who), contract_number, query.params())


@router.get("/broker/insured", response_model=InsuredList, summary="Recherche par assuré", responses=LISTED)
async def insured(who: Who, token: Token, portfolio: Portfolio, query: Listing) -> Relayed:
    """The portfolio's insured persons by name or member number."""
    return await portfolio.insured(token, require_broker(who), None, query.params())


def _movement_routes(tab: str, movement: str, label: str) -> None:
    async def companies_of_period(who: Who, token: Token, portfolio: Portfolio, query: Period) -> Relayed:
        return await portfolio.companies(token, require_broker(who), query.params(movement=movement))

    async def company_of_period(company_code: CompanyCode, who: Who, token: Token, portfolio: Portfolio, query: Bounds) -> Relayed:
        return await portfolio.company(token, require_broker(who), company_code, query.params(movement=movement))

    async def insured_of_period(contract_number: ContractNumber, who: Who, token: Token, portfolio: Portfolio, query: Period) -> Relayed:
        return await portfolio.insured(token, require_broker(who), contract_number, query.params(movement=movement))

    router.add_api_route(
        f"/broker/{tab}", companies_of_period, response_model=CompanyList, summary=f"{label} : entreprises de la période", responses=LISTED
    )
    router.add_api_route(
        f"/broker/{tab}/{{company_code}}",
        company_of_period,
        response_model=CompanyDetail,
        summary=f"{label} : détail d'une entreprise",
        responses=NOT_FOUND,
    )
    router.add_api_route(
        f"/broker/{tab}/contracts/{{contract_number}}/insured",
        insured_of_period,
        response_model=InsuredList,
        summary=f"{label} : assurés d'un contrat sur la période",
        responses=NOT_FOUND,
    )


_movement_routes("productions", "entries", "Productions")
_movement_routes("radiations", "exits", "Radiations")


# --- exports: the rows the list shows, without the page limit, streamed (Excel or PDF) -----------------

EXPORTED = {
    **NOT_FOUND,
    200: {
        "description": "Le fichier, envoyé au fil de sa production",
        "content": {MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}, MEDIA_TYPES["pdf"]: {}},
    },
}


def _export_route(path: str, summary: str, target: str, query_model: type, movement: str | None = None) -> None:
    """`target`: the list exported, as portfolio names it (`{contract_number}` filled in, quoted)."""
    Q = Annotated[query_model, Query()]

    def params(query: AsOfQuery) -> dict:
        return query.params(**({"movement": movement} if movement else {}))

    if "{contract_number}" in path:

        async def export(contract_number: ContractNumber, who: Who, token: Token, portfolio: Portfolio, query: Q) -> StreamingResponse:
            listed = target.format(contract_number=segment(contract_number))
            return await portfolio.export(token, require_broker(who), listed, params(query))

    else:

        async def export(who: Who, token: Token, portfolio: Portfolio, query: Q) -> StreamingResponse:
            return await portfolio.export(token, require_broker(who), target, params(query))

    router.add_api_route(path, export, summary=summary, responses=EXPORTED, response_class=StreamingResponse)


for _path, _summary, _target, _query, _movement in (
    ("/broker/exports/companies", "Effectifs : export des entreprises", "companies", ExportQuery, None),
    ("/broker/exports/productions", "Productions : export des entreprises", "companies", PeriodExportQuery, "entries"),
    ("/broker/exports/radiations", "Radiations : export des entreprises", "companies", PeriodExportQuery, "exits"),
    ("/broker/exports/insured", "Export de la recherche par assuré", "insured", ExportQuery, None),
    (
        "/broker/exports/contracts/{contract_number}/insured",
        "Export des assurés d'un contrat",
        "contracts/{contract_number}/insured",
        ExportQuery,
        None,
    ),
    (
        "/broker/exports/productions/contracts/{contract_number}/insured",
        "Productions : export des assurés d'un contrat",
        "contracts/{contract_number}/insured",
        PeriodExportQuery,
        "entries",
    ),
    (
        "/broker/exports/radiations/contracts/{contract_number}/insured",
        "Radiations : export des assurés d'un contrat",
        "contracts/{contract_number}/insured",
        PeriodExportQuery,
        "exits",
    ),
    (
        "/broker/exports/contracts/{contract_number}/guarantees",
        "Export des garanties d'un contrat",
        "contracts/{contract_number}/guarantees",
        ExportQuery,
        None,
    ),
):
    _export_route(_path, _summary, _target, _query, _movement)
