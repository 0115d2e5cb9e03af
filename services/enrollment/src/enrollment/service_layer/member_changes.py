"""The member's situation changes (guide 004, « Modifications »): IBAN for benefits or contributions, debit day,
a dependant removed, a guarantee changed, the postal address, the phones and email, the communication choices, and a
sponsorship proposed; and the contribution due paid online (« Paiement de cotisation en ligne », one tenant's). Each is the household's request, checked here (the tenant's window, its lists, a member of a
collective contract sent to their employer for a change of the contract, one change of a kind at a time) and sent to
the legacy system at once: its event in the outbox, in the same transaction. The request keeps what the member may
read again (the IBAN masked); the event carries the change whole to the legacy system, and nothing here logs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from enrollment.adapters.households import HouseholdContract
from enrollment.adapters.requests import Filters
from enrollment.domain import kinds
from enrollment.domain import member_changes as rules
from enrollment.domain.access import Requester
from enrollment.domain.requests import PENDING, Request, Status
from enrollment.service_layer import intake
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.requests import new_request
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_contracts import Envelope
from extranet_contracts.requests import (
    BankAccount,
    BeneficiaryRemovalRequested,
    BenefitsIbanChangeRequested,
    CommunicationChoicesChangeRequested,
    ContributionIbanChangeRequested,
    ContributionPaymentRequested,
    DebitDayChangeRequested,
    GuaranteeChangeRequested,
    MemberAddressChangeRequested,
    MemberContactDetailsChangeRequested,
    RemovedBeneficiary,
    SponsorshipProposed,
)
from extranet_contracts.requests import Requester as EventRequester
from extranet_contracts.types import Address

MemberChange = (
    BenefitsIbanChangeRequested
    | ContributionIbanChangeRequested
    | DebitDayChangeRequested
    | BeneficiaryRemovalRequested
    | GuaranteeChangeRequested
    | MemberAddressChangeRequested
    | MemberContactDetailsChangeRequested
    | CommunicationChoicesChangeRequested
    | SponsorshipProposed
    | ContributionPaymentRequested
)
KIND_OF: dict[type, str] = {
    BenefitsIbanChangeRequested: kinds.BENEFITS_IBAN,
    ContributionIbanChangeRequested: kinds.CONTRIBUTION_IBAN,
    DebitDayChangeRequested: kinds.DEBIT_DAY,
    BeneficiaryRemovalRequested: kinds.REMOVE_BENEFICIARY,
    GuaranteeChangeRequested: kinds.CHANGE_GUARANTEE,
    MemberAddressChangeRequested: kinds.ADDRESS_CHANGE,
    MemberContactDetailsChangeRequested: kinds.CONTACT_DETAILS,
    CommunicationChoicesChangeRequested: kinds.COMMUNICATION_CHOICES,
    SponsorshipProposed: kinds.SPONSORSHIP,
    ContributionPaymentRequested: kinds.CONTRIBUTION_PAYMENT,
}
PHONE_LABELS = {"mobile_phone": "portable", "home_phone": "personnel", "work_phone": "professionnel"}


def shown(event: MemberChange) -> dict[str, Any]:
    """What the request keeps of a change, as the member and the back office read it again: the IBAN masked."""
    payload = event.model_dump(mode="json", exclude={"request_id", "requested_by"}, exclude_none=True)
    if "account" in payload:
        payload["account"]["iban"] = rules.masked_iban(payload["account"]["iban"])
    return payload


def subject_of(event: MemberChange, tenant: str) -> str:
    """The line « Mes demandes » shows for the change."""
    if isinstance(event, BenefitsIbanChangeRequested | ContributionIbanChangeRequested):
        return f"IBAN {rules.masked_iban(event.account.iban)}"
    if isinstance(event, DebitDayChangeRequested):
        return rules.debit_days(tenant).get(str(event.debit_day), f"Le {event.debit_day} du mois")
    if isinstance(event, BeneficiaryRemovalRequested):
        return f"{event.beneficiary.last_name.upper()} {event.beneficiary.first_name}"
    if isinstance(event, GuaranteeChangeRequested):
        return event.guarantee_name
    if isinstance(event, MemberAddressChangeRequested):
        where = "Adresse professionnelle : " if event.address_kind == "WORK" else ""
        return f"{where}{event.address.postal_code} {event.address.city.upper()}"
    if isinstance(event, CommunicationChoicesChangeRequested):
        return ", ".join(label for name, label in rules.INFORMATION_KINDS.items() if getattr(event, name) is not None)
    if isinstance(event, SponsorshipProposed):
        return f"{event.last_name.upper()} {event.first_name}"
    if isinstance(event, ContributionPaymentRequested):
        return f"Référence {event.payment_reference}"
    changed = [f"téléphone {label}" for name, label in PHONE_LABELS.items() if getattr(event, name)]
    return ", ".join([*changed, *(["e-mail"] if event.email else [])]).capitalize()


# --- the use cases, one per kind ----------------------------------------------------------------------------------


async def change_bank_account(
    uow: EnrollmentUnitOfWork, who: Requester, kind: str, account: BankAccount, effective_date: date, *, today: date, now: datetime
) -> Request:
    """The account the benefits are paid to (`benefits_iban`) or the contributions debited from (`contribution_iban`)."""
    if kind not in (kinds.BENEFITS_IBAN, kinds.CONTRIBUTION_IBAN):
        raise ValueError(kind)
    refusal = rules.bic_disagreement(account.bic, account.iban)
    if refusal:
        raise Refused(422, refusal, "bic")
    model = BenefitsIbanChangeRequested if kind == kinds.BENEFITS_IBAN else ContributionIbanChangeRequested
    return await _send(uow, who, kind, effective_date, model, {"account": account}, today=today, now=now)


async def change_debit_day(uow: EnrollmentUnitOfWork, who: Requester, debit_day: int, effective_date: date, *, today, now) -> Request:
    if str(debit_day) not in rules.debit_days(who.tenant):
        raise Refused(422, "Choisissez un jour de prélèvement dans la liste.", "debit_day")
    return await _send(uow, who, kinds.DEBIT_DAY, effective_date, DebitDayChangeRequested, {"debit_day": debit_day}, today=today, now=now)


async def remove_beneficiary(
    uow: EnrollmentUnitOfWork, who: Requester, beneficiary_id: str, reason: str, effective_date: date, *, today, now
) -> Request:
    """A dependant of the household (named by their `beneficiary_id` in the household's file, never the primary
    insured) no longer covered from a date, for a reason of the tenant's list; the same person once at a time. An id the
    household does not hold is not found (404), whatever it is."""
    if reason not in kinds.rules(who.tenant, kinds.REMOVE_BENEFICIARY).choices.get("reason", {}):
        raise Refused(422, "Choisissez un motif dans la liste.", "reason")

    async def the_dependant(uow: EnrollmentUnitOfWork) -> dict[str, Any]:
        person = await uow.households.dependant(who.tenant, who.reference, beneficiary_id)
        if person is None:
            raise Refused(404, rules.NO_SUCH_BENEFICIARY)
        for request in await uow.requests.of_requester(who.tenant, who.portal, who.reference, Filters(kind=kinds.REMOVE_BENEFICIARY)):
            if request.status in PENDING and rules.same_person(request.payload["beneficiary"], person):
                raise Refused(409, "Une demande de suppression de ce bénéficiaire est déjà en cours.")
        named = {k: person[k] for k in ("beneficiary_id", "role", "last_name", "first_name", "birth_date")}
        return {"beneficiary": RemovedBeneficiary(**named)}

    removal = {"reason": reason}
    return await _send(
        uow,
        who,
        kinds.REMOVE_BENEFICIARY,
        effective_date,
        BeneficiaryRemovalRequested,
        removal,
        today=today,
        now=now,
        also=the_dependant,
    )


async def guarantees_offered(uow: EnrollmentUnitOfWork, who: Requester, today: date) -> dict[str, str]:
    """The tenant's individual range (`[<tenant>.enrollment.change_guarantee]`), without the guarantees the member holds
    today (or from a date already recorded)."""
    offered = kinds.rules(who.tenant, kinds.CHANGE_GUARANTEE).choices.get("guarantee_code", {})
    async with uow:
        contract = await uow.households.contract(who.tenant, who.reference)
    held = contract.held_on(today) if contract else set()
    return {code: name for code, name in offered.items() if code not in held}


async def change_guarantee(
    uow: EnrollmentUnitOfWork, who: Requester, guarantee_code: str, effective_date: date, callback_phone: str | None, *, today, now
) -> Request:
    """A guarantee of the tenant's individual range that the member does not hold, from a date; an advisor calls the
    member back."""
    offered = await guarantees_offered(uow, who, today)
    if guarantee_code not in offered:
        raise Refused(422, "Choisissez une garantie dans la liste.", "guarantee_code")
    change = {"guarantee_code": guarantee_code, "guarantee_name": offered[guarantee_code], "callback_phone": callback_phone}
    return await _send(uow, who, kinds.CHANGE_GUARANTEE, effective_date, GuaranteeChangeRequested, change, today=today, now=now)


async def change_address(
    uow: EnrollmentUnitOfWork, who: Requester, address: Address, address_kind: str, effective_date: date, *, today, now
) -> Request:
    """The household's home address (`HOME`) or the member's work address (`WORK`)."""
    change = {"address": address, "address_kind": address_kind}
    return await _send(uow, who, kinds.ADDRESS_CHANGE, effective_date, MemberAddressChangeRequested, change, today=today, now=now)


async def change_contact_details(
    uow: EnrollmentUnitOfWork, who: Requester, details: dict[str, str | None], effective_date: date, *, today, now
) -> Request:
    """The phones and email given (at least one); those not given stay as they are."""
    given = {name: value for name, value in details.items() if value}
    if not given:
        raise Refused(422, "Indiquez au moins un numéro de téléphone ou une adresse e-mail.", "mobile_phone")
    return await _send(uow, who, kinds.CONTACT_DETAILS, effective_date, MemberContactDetailsChangeRequested, given, today=today, now=now)


async def change_communication_choices(
    uow: EnrollmentUnitOfWork, who: Requester, choices: dict[str, dict[str, str | None] | None], effective_date: date, *, today, now
) -> Request:
    """The channels chosen for each kind of information (those given change, at least one)."""
    given = {kind: {channel: c for channel, c in cells.items() if c} for kind, cells in choices.items() if cells}
    given = {kind: cells for kind, cells in given.items() if cells}
    if not given:
        raise Refused(422, "Choisissez au moins un mode d'envoi à accepter ou refuser.", "technical")
    return await _send(
        uow, who, kinds.COMMUNICATION_CHOICES, effective_date, CommunicationChoicesChangeRequested, given, today=today, now=now
    )


async def propose_sponsorship(uow: EnrollmentUnitOfWork, who: Requester, person: dict[str, str | None], *, today, now) -> Request:
    """Someone the member proposes, reachable by email or phone (at least one); dated today."""
    if not person.get("email") and not person.get("phone"):
        raise Refused(422, "Indiquez l'adresse e-mail ou le téléphone de la personne que vous parrainez.", "email")
    given = {name: value for name, value in person.items() if value}
    return await _send(uow, who, kinds.SPONSORSHIP, today, SponsorshipProposed, given, today=today, now=now)


def payment_offered(who: Requester) -> None:
    """« Paiement de cotisation en ligne » is one tenant's (guide 004): elsewhere it is « bientôt disponible »."""
    if not kinds.rules(who.tenant, kinds.CONTRIBUTION_PAYMENT).options.get("enabled", False):
        raise Refused(404, rules.PAYMENT_SOON)


def payment_offered_to(who: Requester, contract: HouseholdContract | None) -> None:
    """Where the tenant names mutuelles (`mutuelles` of its section: Solimut's, « activée que pour les adhérents de la
    Mutuelle de France Plus »), only their members pay online; the others are told it is not offered to them."""
    mutuelles = kinds.rules(who.tenant, kinds.CONTRIBUTION_PAYMENT).options.get("mutuelles")
    if mutuelles is not None and (contract is None or contract.mutuelle_code not in mutuelles):
        raise Refused(404, rules.PAYMENT_NOT_OFFERED)


async def contribution_due(uow: EnrollmentUnitOfWork, who: Requester) -> dict[str, Any]:
    """What the member would pay online: the amount due of the household's contribution block, and when it was due."""
    if who.portal != "member":
        raise Refused(403, "Cette demande est réservée aux adhérents.")
    payment_offered(who)
    async with uow:
        contract = await uow.households.contract(who.tenant, who.reference)
    payment_offered_to(who, contract)
    if contract is not None and contract.kind == "COLLECTIF":
        raise Refused(409, rules.collective_refusal(kinds.CONTRIBUTION_PAYMENT))
    if contract is None or not contract.amount_due:
        raise Refused(409, rules.NOTHING_DUE)
    return {"contract_number": contract.contract_number, "amount_due": contract.amount_due, "due_date": contract.due_date}


async def pay_contribution(uow: EnrollmentUnitOfWork, who: Requester, amount: Decimal, *, today, now) -> Request:
    """The contribution due paid online, in full (the amount the member confirms is the one due now), under a payment
    reference of its own. No payment provider: the request goes to the legacy system, which collects it."""
    payment_offered(who)

    async def what_is_due(uow: EnrollmentUnitOfWork) -> dict[str, Any]:
        contract = await uow.households.contract(who.tenant, who.reference)
        payment_offered_to(who, contract)
        if contract is None or not contract.amount_due:
            raise Refused(409, rules.NOTHING_DUE)
        if contract.amount_due != amount:
            raise Refused(422, rules.AMOUNT_CHANGED, "amount")
        return {"contract_number": contract.contract_number, "amount": contract.amount_due, "due_date": contract.due_date}

    def reference(request: Request) -> dict[str, Any]:
        return {"payment_reference": f"COT-{request.id.hex[:12].upper()}"}

    return await _send(
        uow,
        who,
        kinds.CONTRIBUTION_PAYMENT,
        today,
        ContributionPaymentRequested,
        {},
        today=today,
        now=now,
        also=what_is_due,
        named=reference,
    )


async def _send(
    uow: EnrollmentUnitOfWork,
    who: Requester,
    kind: str,
    effective_date: date,
    model: type[MemberChange],
    change: dict[str, Any],
    *,
    today: date,
    now: datetime,
    also: Callable[[EnrollmentUnitOfWork], Awaitable[dict[str, Any] | None]] | None = None,
    named: Callable[[Request], dict[str, Any]] | None = None,
) -> Request:
    """The household's change (`model` with the `change`'s fields) checked against its kind's rules, then sent: the request
    kept, its event in the outbox. `also` checks more in the transaction and may add fields read there; `named` adds
    fields made from the new request (its id)."""
    if who.portal != "member":
        raise Refused(403, "Cette demande est réservée aux adhérents.")
    window = kinds.rules(who.tenant, kind).window(today)
    refusal = rules.window_refusal(window, effective_date)
    if refusal:
        raise Refused(422, refusal, "effective_date")
    async with uow:
        if kind in rules.CONTRACT_CHANGES and await _collective(uow, who, today):
            raise Refused(409, rules.collective_refusal(kind))
        if kind in rules.ONE_AT_A_TIME and await uow.requests.open_of_kind(who.tenant, kind, who.portal, who.reference, who.reference):
            raise Refused(409, rules.ONE_AT_A_TIME[kind])
        if also is not None:
            change = {**change, **(await also(uow) or {})}
        request = new_request(who, kind, Status.SUBMITTED, now, contract_number=None, payload={})
        if named is not None:
            change = {**change, **named(request)}
        event = model(
            request_id=request.id,
            requested_by=EventRequester(portal=who.portal, account=who.account, reference=who.reference),
            member_number=who.reference,
            effective_date=effective_date,
            **change,
        )
        request.payload = shown(event)
        request.subject = subject_of(event, who.tenant)
        request.effective_window = (window.earliest, window.latest)
        await uow.requests.add(request, origin="enrollment")
        await uow.publish(event, tenant=who.tenant)
        await uow.commit()
        return request


async def _collective(uow: EnrollmentUnitOfWork, who: Requester, today: date) -> bool:
    """Whether the member is covered by a collective contract: an employee of a company's (legacy.memberships), or a
    household whose contract the legacy system records as collective (legacy.households)."""
    if await uow.memberships.collective_of_member(who.tenant, who.reference, today):
        return True
    contract = await uow.households.contract(who.tenant, who.reference)
    return contract is not None and contract.kind == "COLLECTIF"


# --- read back from portal.requests (the consumer's handler) -----------------------------------------------------


async def change_read_back(event: MemberChange, envelope: Envelope, uow: EnrollmentUnitOfWork) -> None:
    """The engine's own change, read back from Kafka: it is sent. One it did not make (or whose row is gone) is tracked
    from its event as the member would read it (the IBAN masked: the full one stays on Kafka, for the legacy system)."""
    if await uow.requests.get(event.request_id, tenant=envelope.tenant) is None:
        await intake.track(uow, envelope, event, KIND_OF[type(event)], event.request_id, shown(event))
        return
    await intake.own_request_read_back(event, envelope, uow)
