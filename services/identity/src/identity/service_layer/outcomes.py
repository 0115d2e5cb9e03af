"""What identity does with the notifications service's outcomes: it records whether each mail it
asked for (activation, invitation...) was delivered or failed, so that a portal can show it.
Handlers of the outcomes consumer (`(event, envelope, uow)`)."""

from __future__ import annotations

import uuid

from extranet_contracts import Envelope
from extranet_contracts.notifications import NotificationDelivered, NotificationFailed
from extranet_plumbing.logging import get_logger
from identity.service_layer.unit_of_work import IdentityUnitOfWork

log = get_logger(__name__)
ACTIVATION_MAILS = ("broker_activation", "correspondent_invitation", "member_activation_link")


async def _record(request_id: str, status: str, envelope: Envelope, uow: IdentityUnitOfWork) -> None:
    try:
        key = uuid.UUID(request_id)
    except ValueError:
        return  # not one of ours: identity's requests are keyed by their event id
    if not await uow.mails.outcome(key, status, envelope.time):
        log.debug("outcome of another service's request", request_id=request_id)


async def delivered(event: NotificationDelivered, envelope: Envelope, uow: IdentityUnitOfWork) -> None:
    await _record(event.request_id, "delivered", envelope, uow)


async def failed(event: NotificationFailed, envelope: Envelope, uow: IdentityUnitOfWork) -> None:
    await _record(event.request_id, "failed", envelope, uow)
