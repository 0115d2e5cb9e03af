"""The employer portal's reads (espace entreprise, guide 003): home's contract and insured-group selector,
the company sheet (« Fiche entreprise »), the search of an employee (« Rechercher un salarié »), an
employee's detail, the list of the employees of a period and its download (Excel, CSV), and the
contributions (« Cotisations »: payers, schedules, payments).

Each route is declared here, one by one; the correspondent is checked here (a correspondent who accepted
the terms) and portfolio checks again what it may see: its company, the contracts granted to it, its
population categories and insured groups."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from extranet_contracts.types import ContractNumber, InsuredGroup, MembershipId
from extranet_plumbing.auth import require_correspondent
from extranet_plumbing.dependencies import Token, Who
from extranet_plumbing.exports import MEDIA_TYPES
from gateway.clients.base import Relayed
from gateway.dependencies import Portfolio
from gateway.errors import Problem, problem_responses
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

router = APIRouter(prefix="/api", tags=["employer portal"])


def _problem(description: str) -> dict:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


READ = problem_responses(authenticated=True, validated=True)
NOT_VISIBLE = {**READ, 404: _problem("Contrat, groupe d'assurés ou salarié hors de ce qui vous est ouvert")}
DOWNLOADED = {
    **NOT_VISIBLE,
    200: {
        "description": "Le fichier, envoyé au fil de sa production",
        "content": {MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}, "text/csv": {}},
    },
}


@router.get("/employer/contracts", response_model=EmployerContracts, summary="Contrats et groupes d'assurés", responses=READ)
async def contracts(who: Who, token: Token, portfolio: Portfolio) -> Relayed:
    """The collective contracts and insured groups (A, P, E, M) the correspondent may select."""
    require_correspondent(who)
    return await portfolio.employer_contracts(token)


@router.get(
    "/employer/contracts/{contract_number}/groups/{insured_group}/sheet",
    response_model=CompanySheet,
    summary="Fiche entreprise",
    responses=NOT_VISIBLE,
)
async def company_sheet(
    contract_number: ContractNumber,
    insured_group: InsuredGroup,
    who: Who,
    token: Token,
    portfolio: Portfolio,
    query: Annotated[SheetQuery, Query()],
) -> Relayed:
    """The contract's company, its employees and covered persons on `as_of`, the group's, and the products."""
    require_correspondent(who)
    return await portfolio.company_sheet(token, contract_number, insured_group.value, query.params())


@router.get(
    "/employer/contracts/{contract_number}/groups/{insured_group}/contributions",
    response_model=Contributions,
    summary="Cotisations : payeurs, échéanciers, règlements",
    responses=NOT_VISIBLE,
)
async def contributions(
    contract_number: ContractNumber, insured_group: InsuredGroup, who: Who, token: Token, portfolio: Portfolio
) -> Relayed:
    """The payers (share, frequency, payment mode, pre-litigation), the schedules and the payments of the contract and group."""
    require_correspondent(who)
    return await portfolio.contributions(token, contract_number, insured_group.value)


@router.post("/employer/employees/search", response_model=EmployeeSearchResult, summary="Rechercher un salarié", responses=NOT_VISIBLE)
async def search(criteria: EmployeeSearchQuery, who: Who, token: Token, portfolio: Portfolio) -> Relayed:
    """Covered on the date: by name (last name required; first name, birth date) or by social security number and its key.
    The criteria are the body: a NIR or a name never goes into a URL."""
    require_correspondent(who)
    return await portfolio.search_employees(token, criteria.params())


@router.get("/employer/employees", response_model=EmployeeList, summary="Liste des salariés d'une période", responses=NOT_VISIBLE)
async def employees(who: Who, token: Token, portfolio: Portfolio, query: Annotated[EmployeeListQuery, Query()]) -> Relayed:
    """Everyone covered at some point of the period, with or without their dependants: a page."""
    require_correspondent(who)
    return await portfolio.employees(token, query.params())


@router.get(
    "/employer/exports/employees",
    summary="Télécharger la liste des salariés",
    responses=DOWNLOADED,
    response_class=StreamingResponse,
)
async def export_employees(
    who: Who, token: Token, portfolio: Portfolio, query: Annotated[EmployeeExportQuery, Query()]
) -> StreamingResponse:
    """The rows of the list, without the page limit, as Excel or CSV, streamed."""
    require_correspondent(who)
    return await portfolio.export_employees(token, query.params())


@router.get("/employer/employees/{membership_id}", response_model=EmployeeDetail, summary="Fiche d'un salarié", responses=NOT_VISIBLE)
async def employee(
    membership_id: MembershipId, who: Who, token: Token, portfolio: Portfolio, query: Annotated[SheetQuery, Query()]
) -> Relayed:
    """Identity, contract, group, contacts, masked RIB; the beneficiaries with their masked NIRs."""
    require_correspondent(who)
    return await portfolio.employee(token, membership_id, query.params())
