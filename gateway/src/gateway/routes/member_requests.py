"""The member portal's situation changes (guide 004, « Services en ligne », « Modifications »): IBAN for benefits or
contributions, debit day, a dependant removed, a guarantee changed, the postal address, phones and email, the
communication choices, a sponsorship; and the contribution due paid online (« Paiement de cotisation en ligne », one
tenant's: elsewhere 404 « bientôt disponible »). Each (but the sponsorship, which has nothing to choose) has
its form (the window of effective dates and the lists it chooses from) and is sent at once, then followed in « Mes
demandes » (`/api/member/requests`). The household is the token's: no route names a member, and enrollment checks
the token again. Refusals name the field, in French; an IBAN or a phone typed is never repeated in them."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from fastapi import APIRouter

from enrollment.api import (
    AddressChange,
    BankAccountChange,
    BeneficiaryRemoval,
    CommunicationChoicesChange,
    ContactDetailsChange,
    ContributionDue,
    ContributionPayment,
    DebitDayChange,
    GuaranteeChange,
    RequestDetail,
    RequestForm,
    SponsorshipForm,
)
from extranet_plumbing.auth import require_member
from extranet_plumbing.dependencies import Token, Who
from gateway.clients.enrollment import CONTRIBUTION_PAYMENT
from gateway.dependencies import Enrollment
from gateway.errors import Problem, problem_responses

router = APIRouter(prefix="/api/member/requests", tags=["member portal"])

FORM = problem_responses(authenticated=True, validated=False)
SENT = {
    **problem_responses(authenticated=True, validated=True),
    409: {
        "model": Problem,
        "description": "Une demande du même type est déjà en cours, ou votre employeur la traite (contrat collectif)",
        "content": {"application/problem+json": {}},
    },
}


def _body(change) -> dict:
    return change.model_dump(mode="json", exclude_none=True)


# --- IBAN prestation ---------------------------------------------------------------------------------------------


@router.get("/forms/benefits-iban", response_model=RequestForm, summary="Changer d'IBAN prestation : dates d'effet", responses=FORM)
async def benefits_iban_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    require_member(who)
    return await enrollment.form(token, "benefits_iban")


@router.post("/benefits-iban", status_code=201, response_model=RequestDetail, summary="Changer d'IBAN prestation", responses=SENT)
async def benefits_iban(who: Who, token: Token, enrollment: Enrollment, body: BankAccountChange) -> RequestDetail:
    """The account the benefits are paid to (IBAN checked, BIC of the account's country, holder), from a date; the
    request shows it masked, and so does the beneficiaries page once the legacy system has it."""
    require_member(who)
    return await enrollment.member_change(token, "benefits-iban", _body(body))


# --- IBAN cotisation -----------------------------------------------------------------------------------------------


@router.get("/forms/contribution-iban", response_model=RequestForm, summary="Changer d'IBAN cotisation : dates d'effet", responses=FORM)
async def contribution_iban_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    require_member(who)
    return await enrollment.form(token, "contribution_iban")


@router.post("/contribution-iban", status_code=201, response_model=RequestDetail, summary="Changer d'IBAN cotisation", responses=SENT)
async def contribution_iban(who: Who, token: Token, enrollment: Enrollment, body: BankAccountChange) -> RequestDetail:
    """The account the contributions are debited from (an individual contract's: an employee asks their employer)."""
    require_member(who)
    return await enrollment.member_change(token, "contribution-iban", _body(body))


# --- date de prélèvement -------------------------------------------------------------------------------------------


@router.get(
    "/forms/debit-day", response_model=RequestForm, summary="Changer de date de prélèvement : jours et dates d'effet", responses=FORM
)
async def debit_day_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    """The days of the month the mutuelle debits on (`debit_day` choices) and the window of effective dates."""
    require_member(who)
    return await enrollment.form(token, "debit_day")


@router.post("/debit-day", status_code=201, response_model=RequestDetail, summary="Changer de date de prélèvement", responses=SENT)
async def debit_day(who: Who, token: Token, enrollment: Enrollment, body: DebitDayChange) -> RequestDetail:
    """A day of the form's list, from a date (an individual contract's)."""
    require_member(who)
    return await enrollment.member_change(token, "debit-day", _body(body))


# --- suppression de bénéficiaire -------------------------------------------------------------------------------------


@router.get(
    "/forms/remove-beneficiary", response_model=RequestForm, summary="Supprimer un bénéficiaire : motifs et dates d'effet", responses=FORM
)
async def remove_beneficiary_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    """The reasons (`reason` choices) and the window of effective dates."""
    require_member(who)
    return await enrollment.form(token, "remove_beneficiary")


@router.post("/remove-beneficiary", status_code=201, response_model=RequestDetail, summary="Supprimer un bénéficiaire", responses=SENT)
async def remove_beneficiary(who: Who, token: Token, enrollment: Enrollment, body: BeneficiaryRemoval) -> RequestDetail:
    """A dependant of the beneficiaries page (their `id` there), for a reason of the list, from a date (an individual
    contract's); an id the household does not hold is not found (404)."""
    require_member(who)
    return await enrollment.member_change(token, "remove-beneficiary", _body(body))


# --- changement de garantie -----------------------------------------------------------------------------------------


@router.get(
    "/forms/change-guarantee", response_model=RequestForm, summary="Changer de garantie : garanties et dates d'effet", responses=FORM
)
async def change_guarantee_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    """The mutuelle's guarantees (`guarantee_code` choices) and the window of effective dates."""
    require_member(who)
    return await enrollment.form(token, "change_guarantee")


@router.post("/change-guarantee", status_code=201, response_model=RequestDetail, summary="Changer de garantie", responses=SENT)
async def change_guarantee(who: Who, token: Token, enrollment: Enrollment, body: GuaranteeChange) -> RequestDetail:
    """A guarantee of the list from a date; an advisor calls back (at `callback_phone` if given). An individual contract's."""
    require_member(who)
    return await enrollment.member_change(token, "change-guarantee", _body(body))


# --- changement d'adresse --------------------------------------------------------------------------------------------


@router.get("/forms/address", response_model=RequestForm, summary="Changer d'adresse : dates d'effet", responses=FORM)
async def address_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    require_member(who)
    return await enrollment.form(token, "address_change")


@router.post("/address", status_code=201, response_model=RequestDetail, summary="Changer d'adresse", responses=SENT)
async def address(who: Who, token: Token, enrollment: Enrollment, body: AddressChange) -> RequestDetail:
    """The household's new postal address from a date (those who lived at the former one move with the member)."""
    require_member(who)
    return await enrollment.member_change(token, "address", _body(body))


# --- informations de contact -------------------------------------------------------------------------------------------


@router.get(
    "/forms/contact-details", response_model=RequestForm, summary="Changer mes téléphones ou mon e-mail : dates d'effet", responses=FORM
)
async def contact_details_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    require_member(who)
    return await enrollment.form(token, "contact_details")


@router.post(
    "/contact-details", status_code=201, response_model=RequestDetail, summary="Changer mes téléphones ou mon e-mail", responses=SENT
)
async def contact_details(who: Who, token: Token, enrollment: Enrollment, body: ContactDetailsChange) -> RequestDetail:
    """Mobile, home or work phone, email: those given change (at least one), the others stay."""
    require_member(who)
    return await enrollment.member_change(token, "contact-details", _body(body))


# --- choix d'envoi des informations -------------------------------------------------------------------------------------


@router.get(
    "/forms/communication-choices",
    response_model=RequestForm,
    summary="Modifier mes choix d'envoi des informations : dates d'effet",
    responses=FORM,
)
async def communication_choices_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    require_member(who)
    return await enrollment.form(token, "communication_choices")


@router.post(
    "/communication-choices",
    status_code=201,
    response_model=RequestDetail,
    summary="Modifier mes choix d'envoi des informations",
    responses=SENT,
)
async def communication_choices(who: Who, token: Token, enrollment: Enrollment, body: CommunicationChoicesChange) -> RequestDetail:
    """Technical, commercial, partners and other information × email, post, SMS: the cells given, accepted or refused
    (the others stay); the preferences page shows them once the legacy system has them."""
    require_member(who)
    return await enrollment.member_change(token, "communication-choices", _body(body))


# --- parrainage -------------------------------------------------------------------------------------------------------


@router.post("/sponsorship", status_code=201, response_model=RequestDetail, summary="Proposer un parrainage", responses=SENT)
async def sponsorship(who: Who, token: Token, enrollment: Enrollment, body: SponsorshipForm) -> RequestDetail:
    """Someone the member proposes to the mutuelle, reachable by email or phone (at least one); the mutuelle contacts them."""
    require_member(who)
    return await enrollment.member_change(token, "sponsorship", _body(body))


# --- paiement de cotisation en ligne ---------------------------------------------------------------------------------

NOT_OFFERED = {
    404: {
        "model": Problem,
        "description": "La mutuelle ne propose pas (encore) le paiement en ligne : « bientôt disponible »",
        "content": {"application/problem+json": {}},
    },
}


@router.get(
    "/contribution-payment",
    response_model=ContributionDue,
    summary="Payer sa cotisation en ligne : montant dû",
    responses={**FORM, **NOT_OFFERED, 409: SENT[409]},
)
async def contribution_due(who: Who, token: Token, enrollment: Enrollment) -> ContributionDue:
    """What the household owes (its contract's contribution block); nothing due or a collective contract: 409."""
    require_member(who)
    return await enrollment.contribution_due(token)


@router.post(
    "/contribution-payment",
    status_code=201,
    response_model=RequestDetail,
    summary="Payer sa cotisation en ligne",
    responses={**SENT, **NOT_OFFERED},
)
async def contribution_payment(who: Who, token: Token, enrollment: Enrollment, body: ContributionPayment) -> RequestDetail:
    """The amount due as shown, paid in full under a payment reference (in the request's `payload`); no payment provider
    yet: the request goes to the legacy system, which collects it, and is followed in « Mes demandes »."""
    require_member(who)
    return await enrollment.member_change(token, CONTRIBUTION_PAYMENT, _body(body))
