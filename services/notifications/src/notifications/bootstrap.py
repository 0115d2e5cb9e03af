"""The one place where the notifications service's parts are chosen and wired together."""

from __future__ import annotations

from pathlib import Path

from extranet_contracts.notifications import OUTCOMES
from extranet_plumbing.sealing import Opener
from extranet_plumbing.service import Service, Subscription
from notifications.adapters.sms import TwilioSms
from notifications.adapters.smtp import SmtpRelay
from notifications.adapters.templates import Templates
from notifications.entrypoints import http
from notifications.service_layer.handlers import INTAKE_GROUP, handlers
from notifications.service_layer.intake import Intake
from notifications.service_layer.sender import DeliveryWorker
from notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


class NotificationsService(Service):
    """The shared service shape plus the delivery worker (`worker`), created when the service starts."""

    worker: DeliveryWorker | None = None


def bootstrap(
    settings: NotificationsSettings | None = None,
    *,
    templates: Templates | None = None,
    relay: SmtpRelay | None = None,
    sms: TwilioSms | None = None,
    opener: Opener | None = None,
) -> NotificationsService:
    settings = settings or NotificationsSettings()
    templates = templates or Templates()
    if opener is None and settings.seal_private_key_file is not None:
        opener = Opener.from_file(settings.seal_private_key_file)
    intake = Intake(templates, phone_region=settings.phone_region, opener=opener)

    def tasks(service: Service):
        service.worker = DeliveryWorker(
            service.pool,
            settings,
            templates=templates,
            relay=relay or SmtpRelay(settings),
            sms=sms or TwilioSms(settings),
            outcomes_topic=settings.topic(OUTCOMES),
        )
        return [service.worker.run()]

    return NotificationsService(
        settings,
        title="Notifications service (internal)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=NotificationsUnitOfWork,
        subscriptions=[Subscription(INTAKE_GROUP, handlers(intake))],
        routers=[http.router],
        relay_outbox=True,
        tasks=tasks,
    )
