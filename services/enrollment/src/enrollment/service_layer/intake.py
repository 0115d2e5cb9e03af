"""What the engine does with the events it reads: the requests on portal.requests (its own, which are
then *sent*, and those other services made, which it tracks from then on) and the legacy system's
decisions on legacy.decisions. Handlers of the consumer: they never commit (the consumer does, with the
inbox rows: a redelivered event changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime

from enrollment.domain import kinds
from enrollment.domain.requests import Actor, Decision, Outcome, Request, Status, Transition, apply_decision, mark_sent
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_contracts import Envelope
from extranet_contracts.decisions import RequestAccepted, RequestReferredToAdvisor, RequestRefused
from extranet_contracts.notifications import Channel, NotificationRequested, Recipient
from extranet_contracts.requests import (
    AffiliationRequested,
    BeneficiaryAdditionRequested,
    BrokerAddressChangeRequested,
    BrokerContactChangeRequested,
    ContactChangeRequested,
    EmployeeTerminationRequested,
    MessageSent,
    PaperlessOptionRequested,
    TpCardOrdered,
)
from extranet_plumbing.logging import get_logger

log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


OwnRequest = (
    EmployeeTerminationRequested
    | AffiliationRequested
    | TpCardOrdered
    | PaperlessOptionRequested
    | MessageSent
    | BeneficiaryAdditionRequested
    | BrokerContactChangeRequested
)
OWN_KINDS = {
    EmployeeTerminationRequested: kinds.EMPLOYEE_TERMINATION,
    AffiliationRequested: kinds.AFFILIATION,
    TpCardOrdered: kinds.TP_CARD,
    PaperlessOptionRequested: kinds.PAPERLESS,
    MessageSent: kinds.MESSAGE,
    BeneficiaryAdditionRequested: kinds.ADD_BENEFICIARY,
    BrokerContactChangeRequested: kinds.BROKER_CONTACT_CHANGE,
}


async def own_request_read_back(event: OwnRequest, envelope: Envelope, uow: EnrollmentUnitOfWork) -> None:
    """The engine's own request, read back from Kafka: it is sent."""
    request = await uow.requests.get(event.request_id, tenant=envelope.tenant, for_update=True)
    if request is None:  # not made here (or its row is gone): tracked from now on, as another service's
        payload = event.model_dump(mode="json", exclude={"request_id", "requested_by", "company_code", "contract_number", "attachment"})
        attachments = [event.attachment.model_dump(mode="json")] if getattr(event, "attachment", None) else []
        await track(
            uow,
            envelope,
            event,
            OWN_KINDS[type(event)],
            event.request_id,
            payload,
            contract_number=getattr(event, "contract_number", None),
            attachments=attachments,
        )
        return
    mark_sent(request, _now())
    await uow.requests.save(request)


async def contact_change_requested(event: ContactChangeRequested, envelope: Envelope, uow: EnrollmentUnitOfWork) -> None:
    """Identity's: a broker's or member's new email or phone (the event's id names the request)."""
    payload = event.model_dump(mode="json", exclude={"requester_kind", "reference"}, exclude_none=True)
    await track(uow, envelope, event, kinds.CONTACT_CHANGE, envelope.id, payload)


async def address_change_requested(event: BrokerAddressChangeRequested, envelope: Envelope, uow: EnrollmentUnitOfWork) -> None:
    """Portfolio's: a brokerage office's new postal address with its Kbis."""
    payload = event.model_dump(mode="json", exclude={"request_id", "broker_code", "kbis"})
    await track(
        uow, envelope, event, kinds.BROKER_ADDRESS_CHANGE, event.request_id, payload, attachments=[event.kbis.model_dump(mode="json")]
    )


async def decision_received(
    event: RequestAccepted | RequestRefused | RequestReferredToAdvisor, envelope: Envelope, uow: EnrollmentUnitOfWork
) -> None:
    """A decision of the legacy system: applied to its request, or kept until the request arrives."""
    decision = _decision(event)
    request = await uow.requests.get(event.request_id, tenant=envelope.tenant, for_update=True)
    if request is None:
        log.info("decision for a request not seen yet: kept", request_id=str(event.request_id), event_type=envelope.type)
        await uow.requests.keep_early_decision(envelope.id, envelope.tenant, event.request_id, decision, _now())
        return
    if apply_decision(request, decision, _now()) is None:
        log.info("decision changes nothing", request_id=str(event.request_id), event_type=envelope.type, status=request.status.value)
        return
    await uow.requests.save(request)
    await _after_decision(uow, request)


def _decision(event: RequestAccepted | RequestRefused | RequestReferredToAdvisor) -> Decision:
    if isinstance(event, RequestAccepted):
        return Decision(Outcome.ACCEPTED, event.decided_at)
    if isinstance(event, RequestRefused):
        return Decision(Outcome.REFUSED, event.decided_at, reason=event.reason)
    return Decision(Outcome.ADVISOR, event.decided_at, note=event.note)


async def track(uow, envelope: Envelope, event, kind: str, request_id, payload: dict, *, attachments=(), contract_number=None) -> None:
    """A request another service made: in its requester's history from now on, sent (it is on Kafka)."""
    now = _now()
    if isinstance(event, ContactChangeRequested):
        portal, reference, account, company = event.requester_kind, event.reference, event.reference, None
    elif isinstance(event, BrokerAddressChangeRequested):
        portal, reference, account, company = "broker", event.broker_code, event.broker_code, None
    else:
        portal, reference, account, company = (
            event.requested_by.portal,
            event.requested_by.reference,
            event.requested_by.account,
            getattr(event, "company_code", None),  # a member's card order names no company
        )
    request = Request(
        id=request_id,
        tenant=envelope.tenant,
        kind=kind,
        portal=portal,
        account=account,
        reference=reference,
        subject=None,
        company_code=company,
        contract_number=contract_number,
        payload=payload,
        attachments=list(attachments),
        status=Status.SENT,
        created_at=envelope.time,
        submitted_at=envelope.time,
        sent_at=now,
        history=[Transition(envelope.time, Actor.REQUESTER, account, Status.SUBMITTED), Transition(now, Actor.PLATFORM, None, Status.SENT)],
    )
    if not await uow.requests.add(request, origin=envelope.source):
        return  # known already (the same request published again)
    for decision in await uow.requests.take_early_decisions(envelope.tenant, request_id):
        apply_decision(request, decision, now)
    await uow.requests.save(request)
    await _after_decision(uow, request)


ROLE_LABELS = {"CONJOINT": "conjoint", "ENFANT": "enfant"}


async def _after_decision(uow: EnrollmentUnitOfWork, request: Request) -> None:
    """An accepted affiliation: the new member gets the recap of what was accepted (once: a decision that changes
    nothing does not come here)."""
    if request.kind != kinds.AFFILIATION or request.status != Status.ACCEPTED:
        return
    payload = request.payload
    if "family" in payload:  # made here, step by step
        primary, dependants = payload["family"], payload["family"].get("dependants", [])
        email, coverage = payload["contact"]["email"], payload["coverage"]
    else:  # tracked from its event
        primary, dependants, email, coverage = payload["primary"], payload.get("dependants", []), payload["email"], payload
    offered = {g.code: g.name for g in await uow.contracts.guarantees(request.tenant, request.contract_number)}
    company = await uow.invitations.company_name(request.tenant, request.company_code) or f"l'entreprise {request.company_code}"
    people = [{"first_name": primary["first_name"], "last_name": primary["last_name"], "role": "assuré principal"}] + [
        {"first_name": d["first_name"], "last_name": d["last_name"], "role": ROLE_LABELS.get(d["role"], d["role"].lower())}
        for d in dependants
    ]
    await uow.publish(
        NotificationRequested(
            recipient=Recipient(
                reference=f"affiliation:{request.id}", email=email, display_name=f"{primary['first_name']} {primary['last_name']}"
            ),
            channels=[Channel.EMAIL],
            template="affiliation_accepted",
            data={
                "company_name": company,
                "contract_number": request.contract_number,
                "product": offered.get(coverage["guarantee_code"], coverage["guarantee_code"]),
                "effective_date": coverage["effective_date"],
                "beneficiaries": people,
            },
        ),
        tenant=request.tenant,
    )
