"""The member's situation changes (guide 004, « Modifications »): IBAN for benefits or contributions, debit day,
a dependant removed, a guarantee changed, the postal address, the phones and email, the communication choices, and a
sponsorship proposed. Each is the household's request, checked here (the tenant's window, its lists, a member of a
collective contract sent to their employer for a change of the contract, one change of a kind at a time) and sent to
the legacy system at once: its event in the outbox, in the same transaction. The request keeps what the member may
read again (the IBAN masked); the event carries the change whole to the legacy system, and nothing here logs it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

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
    uow: EnrollmentUnitOfWork, who: Requester, beneficiary: RemovedBeneficiary, reason: str, effective_date: date, *, today, now
) -> Request:
    """A dependant (spouse or child) no longer covered from a date, for a reason of the tenant's list; the same person
    once at a time (the legacy system finds them in the household by first name and birth date)."""
    if beneficiary.birth_date > today:
        raise Refused(422, "La date de naissance ne peut pas être dans le futur.", "beneficiary.birth_date")
    if reason not in kinds.rules(who.tenant, kinds.REMOVE_BENEFICIARY).choices.get("reason", {}):
        raise Refused(422, "Choisissez un motif dans la liste.", "reason")

    async def not_asked_already(uow: EnrollmentUnitOfWork) -> None:
        named = beneficiary.model_dump(mode="json")
        for request in await uow.requests.of_requester(who.tenant, who.portal, who.reference, Filters(kind=kinds.REMOVE_BENEFICIARY)):
            if request.status in PENDING and rules.same_person(request.payload["beneficiary"], named):
                raise Refused(409, "Une demande de suppression de ce bénéficiaire est déjà en cours.")

    removal = {"beneficiary": beneficiary, "reason": reason}
    return await _send(
        uow,
        who,
        kinds.REMOVE_BENEFICIARY,
        effective_date,
        BeneficiaryRemovalRequested,
        removal,
        today=today,
        now=now,
        also=not_asked_already,
    )


async def change_guarantee(
    uow: EnrollmentUnitOfWork, who: Requester, guarantee_code: str, effective_date: date, callback_phone: str | None, *, today, now
) -> Request:
    """A guarantee of the tenant's individual range, from a date; an advisor calls the member back."""
    offered = kinds.rules(who.tenant, kinds.CHANGE_GUARANTEE).choices.get("guarantee_code", {})
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
    also: Callable[[EnrollmentUnitOfWork], Any] | None = None,
) -> Request:
    """The household's change (`model` with the `change`'s fields) checked against its kind's rules, then sent: the request
    kept, its event in the outbox."""
    if who.portal != "member":
        raise Refused(403, "Cette demande est réservée aux adhérents.")
    window = kinds.rules(who.tenant, kind).window(today)
    refusal = rules.window_refusal(window, effective_date)
    if refusal:
        raise Refused(422, refusal, "effective_date")
    async with uow:
        if kind in rules.CONTRACT_CHANGES and await uow.memberships.collective_of_member(who.tenant, who.reference, today):
            raise Refused(
                409,
                f"Votre contrat est un contrat collectif souscrit par votre employeur : adressez-vous à lui pour {rules.CONTRACT_CHANGES[kind]}.",
            )
        if kind in rules.ONE_AT_A_TIME and await uow.requests.open_of_kind(who.tenant, kind, who.portal, who.reference, who.reference):
            raise Refused(409, rules.ONE_AT_A_TIME[kind])
        if also is not None:
            await also(uow)
        request = new_request(who, kind, Status.SUBMITTED, now, contract_number=None, payload={})
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


# --- read back from portal.requests (the consumer's handler) -----------------------------------------------------


async def change_read_back(event: MemberChange, envelope: Envelope, uow: EnrollmentUnitOfWork) -> None:
    """The engine's own change, read back from Kafka: it is sent. One it did not make (or whose row is gone) is tracked
    from its event as the member would read it (the IBAN masked: the full one stays on Kafka, for the legacy system)."""
    if await uow.requests.get(event.request_id, tenant=envelope.tenant) is None:
        await intake.track(uow, envelope, event, KIND_OF[type(event)], event.request_id, shown(event))
        return
    await intake.own_request_read_back(event, envelope, uow)
