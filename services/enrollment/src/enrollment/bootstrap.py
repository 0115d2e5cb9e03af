"""The one place where the enrollment service's parts are chosen and wired together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from enrollment.api_files import ATTACHMENTS_PATH, attachment_body_limit
from enrollment.entrypoints import attachments, broker, dependencies, http, online, uploads
from enrollment.entrypoints.dependencies import Clock
from enrollment.service_layer import invitations
from enrollment.service_layer.handlers import MEMBERSHIP_HANDLERS, MEMBERSHIPS_GROUP, REQUEST_HANDLERS, REQUESTS_GROUP
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from enrollment.settings import EnrollmentSettings
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import provide
from extranet_plumbing.logging import failure, get_logger
from extranet_plumbing.sealing import Sealer
from extranet_plumbing.service import Service, Subscription
from extranet_plumbing.storage import DocumentStore, LocalFolderStore

MIGRATIONS = Path(__file__).parent / "migrations"
log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def sealer(settings: EnrollmentSettings) -> Sealer:
    if settings.notifications_seal_key_file is None:
        raise RuntimeError("EXTRANET_NOTIFICATIONS_SEAL_KEY_FILE is not configured: the online enrollment's links cannot be sent sealed")
    return Sealer.from_file(settings.notifications_seal_key_file)


async def sweeper(service: Service, seal: Sealer, clock: Clock, every: float) -> None:
    """The online enrollment's links expired and its automatic reminders sent, every `every` seconds."""
    while True:
        try:
            await invitations.sweep(service.unit_of_work(), seal, now=clock())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("online enrollment sweep failed", **failure(exc))
        await asyncio.sleep(every)


def bootstrap(
    settings: EnrollmentSettings | None = None,
    *,
    clock: Clock = _now,
    verifier: TokenVerifier | None = None,
    documents: DocumentStore | None = None,
) -> Service:
    settings = settings or EnrollmentSettings()
    store = documents or LocalFolderStore.from_settings(settings, settings.service_name)
    seal = sealer(settings)
    return Service(
        settings,
        title="Enrollment service (internal)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=EnrollmentUnitOfWork,
        subscriptions=[Subscription(REQUESTS_GROUP, REQUEST_HANDLERS), Subscription(MEMBERSHIPS_GROUP, MEMBERSHIP_HANDLERS)],
        routers=[attachments.router, broker.router, http.router, online.router, uploads.router],
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={dependencies.clock: provide(clock), dependencies.sealer: provide(seal), dependencies.document_store: provide(store)},
        # A supporting document of up to the store's limit: those routes alone take such a body.
        body_limits={
            path: attachment_body_limit(settings.documents_max_bytes)
            for path in (ATTACHMENTS_PATH, uploads.UPLOADS_PATH, online.LINK_ATTACHMENTS_PATH)
        },
        # Requests and the invitations' mails leave through the outbox (portal.requests, notifications.requests).
        relay_outbox=True,
        tasks=lambda service: [sweeper(service, seal, clock, settings.invitation_sweep_seconds)],
    )
