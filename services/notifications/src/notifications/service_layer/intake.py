"""Intake of notification requests: check that one can be sent, choose its channel, and record it
(keyed by the request's event id, in the consumer's transaction, with its inbox row).

A request that could never be sent (unknown template or tenant, a variable missing, no version of
the template for the allowed channels) is rejected: it goes to the dead-letter topic with the
cause. A request whose only channel is SMS to a number that cannot take one (a landline, an
invalid number) is recorded as failed at once, with a `NotificationFailed` event.
"""

from __future__ import annotations

from typing import Any

from extranet_contracts import Envelope
from extranet_contracts.notifications import Channel, NotificationFailed, NotificationRequested
from extranet_plumbing.consumer import RejectEvent
from extranet_plumbing.logging import get_logger
from extranet_plumbing.sealing import Opener, SealError
from extranet_plumbing.tracing import current_trace_headers
from notifications.adapters.templates import TemplateProblem, Templates
from notifications.domain.channels import choose_channel
from notifications.domain.phone import UnusablePhoneNumber, mobile_e164
from notifications.service_layer.unit_of_work import NotificationsUnitOfWork

SOURCE = "urn:extranet:notifications"
log = get_logger(__name__)


class Intake:
    """The handler of `NotificationRequested` (an EventConsumer handler)."""

    def __init__(self, templates: Templates, *, phone_region: str = "FR", opener: Opener | None = None) -> None:
        self._templates = templates
        self._region = phone_region
        self._opener = opener

    async def __call__(self, event: NotificationRequested, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        data = self._template_data(event)
        templates, name = self._templates, event.template
        if not templates.exists(name):
            raise RejectEvent(f"unknown template {name!r}")
        try:
            templates.tenant(envelope.tenant)
        except TemplateProblem as exc:
            raise RejectEvent(str(exc)) from None
        supported = templates.channels(name, envelope.tenant)
        candidates = [channel for channel in event.channels if channel in supported]
        if not candidates:
            raise RejectEvent(f"template {name!r} has no version for {', '.join(c.value for c in event.channels)}")

        phone, phone_problem = None, None
        if event.recipient.phone:
            try:
                phone = mobile_e164(event.recipient.phone, self._region)
            except UnusablePhoneNumber as exc:
                phone_problem = str(exc)
        reachable = {c for c, address in ((Channel.EMAIL, event.recipient.email), (Channel.SMS, phone)) if address}
        channel = choose_channel(event.channels, event.preferred_channel, reachable=reachable, supported=supported)
        failed_reason = None
        if channel is None:
            channel = Channel.SMS if Channel.SMS in candidates else candidates[0]
            failed_reason = phone_problem if channel is Channel.SMS and phone_problem else f"no address for {channel.value}"
        recipient = {"display_name": event.recipient.display_name, "reference": event.recipient.reference}
        try:
            templates.check(name, channel, envelope.tenant, data, recipient)
        except TemplateProblem as exc:
            raise RejectEvent(str(exc)) from None

        address = event.recipient.email if channel is Channel.EMAIL else (phone or event.recipient.phone or "")
        # The delivery continues the trace from this consumer's span (the request's, through Kafka): its send span is a
        # child of the intake, as the hop it follows, rather than a sibling under the service that asked.
        trace_headers = current_trace_headers() or {"traceparent": envelope.traceparent, "tracestate": envelope.tracestate}
        traceparent, tracestate = trace_headers.get("traceparent"), trace_headers.get("tracestate")
        recorded = await uow.deliveries.record_request(
            request_id=envelope.id,
            tenant=envelope.tenant,
            template=name,
            channel=channel.value,
            recipient_ref=event.recipient.reference,
            address=str(address),
            display_name=event.recipient.display_name,
            locale=event.locale,
            data=data,
            requested_at=envelope.time,
            traceparent=traceparent,
            tracestate=tracestate,
            failed_reason=failed_reason,
        )
        if not recorded:
            return  # the same request again: its delivery exists already
        if failed_reason:
            outcome = NotificationFailed(
                request_id=str(envelope.id), channel=channel, template=name, attempts=0, permanent=True, reason=failed_reason
            )
            await uow.publish(
                outcome,
                tenant=envelope.tenant,
                envelope=outcome_envelope(outcome, envelope.tenant, traceparent, tracestate),
            )
            log.info("notification refused", request_id=str(envelope.id), template=name, channel=channel.value, reason=failed_reason)
        else:
            await uow.deliveries.wake_senders(channel.value)

    def _template_data(self, event: NotificationRequested) -> dict[str, Any]:
        """The template variables: those in clear, and the sealed ones opened with this service's key."""
        if not event.sealed_data:
            return dict(event.data)
        if self._opener is None:
            raise RejectEvent("the request carries sealed data but no opening key is configured")
        try:
            sealed = self._opener.open(event.sealed_data, context=event.seal_context())
        except SealError as exc:
            raise RejectEvent(str(exc)) from None
        if set(sealed) & set(event.data):
            raise RejectEvent("a template variable is both sealed and in clear")
        return {**event.data, **sealed}


def outcome_envelope(event: Any, tenant: str, traceparent: str | None, tracestate: str | None) -> Envelope:
    """The envelope of an outcome event, in the trace of the request it answers."""
    return Envelope(
        type=event.TYPE,
        version=event.VERSION,
        source=SOURCE,
        tenant=tenant,
        key=event.key(),
        traceparent=traceparent,
        tracestate=tracestate,
    )
