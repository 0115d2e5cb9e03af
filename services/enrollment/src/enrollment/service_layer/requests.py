"""Use cases of the portals and of the back office: draft, submit and cancel a request, decide one the
legacy system left to an advisor. Each opens its unit of work, checks, changes the request, records its
transition and, when the request must reach the legacy system, writes its event to the outbox in the
same transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from enrollment.domain import kinds
from enrollment.domain.access import Requester
from enrollment.domain.requests import Actor, NotAllowed, Request, Status, Transition, cancel, decide_as_advisor, submit
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_contracts.requests import AdvisorDecisionRecorded, EmployeeTerminationRequested
from extranet_contracts.requests import Requester as EventRequester

NOT_FOUND = "Demande introuvable."
MEMBER_NOT_FOUND = "Aucun salarié de votre entreprise sous ce numéro d'adhérent sur ce contrat."


async def draft_termination(
    uow: EnrollmentUnitOfWork,
    who: Requester,
    *,
    contract_number: str,
    member_number: str,
    effective_date: date,
    reason: str,
    today: date,
    now: datetime,
) -> Request:
    async with uow:
        request = Request(
            id=uuid.uuid4(),
            tenant=who.tenant,
            kind=kinds.EMPLOYEE_TERMINATION,
            portal=who.portal,
            account=who.account,
            reference=who.reference,
            subject=None,
            company_code=who.reference,
            contract_number=contract_number,
            payload={"member_number": member_number, "effective_date": effective_date.isoformat(), "reason": reason},
            attachments=[],
            status=Status.DRAFT,
            created_at=now,
        )
        await _check_termination(uow, who, request, today)
        request.history.append(Transition(now, Actor.REQUESTER, who.account, Status.DRAFT))
        await uow.requests.add(request, origin="enrollment")
        await uow.commit()
        return request


async def submit_request(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, *, today: date, now: datetime) -> Request:
    """Checked again (the window moves with the days), then on its way: its event is in the outbox."""
    async with uow:
        request = await _own(uow, who, request_id)
        if request.status != Status.DRAFT:
            _conflict(lambda: submit(request, now, who.account))  # refused: already on its way
        membership_id = await _check_termination(uow, who, request, today)
        _conflict(lambda: submit(request, now, who.account))
        await uow.requests.save(request)
        await uow.publish(
            EmployeeTerminationRequested(
                request_id=request.id,
                requested_by=EventRequester(portal="employer", account=who.account, reference=who.reference),
                company_code=who.reference,
                contract_number=request.contract_number,
                membership_id=membership_id,
                member_number=request.payload["member_number"],
                effective_date=date.fromisoformat(request.payload["effective_date"]),
                reason=request.payload["reason"],
            ),
            tenant=who.tenant,
        )
        await uow.commit()
        return request


async def cancel_request(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, *, now: datetime) -> Request:
    async with uow:
        request = await _own(uow, who, request_id)
        _conflict(lambda: cancel(request, now, who.account))
        await uow.requests.save(request)
        await uow.commit()
        return request


async def decide_as_operator(
    uow: EnrollmentUnitOfWork, tenant: str, operator: str, request_id: uuid.UUID, *, accepted: bool, reason: str | None, now: datetime
) -> Request:
    """The advisor's decision goes to the legacy system, which applies it and publishes the outcome."""
    if not accepted and not reason:
        raise Refused(422, "Indiquez le motif du refus : il sera communiqué au demandeur.", "reason")
    async with uow:
        request = await uow.requests.get(request_id, tenant=tenant, for_update=True)
        if request is None:
            raise Refused(404, NOT_FOUND)
        _conflict(lambda: decide_as_advisor(request, accepted, reason if not accepted else None, now, operator))
        await uow.requests.save(request)
        await uow.publish(
            AdvisorDecisionRecorded(
                request_id=request.id,
                requester_reference=request.reference,
                operator=operator,
                accepted=accepted,
                reason=reason if not accepted else None,
            ),
            tenant=tenant,
        )
        await uow.commit()
        return request


async def own_request(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID) -> Request:
    async with uow:
        return await _own(uow, who, request_id, lock=False)


async def _own(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, *, lock: bool = True) -> Request:
    """The requester's request (another's, or one on a contract not granted: not found alike)."""
    request = await uow.requests.get(request_id, tenant=who.tenant, for_update=lock)
    if request is None or request.portal != who.portal or request.reference != who.reference or not who.may_see(request.contract_number):
        raise Refused(404, NOT_FOUND)
    return request


async def _check_termination(uow: EnrollmentUnitOfWork, who: Requester, request: Request, today: date) -> str:
    """The membership ended by the request (its id), once every rule holds; the request's window and subject set."""
    contract, payload = request.contract_number, request.payload
    if not who.may_see(contract):
        raise Refused(403, "Ce contrat collectif ne vous est pas attribué.", "contract_number")
    rules = kinds.rules(who.tenant, kinds.EMPLOYEE_TERMINATION)
    if payload["reason"] not in rules.choices["reason"]:
        raise Refused(422, "Choisissez un motif de radiation dans la liste.", "reason")
    membership = await uow.memberships.of_member(who.tenant, who.reference, payload["member_number"], contract)
    if membership is None:
        raise Refused(404, MEMBER_NOT_FOUND, "member_number")
    effective = date.fromisoformat(payload["effective_date"])
    window = rules.window(today)
    request.effective_window = (window.earliest, window.latest)
    if effective not in window:
        raise Refused(
            422,
            f"La date de radiation doit être comprise entre le {window.earliest:%d/%m/%Y} et le {window.latest:%d/%m/%Y}.",
            "effective_date",
        )
    if effective < membership.start_date:
        raise Refused(422, f"La date de radiation précède l'affiliation du salarié ({membership.start_date:%d/%m/%Y}).", "effective_date")
    if membership.end_date is not None and membership.end_date <= effective:
        raise Refused(422, f"Ce salarié est déjà radié au {membership.end_date:%d/%m/%Y}.", "effective_date")
    if await uow.requests.open_termination(who.tenant, who.reference, membership.membership_id):
        raise Refused(409, "Une demande de radiation de ce salarié est déjà en cours.")
    request.subject = f"{membership.last_name.upper()} {membership.first_name} ({membership.member_number})"
    request.payload = {**payload, "membership_id": membership.membership_id}
    return membership.membership_id


def _conflict(transition) -> None:
    try:
        transition()
    except NotAllowed as refused:
        raise Refused(409, str(refused)) from None
