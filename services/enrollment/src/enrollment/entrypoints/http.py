"""Internal HTTP API of the enrollment service, called by the gateway with the user's token, which is
checked again here: a requester sees only their own requests (a correspondent, those of the company on
the contracts granted), an operator those of the tenant; another's request is not found (404) alike."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from enrollment.adapters.requests import Filters, GroupScope
from enrollment.api import (
    KIND_PATTERN,
    PAGE_SIZE,
    STEP_MODELS,
    STEP_PATTERN,
    AddressChange,
    AdvisorDecision,
    BackofficeList,
    BankAccountChange,
    BeneficiaryAddition,
    BeneficiaryRemoval,
    CommunicationChoicesChange,
    ContactDetailsChange,
    ContributionDue,
    ContributionPayment,
    DebitDayChange,
    EmployeeBeneficiaryAddition,
    GuaranteeChange,
    MessageForm,
    NewAffiliation,
    PaperlessChoice,
    RequestDetail,
    RequestForm,
    RequestList,
    RequestsStats,
    RequestStatus,
    SponsorshipForm,
    TerminationForm,
    TpCardOrder,
)
from enrollment.domain import access, affiliation, kinds
from enrollment.domain import member_changes as change_rules
from enrollment.domain.requests import ACTOR_LABELS, STATUS_LABELS, Request
from enrollment.entrypoints.dependencies import Now, Store, Today, UoW
from enrollment.service_layer import attachments, member_changes, member_requests
from enrollment.service_layer import requests as use_cases
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.handlers import MEMBERSHIPS_GROUP, REQUESTS_GROUP
from extranet_contracts.requests import BankAccount
from extranet_contracts.types import Address
from extranet_plumbing.dependencies import Who
from extranet_plumbing.http import field_error

router = APIRouter(prefix="/internal")

CONTRACT_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,19}$"
RequestId = Annotated[uuid.UUID, Path(description="The request's id")]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="Submitted that year")]
Kind = Annotated[str | None, Query(pattern=KIND_PATTERN, description="One kind of request")]


# --- the portals: a requester's own requests ----------------------------------------------------------------


@router.get("/requests", response_model=RequestList)
async def my_requests(who: Who, uow: UoW, year: Year = None, kind: Kind = None) -> dict:
    """The requester's requests, newest first (history by year and type)."""
    me = access.requester(who)
    async with uow:
        found = await uow.requests.of_requester(
            me.tenant, me.portal, me.reference, Filters(year=year, kind=kind), contracts=me.contracts, groups=GroupScope.of(me.scope)
        )
    return {"year": year, "kind": kind, "items": [_summary(r) for r in found]}


@router.get("/requests/forms/{kind}", response_model=RequestForm)
async def form(
    who: Who,
    uow: UoW,
    today: Today,
    kind: Annotated[str, Path(pattern=KIND_PATTERN)],
    contract_number: Annotated[str | None, Query(pattern=CONTRACT_PATTERN, description="The contract's guarantees (affiliation)")] = None,
) -> dict:
    """What the portal shows before a request of this kind is made: its window of dates and its lists."""
    me = access.requester(who)
    if me.portal not in kinds.CREATED_HERE.get(kind, ()):
        raise HTTPException(404, "Ce type de demande n'existe pas dans votre espace.")
    return await form_of(uow, me, kind, contract_number, today)


async def form_of(uow: UoW, me: access.Requester, kind: str, contract_number: str | None, today) -> dict:
    """A kind's form for this requester: its window today and its lists (an affiliation's, the contract's guarantees)."""
    rules = kinds.rules(me.tenant, kind)
    window = rules.window(today)
    choices = dict(rules.choices)
    if kind == kinds.AFFILIATION:
        choices |= await use_cases.affiliation_choices(uow, me, contract_number, today)
    if kind == kinds.DEBIT_DAY:
        choices |= change_rules.choices(me.tenant, kind)
    if kind == kinds.CHANGE_GUARANTEE:
        with refusals():
            choices["guarantee_code"] = await member_changes.guarantees_offered(uow, me, today)
    if kind == kinds.CONTRIBUTION_PAYMENT:
        with refusals():
            member_changes.payment_offered(me)
    return {
        "kind": kind,
        "label": kinds.KIND_LABELS[kind],
        "window": {"earliest": window.earliest, "latest": window.latest},
        "choices": {name: [{"code": c, "label": label} for c, label in codes.items()] for name, codes in choices.items()},
    }


@router.post("/requests/employee-termination", response_model=RequestDetail, status_code=201)
async def draft_termination(body: TerminationForm, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """A correspondent's termination of an employee, checked and kept as a draft (submit sends it)."""
    me = access.correspondent(who)
    with refusals():
        request = await use_cases.draft_termination(
            uow,
            me,
            contract_number=body.contract_number,
            member_number=body.member_number,
            effective_date=body.effective_date,
            reason=body.reason,
            today=today,
            now=now(),
        )
    return detail(request)


@router.post("/requests/affiliation", response_model=RequestDetail, status_code=201)
async def draft_affiliation(body: NewAffiliation, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """A correspondent starts the affiliation wizard on a contract: a draft whose steps are saved one by one."""
    me = access.correspondent(who)
    with refusals():
        return detail(await use_cases.draft_affiliation(uow, me, contract_number=body.contract_number, today=today, now=now()))


@router.put("/requests/{request_id}/steps/{step}", response_model=RequestDetail)
async def save_step(
    request_id: RequestId, step: Annotated[str, Path(pattern=STEP_PATTERN)], body: dict[str, Any], who: Who, uow: UoW, today: Today
) -> dict:
    """One step of the affiliation wizard (family, address, contact, coverage, bank), checked and kept."""
    me = access.correspondent(who)
    data = step_data(step, body)
    with refusals():
        return detail(await use_cases.save_step(uow, me, request_id, step, data, today=today))


def step_data(step: str, body: dict[str, Any]) -> dict[str, Any]:
    """A wizard's step checked against its model (422 naming the fields at fault)."""
    try:
        return STEP_MODELS[step].model_validate(body).model_dump(mode="json")
    except ValidationError as invalid:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in invalid.errors(include_input=False, include_url=False)]
        ) from None


@router.post("/requests/tp-card", response_model=RequestDetail, status_code=201)
async def order_tp_card(body: TpCardOrder, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """The third-party payment card sent by post: a member's own, or an employee's by a correspondent. Sent at once."""
    me = access.requester(who)
    with refusals():
        return detail(await use_cases.order_tp_card(uow, me, body.member_number, body.contract_number, today=today, now=now()))


@router.post("/requests/paperless", response_model=RequestDetail, status_code=201)
async def paperless(body: PaperlessChoice, who: Who, uow: UoW, now: Now) -> dict:
    """« Option zéro papier » switched on or off: the household's request, sent at once."""
    me = access.requester(who)
    with refusals():
        return detail(await member_requests.request_paperless(uow, me, body.paperless, now=now()))


@router.post("/requests/message", response_model=RequestDetail, status_code=201)
async def message(body: MessageForm, who: Who, uow: UoW, now: Now) -> dict:
    """« Écrivez-nous »: a message to the mutuelle, answered by email."""
    me = access.requester(who)
    with refusals():
        return detail(
            await member_requests.write_to_us(
                uow,
                me,
                subject=body.subject,
                message=body.message,
                reply_email=str(body.reply_email),
                attachments=body.attachments,
                now=now(),
            )
        )


@router.post("/requests/add-beneficiary", response_model=RequestDetail, status_code=201)
async def add_beneficiary(body: BeneficiaryAddition, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """A spouse or child added to the household's contract from a date (an advisor follows it up)."""
    me = access.requester(who)
    with refusals():
        return detail(await member_requests.add_beneficiary(uow, me, body.beneficiary, body.effective_date, today=today, now=now()))


@router.post("/requests/employee-beneficiary", response_model=RequestDetail, status_code=201)
async def add_employee_beneficiary(body: EmployeeBeneficiaryAddition, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """A correspondent adds a beneficiary to an employee's cover (one of the company's, on a contract granted)."""
    me = access.correspondent(who)
    with refusals():
        request = await member_requests.add_beneficiary(
            uow, me, body.beneficiary, body.effective_date, today=today, now=now(), employee=(body.member_number, body.contract_number)
        )
    return detail(request)


# --- the member's situation changes (guide 004, « Modifications »), each sent at once ------------------------------


@router.post("/requests/benefits-iban", response_model=RequestDetail, status_code=201)
async def benefits_iban(body: BankAccountChange, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Changement d'IBAN prestation »: the account the benefits are paid to."""
    return await _bank_account(kinds.BENEFITS_IBAN, body, who, uow, today, now)


@router.post("/requests/contribution-iban", response_model=RequestDetail, status_code=201)
async def contribution_iban(body: BankAccountChange, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Changement d'IBAN cotisation »: the account the contributions are debited from (an individual contract's)."""
    return await _bank_account(kinds.CONTRIBUTION_IBAN, body, who, uow, today, now)


async def _bank_account(kind: str, body: BankAccountChange, who, uow, today, now) -> dict:
    account = BankAccount(iban=body.iban, bic=body.bic, holder=body.holder)
    with refusals():
        request = await member_changes.change_bank_account(
            uow, access.requester(who), kind, account, body.effective_date, today=today, now=now()
        )
    return detail(request)


@router.post("/requests/debit-day", response_model=RequestDetail, status_code=201)
async def debit_day(body: DebitDayChange, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Changement de date de prélèvement »: a day of the tenant's list (an individual contract's)."""
    with refusals():
        return detail(
            await member_changes.change_debit_day(uow, access.requester(who), body.debit_day, body.effective_date, today=today, now=now())
        )


@router.post("/requests/remove-beneficiary", response_model=RequestDetail, status_code=201)
async def remove_beneficiary(body: BeneficiaryRemoval, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Suppression de bénéficiaire »: a dependant of the household (by their id) no longer covered from a date (an
    individual contract's); an id the household does not hold: 404."""
    with refusals():
        return detail(
            await member_changes.remove_beneficiary(
                uow, access.requester(who), body.beneficiary_id, body.reason, body.effective_date, today=today, now=now()
            )
        )


@router.post("/requests/change-guarantee", response_model=RequestDetail, status_code=201)
async def change_guarantee(body: GuaranteeChange, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Changement de garantie »: one of the tenant's range, an advisor calling back (an individual contract's)."""
    with refusals():
        return detail(
            await member_changes.change_guarantee(
                uow, access.requester(who), body.guarantee_code, body.effective_date, body.callback_phone, today=today, now=now()
            )
        )


@router.get("/requests/contribution-payment", response_model=ContributionDue)
async def contribution_due(who: Who, uow: UoW) -> dict:
    """« Paiement de cotisation en ligne »: what the household owes (a tenant that does not offer it: 404 « bientôt
    disponible »; nothing due or a collective contract: 409)."""
    with refusals():
        return await member_changes.contribution_due(uow, access.requester(who))


@router.post("/requests/contribution-payment", response_model=RequestDetail, status_code=201)
async def contribution_payment(body: ContributionPayment, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """The contribution due paid online, in full, under a payment reference; sent to the legacy system, which collects it."""
    with refusals():
        return detail(await member_changes.pay_contribution(uow, access.requester(who), body.amount, today=today, now=now()))


@router.post("/requests/address", response_model=RequestDetail, status_code=201)
async def address(body: AddressChange, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Changement d'adresse »: the household's new postal address."""
    new_address = Address(**body.address.model_dump())
    with refusals():
        return detail(
            await member_changes.change_address(
                uow, access.requester(who), new_address, body.address_kind, body.effective_date, today=today, now=now()
            )
        )


@router.post("/requests/contact-details", response_model=RequestDetail, status_code=201)
async def contact_details(body: ContactDetailsChange, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Changement des informations de contact »: the phones and email given (the others stay)."""
    details = body.model_dump(include={"mobile_phone", "home_phone", "work_phone", "email"})
    with refusals():
        return detail(
            await member_changes.change_contact_details(uow, access.requester(who), details, body.effective_date, today=today, now=now())
        )


@router.post("/requests/communication-choices", response_model=RequestDetail, status_code=201)
async def communication_choices(body: CommunicationChoicesChange, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Changement des choix d'envoi des informations »: the cells given (accepted or refused)."""
    choices = body.model_dump(include={"technical", "commercial", "partners", "other"})
    with refusals():
        request = await member_changes.change_communication_choices(
            uow, access.requester(who), choices, body.effective_date or today, today=today, now=now()
        )
    return detail(request)


@router.post("/requests/sponsorship", response_model=RequestDetail, status_code=201)
async def sponsorship(body: SponsorshipForm, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """« Proposer un parrainage »: someone the member proposes to the mutuelle."""
    with refusals():
        return detail(
            await member_changes.propose_sponsorship(uow, access.requester(who), body.model_dump(mode="json"), today=today, now=now())
        )


@router.get("/requests/{request_id}", response_model=RequestDetail)
async def my_request(request_id: RequestId, who: Who, uow: UoW) -> dict:
    me = access.requester(who)
    with refusals():
        return detail(await use_cases.own_request(uow, me, request_id))


@router.post("/requests/{request_id}/submit", response_model=RequestDetail)
async def submit(request_id: RequestId, who: Who, uow: UoW, today: Today, now: Now) -> dict:
    """Checked again, then sent to the legacy system (through the outbox)."""
    me = access.requester(who)
    with refusals():
        return detail(await use_cases.submit_request(uow, me, request_id, today=today, now=now()))


@router.post("/requests/{request_id}/cancel", response_model=RequestDetail)
async def cancel(request_id: RequestId, who: Who, uow: UoW, now: Now, store: Store) -> dict:
    """A draft abandoned (a request sent already cannot be taken back); its files leave the store."""
    me = access.requester(who)
    with refusals():
        request = await use_cases.cancel_request(uow, me, request_id, now=now())
    await attachments.forget(store, request)
    return detail(request)


# --- the back office ------------------------------------------------------------------------------------------


@router.get("/backoffice/requests", response_model=BackofficeList)
async def backoffice_requests(
    who: Who,
    uow: UoW,
    year: Year = None,
    kind: Kind = None,
    status: Annotated[RequestStatus | None, Query()] = None,
    portal: Annotated[str | None, Query(pattern=r"^(broker|member|employer)$")] = None,
    awaiting_advisor: Annotated[bool | None, Query(description="Only those left to an advisor (true) or not (false)")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> dict:
    """The tenant's requests, newest first, filtered."""
    access.operator(who)
    filters = Filters(year=year, kind=kind, status=status, portal=portal, awaiting_advisor=awaiting_advisor)
    async with uow:
        total, found = await uow.requests.for_backoffice(who.tenant, filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return {"total": total, "page": page, "page_size": PAGE_SIZE, "items": [detail(r) for r in found]}


@router.get("/backoffice/requests/{request_id}", response_model=RequestDetail)
async def backoffice_request(request_id: RequestId, who: Who, uow: UoW) -> dict:
    access.operator(who)
    async with uow:
        request = await uow.requests.get(request_id, tenant=who.tenant)
    if request is None or request.status.value == "draft":
        raise HTTPException(404, use_cases.NOT_FOUND)
    return detail(request)


@router.post("/backoffice/requests/{request_id}/decision", response_model=RequestDetail)
async def backoffice_decision(request_id: RequestId, body: AdvisorDecision, who: Who, uow: UoW, now: Now) -> dict:
    """An advisor accepts or refuses (with the reason shown to the requester) a request the legacy system left to an advisor."""
    operator = access.operator(who)
    with refusals():
        request = await use_cases.decide_as_operator(
            uow, who.tenant, operator, request_id, accepted=body.accepted, reason=body.reason, now=now()
        )
    return detail(request)


@router.get("/stats", response_model=RequestsStats)
async def stats(uow: UoW) -> dict:
    """Counts only (no personal data)."""
    async with uow:
        return await uow.requests.stats([uow.settings.group_id(REQUESTS_GROUP), uow.settings.group_id(MEMBERSHIPS_GROUP)])


# --- shaping ----------------------------------------------------------------------------------------------------


def _summary(request: Request) -> dict:
    return {
        "id": str(request.id),
        "kind": request.kind,
        "kind_label": kinds.KIND_LABELS.get(request.kind, request.kind),
        "status": request.status.value,
        "status_label": STATUS_LABELS[request.status],
        "subject": request.subject,
        "contract_number": request.contract_number,
        "submitted_at": request.submitted_at,
        "decided_at": request.decided_at,
        "refusal_reason": request.refusal_reason,
        "awaiting_advisor": request.awaiting_advisor,
    }


def detail(request: Request) -> dict:
    window = request.effective_window
    return {
        **_summary(request),
        "portal": request.portal,
        "reference": request.reference,
        "created_at": request.created_at,
        "sent_at": request.sent_at,
        "payload": request.payload,
        "attachments": request.attachments,
        "window": {"earliest": window[0], "latest": window[1]} if window else None,
        "missing_steps": affiliation.missing_steps(request.payload) if request.kind == kinds.AFFILIATION else [],
        "history": [
            {
                "at": t.at,
                "actor": t.actor.value,
                "actor_label": ACTOR_LABELS[t.actor],
                "status": t.status.value,
                "status_label": STATUS_LABELS[t.status],
                "note": t.note,
            }
            for t in request.history
        ],
    }


class refusals:
    """A use case's refusal as a problem: 422 naming the field, or its status with its French message."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, _type, refused, _tb) -> bool:
        if isinstance(refused, Refused):
            if refused.status == 422 and refused.field:
                raise field_error(refused.field, refused.message, location="body") from None
            raise HTTPException(refused.status, refused.message) from None
        return False
