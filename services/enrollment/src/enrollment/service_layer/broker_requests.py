"""The broker's requests made through the engine (guide 000, « Mon profil »): the brokerage office's contact person,
email and phone (« Modifier mes points de contact »). The office's record is the legacy system's: the change is a
request sent to it at once (its event in the outbox, in the same transaction), in « Mes demandes » with its history;
once accepted, the legacy system's next `BrokerRegistered` of the office carries it (portfolio's profile, identity).
One change at a time: another while one is on its way is refused."""

from __future__ import annotations

from datetime import datetime

from enrollment.adapters.brokers import BrokerRequests
from enrollment.domain import kinds
from enrollment.domain.access import Requester
from enrollment.domain.requests import Request, Status
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.requests import new_request
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_contracts.requests import BrokerContactChangeRequested
from extranet_contracts.requests import Requester as EventRequester

NOT_THE_SAME = "Les deux adresses e-mail ne sont pas identiques."
ON_ITS_WAY = "Une modification de vos points de contact est déjà en cours de validation par nos services."


async def change_contact(
    uow: EnrollmentUnitOfWork,
    who: Requester,
    *,
    last_name: str,
    first_name: str,
    email: str,
    email_confirmation: str,
    phone: str | None,
    now: datetime,
) -> Request:
    if who.portal not in kinds.CREATED_HERE[kinds.BROKER_CONTACT_CHANGE]:
        raise Refused(403, "Cette demande est réservée aux courtiers.")
    if email.casefold() != email_confirmation.casefold():
        raise Refused(422, NOT_THE_SAME, "email_confirmation")
    async with uow:
        if await BrokerRequests(uow.connection).on_its_way(who.tenant, kinds.BROKER_CONTACT_CHANGE, who.reference):
            raise Refused(409, ON_ITS_WAY)
        request = new_request(who, kinds.BROKER_CONTACT_CHANGE, Status.SUBMITTED, now, contract_number=None, payload={})
        event = BrokerContactChangeRequested(
            request_id=request.id,
            requested_by=EventRequester(portal=who.portal, account=who.account, reference=who.reference),
            broker_code=who.reference,
            contact_last_name=last_name,
            contact_first_name=first_name,
            email=email,
            phone=phone,
        )
        request.payload = event.model_dump(mode="json", exclude={"request_id", "requested_by"}, exclude_none=True)
        request.subject = f"{first_name} {last_name.upper()}"
        await uow.requests.add(request, origin="enrollment")
        await uow.publish(event, tenant=who.tenant)
        await uow.commit()
        return request
