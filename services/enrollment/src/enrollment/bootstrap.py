"""The one place where the enrollment service's parts are chosen and wired together."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from enrollment.entrypoints import dependencies, http
from enrollment.entrypoints.dependencies import Clock
from enrollment.service_layer.handlers import MEMBERSHIP_HANDLERS, MEMBERSHIPS_GROUP, REQUEST_HANDLERS, REQUESTS_GROUP
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from enrollment.settings import EnrollmentSettings
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import provide
from extranet_plumbing.service import Service, Subscription

MIGRATIONS = Path(__file__).parent / "migrations"


def _now() -> datetime:
    return datetime.now(UTC)


def bootstrap(settings: EnrollmentSettings | None = None, *, clock: Clock = _now, verifier: TokenVerifier | None = None) -> Service:
    settings = settings or EnrollmentSettings()
    return Service(
        settings,
        title="Enrollment service (internal)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=EnrollmentUnitOfWork,
        subscriptions=[Subscription(REQUESTS_GROUP, REQUEST_HANDLERS), Subscription(MEMBERSHIPS_GROUP, MEMBERSHIP_HANDLERS)],
        routers=[http.router],
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={dependencies.clock: provide(clock)},
        # Requests leave through the outbox (portal.requests).
        relay_outbox=True,
    )
