"""Internal HTTP API of the portfolio service, called by the gateway with the user's token, which is
checked again here: a broker reads only their own portfolio."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Who
from extranet_plumbing.http import field_error, refused_as_field
from portfolio.adapters.effectifs import Scope
from portfolio.api import BrokerDashboard, CompanyDetail, CompanyList, GuaranteeList, InsuredList, ReadModelStats
from portfolio.domain.listing import PAGE_SIZES, Page, Period, Search
from portfolio.domain.periods import MONTH_PATTERN, Month
from portfolio.entrypoints.dependencies import Answers, Today, UoW
from portfolio.service_layer.handlers import READ_MODEL_GROUP

router = APIRouter(prefix="/internal")


@router.get("/brokers/{broker_code}/dashboard", response_model=BrokerDashboard)
async def broker_dashboard(
    broker_code: str,
    who: Who,
    uow: UoW,
    answers: Answers,
    today: Today,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM; the current month by default")] = None,
) -> Response:
    require_broker(who, broker_code)
    as_of = day_of_month(month, today())
    return await answers.respond(
        uow,
        ("dashboard", who.tenant, broker_code, as_of),
        BrokerDashboard,
        lambda: uow.dashboards.broker_dashboard(who.tenant, broker_code, as_of),
    )


def day_of_month(month: str | None, today: date) -> date:
    """The day a month's dashboard is as of: its last day, or today for the current month."""
    if month is None:
        return today
    asked = Month.parse(month)
    if asked > Month.of(today):
        raise field_error("month", "Ce mois n'est pas encore commencé.")
    return min(asked.last_day, today)


# --- Effectifs, Productions, Radiations -----------------------------------------------------------------


async def criteria(
    legal_name: Annotated[str | None, Query(max_length=160, description="Raison sociale: any part, case and accents ignored")] = None,
    company_code: Annotated[str | None, Query(max_length=20, description="Code entreprise (8 digits)")] = None,
    siret: Annotated[str | None, Query(max_length=20, description="14 digits, its key checked")] = None,
    insured_name: Annotated[str | None, Query(max_length=160, description="Any part of an insured person's name")] = None,
    member_number: Annotated[str | None, Query(max_length=20, description="Numéro d'adhérent (8 digits)")] = None,
) -> Search:
    with refused_as_field():
        return Search.checked(
            legal_name=legal_name, company_code=company_code, siret=siret, insured_name=insured_name, member_number=member_number
        )


async def paging(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(description=f"One of {', '.join(map(str, PAGE_SIZES))}")] = 10,
    sort: Annotated[str | None, Query(max_length=40, description="A column of the list")] = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> Page:
    if page_size not in PAGE_SIZES:
        raise field_error("page_size", f"Nombre de lignes par page : {', '.join(map(str, PAGE_SIZES))}.")
    return Page(page, page_size, sort, order)


async def scoping(
    broker_code: str,
    who: Who,
    today: Today,
    as_of: Annotated[date | None, Query(description="The portfolio as it was on that day (default: today)")] = None,
    movement: Annotated[Literal["entries", "exits"] | None, Query(description="Productions (entries) or Radiations (exits)")] = None,
    start: Annotated[date | None, Query(alias="from", description="Start of the period (default: the current month)")] = None,
    end: Annotated[date | None, Query(alias="to", description="End of the period")] = None,
) -> Scope:
    require_broker(who, broker_code)
    day = today()
    if as_of is not None and as_of > day:
        raise field_error("as_of", "La date d'observation ne peut pas être dans le futur.")
    if movement is None:
        return Scope(who.tenant, broker_code, as_of or day)
    start = start or Month.of(day).first_day  # the current month by default
    with refused_as_field():
        period = Period(start, end or Month.of(start).last_day)
    return Scope(who.tenant, broker_code, as_of or min(period.end, day), movement, period)


Criteria = Annotated[Search, Depends(criteria)]
Paging = Annotated[Page, Depends(paging)]
Scoped = Annotated[Scope, Depends(scoping)]


@router.get("/brokers/{broker_code}/companies", response_model=CompanyList)
async def companies(scope: Scoped, search: Criteria, page: Paging, uow: UoW, answers: Answers) -> Response:
    """The portfolio's companies, searched, with the search's totals (Effectifs; Productions and
    Radiations with `movement`: the companies with entries or exits in the period)."""
    with refused_as_field():
        return await answers.respond(
            uow, ("companies", scope, search, page), CompanyList, lambda: uow.effectifs.companies(scope, search, page)
        )


@router.get("/brokers/{broker_code}/companies/{company_code}", response_model=CompanyDetail)
async def company(company_code: str, scope: Scoped, uow: UoW, answers: Answers) -> Response:
    async def found() -> dict:
        detail = await uow.effectifs.company(scope, company_code)
        if detail is None:  # not kept: computed again each time
            raise HTTPException(404, "Entreprise introuvable dans votre portefeuille.")
        return detail

    return await answers.respond(uow, ("company", scope, company_code), CompanyDetail, found)


@router.get("/brokers/{broker_code}/contracts/{contract_number}/guarantees", response_model=GuaranteeList)
async def guarantees(contract_number: str, scope: Scoped, page: Paging, uow: UoW, answers: Answers) -> Response:
    async def listed() -> dict:
        await contract_of_portfolio(uow, scope, contract_number)
        return await uow.effectifs.guarantees(scope, contract_number, page)

    with refused_as_field():
        return await answers.respond(uow, ("guarantees", scope, contract_number, page), GuaranteeList, listed)


@router.get("/brokers/{broker_code}/contracts/{contract_number}/insured", response_model=InsuredList)
async def contract_insured(contract_number: str, scope: Scoped, search: Criteria, page: Paging, uow: UoW, answers: Answers) -> Response:
    async def listed() -> dict:
        await contract_of_portfolio(uow, scope, contract_number)  # a 404 is not kept: computed again each time
        return await uow.effectifs.insured(scope, page, contract_number=contract_number, search=search)

    with refused_as_field():
        return await answers.respond(uow, ("contract insured", scope, contract_number, search, page), InsuredList, listed)


@router.get("/brokers/{broker_code}/insured", response_model=InsuredList)
async def insured(scope: Scoped, search: Criteria, page: Paging, uow: UoW, answers: Answers) -> Response:
    """Search by insured person across the portfolio (name or member number)."""
    if not search.by_insured:
        raise field_error("insured_name", "Saisissez le nom de l'assuré ou son numéro d'adhérent.")
    with refused_as_field():
        return await answers.respond(
            uow, ("insured", scope, search, page), InsuredList, lambda: uow.effectifs.insured(scope, page, search=search)
        )


async def contract_of_portfolio(uow, scope: Scope, contract_number: str) -> None:
    if not await uow.effectifs.contract_in_portfolio(scope, contract_number):
        raise HTTPException(404, "Contrat introuvable dans votre portefeuille.")


@router.get("/stats", response_model=ReadModelStats)
async def stats(uow: UoW) -> dict:
    """Counts only (no personal data): how far the read model has caught up."""
    async with uow:
        return await uow.dashboards.stats(uow.settings.group_id(READ_MODEL_GROUP))
