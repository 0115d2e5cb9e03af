"""Internal HTTP API of the claims service, called by the gateway with the member's token, which is
checked again here: a member reads only their own household's reimbursements, and a payment of another
household, or a reference that does not exist, is not found (404) alike.

The answers are kept while the read model has not changed (`Answers`, a `ReadModelCache`), keyed by the
tenant, the household (the token's, checked first) and every criterion: a member's pages cost one read
of the read model's count once computed."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import Response

from claims.api import (
    REFERENCE_PATTERN,
    LatestReimbursements,
    ReadModelStats,
    ReimbursementDetail,
    ReimbursementList,
)
from claims.domain.explanation import PATHWAY_LABELS, explain, summary
from claims.domain.french import iban
from claims.domain.payments import Act, Beneficiary, Payment
from claims.domain.search import LATEST, PAGE_SIZES, Page, Search
from claims.entrypoints.dependencies import Answers, UoW
from claims.service_layer.handlers import READ_MODEL_GROUP
from extranet_plumbing.auth import require_member
from extranet_plumbing.dependencies import Who
from extranet_plumbing.http import refused_as_field

router = APIRouter(prefix="/internal")
NOT_FOUND = "Remboursement introuvable."
YOU = "Vous"


async def household(member_number: str, who: Who) -> str:
    """The household asked for, once the token says it is the member's own (403 otherwise). Dependencies
    are coroutine functions: FastAPI would run a plain one in its thread pool, a hop per request."""
    return require_member(who, member_number)


Household = Annotated[str, Depends(household)]


async def criteria(
    beneficiary: Annotated[str | None, Query(max_length=40, description="A beneficiary's id (from `beneficiaries`)")] = None,
    start: Annotated[date | None, Query(alias="from", description="Paid on or after this day")] = None,
    end: Annotated[date | None, Query(alias="to", description="Paid on or before this day")] = None,
) -> Search:
    with refused_as_field():
        return Search(beneficiary=beneficiary, start=start, end=end)


async def paging(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(description=f"One of {', '.join(map(str, PAGE_SIZES))}")] = 10,
) -> Page:
    with refused_as_field():
        return Page(page, page_size)


Criteria = Annotated[Search, Depends(criteria)]
Paging = Annotated[Page, Depends(paging)]


@router.get("/members/{member_number}/reimbursements/latest", response_model=LatestReimbursements)
async def latest(member_number: Household, who: Who, uow: UoW, answers: Answers) -> Response:
    """The last three payments (home page), newest first."""

    async def computed() -> dict:
        return {"items": [row(p) for p in await uow.reimbursements.latest(who.tenant, member_number, LATEST)]}

    return await answers.respond(uow, ("latest", who.tenant, member_number), LatestReimbursements, computed)


@router.get("/members/{member_number}/reimbursements", response_model=ReimbursementList)
async def reimbursements(member_number: Household, who: Who, uow: UoW, answers: Answers, search: Criteria, page: Paging) -> Response:
    """The household's payments, newest first: of a beneficiary, over a period of payment dates."""
    return await _listed(uow, answers, who.tenant, member_number, search, page)


@router.get("/members/{member_number}/reimbursements/third-party", response_model=ReimbursementList)
async def third_party(member_number: Household, who: Who, uow: UoW, answers: Answers, search: Criteria, page: Paging) -> Response:
    """The payments made to health professionals (remboursements aux tiers), newest first."""
    to_professionals = Search(search.beneficiary, search.start, search.end, to_professionals=True)
    return await _listed(uow, answers, who.tenant, member_number, to_professionals, page)


@router.get("/members/{member_number}/reimbursements/{reference}", response_model=ReimbursementDetail)
async def reimbursement(
    member_number: Household, who: Who, uow: UoW, answers: Answers, reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)]
) -> Response:
    """A payment of the household, each act explained."""

    async def computed() -> dict:
        payment = await uow.reimbursements.payment(who.tenant, member_number, reference)
        if payment is None:
            raise HTTPException(404, NOT_FOUND)
        return _detail(payment)

    return await answers.respond(uow, ("detail", who.tenant, member_number, reference), ReimbursementDetail, computed)


@router.get("/stats", response_model=ReadModelStats)
async def stats(uow: UoW) -> dict:
    """Counts only (no personal data): how far the read model has caught up."""
    async with uow:
        return await uow.reimbursements.stats(uow.settings.group_id(READ_MODEL_GROUP))


async def _listed(uow, answers: Answers, tenant: str, member_number: str, search: Search, page: Page) -> Response:
    return await answers.respond(
        uow, ("list", tenant, member_number, search, page), ReimbursementList, lambda: _list(uow, tenant, member_number, search, page)
    )


async def _list(uow, tenant: str, member_number: str, search: Search, page: Page) -> dict:
    total, payments = await uow.reimbursements.search(tenant, member_number, search, page)
    beneficiaries = await uow.reimbursements.beneficiaries(tenant, member_number)
    return {
        "beneficiary": search.beneficiary,
        "period": {"start": search.start, "end": search.end},
        "page": page.number,
        "page_size": page.size,
        "total": total,
        "items": [row(p) for p in payments],
        "beneficiaries": [_beneficiary(b) for b in beneficiaries],
    }


def _beneficiary(b: Beneficiary) -> dict:
    return {"id": b.id, "role": b.role, "first_name": b.first_name, "last_name": b.last_name, "birth_date": b.birth_date}


def row(payment: Payment) -> dict:
    return {
        "reference": payment.reference,
        "received_on": payment.received_on,
        "paid_on": payment.paid_on,
        "amount": payment.amount,
        "paid_to": "professional" if payment.to_professional else "member",
        "recipient": payment.professional_name if payment.to_professional else YOU,
        "beneficiaries": [b.first_name for b in payment.beneficiaries],
        "natures": list(dict.fromkeys(act.nature for act in payment.acts)),
    }


def _act(act: Act, payment: Payment) -> dict:
    return {
        "beneficiary": _beneficiary(act.beneficiary),
        "nature": act.nature,
        "act_date": act.act_date,
        "quantity": act.quantity,
        "expense": act.expense,
        "mandatory_scheme": {"base": act.mandatory_base, "rate": act.mandatory_rate, "amount": act.mandatory_amount},
        "mandatory_deductible": act.mandatory_deductible,
        "mutuelle": {"base": act.mutuelle_base, "rate": act.mutuelle_rate, "amount": act.mutuelle_amount},
        "remaining": act.remaining,
        "care_pathway": PATHWAY_LABELS.get(act.care_pathway) if act.care_pathway else None,
        "guarantee": {"code": act.guarantee_code, "name": act.guarantee_name},
        "explanation": explain(act, payment),
    }


def _detail(payment: Payment) -> dict:
    totals = payment.totals
    return {
        **{k: v for k, v in row(payment).items() if k not in ("beneficiaries", "natures")},
        "professional_name": payment.professional_name,
        "masked_iban": iban(payment.masked_iban) if payment.masked_iban else None,
        "totals": {
            "expense": totals.expense,
            "mandatory_scheme": totals.mandatory,
            "mutuelle": totals.mutuelle,
            "remaining": totals.remaining,
        },
        "summary": summary(payment),
        "acts": [_act(act, payment) for act in payment.acts],
    }
