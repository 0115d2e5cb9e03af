"""The one place where the notifications service's parts are chosen and wired together."""

from __future__ import annotations

from pathlib import Path

from extranet_contracts.notifications import OUTCOMES, REQUESTS, NotificationRequested
from extranet_plumbing.consumer import EventConsumer
from extranet_plumbing.runtime import ServiceRuntime
from notifications.adapters.smtp import SmtpRelay
from notifications.adapters.sms import TwilioSms
from notifications.adapters.templates import Templates
from notifications.service_layer.intake import Intake
from notifications.service_layer.sender import DeliveryWorker
from notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER_GROUP = "notifications-intake"


class NotificationsRuntime(ServiceRuntime):
    """The shared runtime plus the delivery worker (`worker`), created when the runtime starts."""

    worker: DeliveryWorker | None = None


def build_runtime(settings: NotificationsSettings, *, templates: Templates | None = None) -> NotificationsRuntime:
    templates = templates or Templates()
    outcomes_topic = settings.topic(OUTCOMES)
    intake = Intake(templates, outcomes_topic=outcomes_topic, phone_region=settings.phone_region)

    def consumers(runtime: ServiceRuntime) -> list[EventConsumer]:
        return [
            EventConsumer(
                group_id=runtime.group_id(CONSUMER_GROUP),
                topics=[settings.topic(REQUESTS)],
                handlers={NotificationRequested: intake},
                pool=runtime.pool,
                producer=runtime.producer,
            )
        ]

    def tasks(runtime: ServiceRuntime):
        runtime.worker = DeliveryWorker(runtime.pool, settings, templates=templates, relay=SmtpRelay(settings),
                                        sms=TwilioSms(settings), outcomes_topic=outcomes_topic)
        return [runtime.worker.run()]

    return NotificationsRuntime(settings, schema=settings.db_schema, migrations=[MIGRATIONS], consumers=consumers,
                                relay_outbox=True, tasks=tasks)
