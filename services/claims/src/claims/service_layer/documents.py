"""The "new document online" email: each new statement of a paperless member is announced once, by
email, through the notifications service (a NotificationRequested in the outbox, in the consumer's
transaction). Its own consumer group, so that the read model's projections stay set-based.

Announced only: a member who chose paperless (as the legacy system last said) with an email on file, a
statement paid within `FRESH_DAYS` of its arrival (a replayed history announces nothing), and once per
statement (a redelivery or a correction of it finds it already announced)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from extranet_contracts import Envelope
from extranet_contracts.claims import ReimbursementPaid
from extranet_contracts.notifications import Channel, NotificationRequested, Recipient
from extranet_plumbing.consumer import Handlers

if TYPE_CHECKING:
    from collections.abc import Callable

    from claims.service_layer.unit_of_work import ClaimsUnitOfWork

DOCUMENTS_GROUP = "claims-documents"
FRESH_DAYS = 7
TEMPLATE = "document_available"
log = structlog.get_logger(__name__)


class AnnounceStatement:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock

    async def __call__(self, event: ReimbursementPaid, envelope: Envelope, uow: ClaimsUnitOfWork) -> None:
        if (self.clock().date() - event.paid_on).days > FRESH_DAYS:
            return
        target = await uow.households.announcement_target(envelope.tenant, event.member_number)
        if target is None or not await uow.households.mark_announced(envelope.tenant, event.reference, envelope.time):
            return
        email, name = target
        request = NotificationRequested(
            recipient=Recipient(reference=f"member:{event.member_number}", email=email, display_name=name),
            channels=[Channel.EMAIL],
            template=TEMPLATE,
            data={"document_title": f"Relevé de prestations n° {event.reference}", "document_date": event.paid_on.isoformat()},
        )
        await uow.publish(request, tenant=envelope.tenant)
        log.info("statement announced", template=TEMPLATE)


def handlers(clock: Callable[[], datetime]) -> Handlers:
    return {ReimbursementPaid: AnnounceStatement(clock)}
