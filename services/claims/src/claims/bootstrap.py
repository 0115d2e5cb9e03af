"""The one place where the claims service's parts are chosen and wired together."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from claims.adapters.content import TenantContent
from claims.entrypoints import content, dependencies, household, http, statements
from claims.service_layer import documents
from claims.service_layer.handlers import READ_MODEL_GROUP, handlers
from claims.service_layer.unit_of_work import ClaimsUnitOfWork
from claims.settings import ClaimsSettings
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import provide
from extranet_plumbing.read_cache import ReadModelCache
from extranet_plumbing.service import Service, Subscription

MIGRATIONS = Path(__file__).parent / "migrations"
PARIS = ZoneInfo("Europe/Paris")


def now_in_france() -> datetime:
    return datetime.now(PARIS)


def bootstrap(
    settings: ClaimsSettings | None = None, *, clock: dependencies.Clock = now_in_france, verifier: TokenVerifier | None = None
) -> Service:
    settings = settings or ClaimsSettings()
    # The member's pages, kept while the read model has not changed: the read model's consumer counts its
    # changes (the announcements of new statements, in the same transactions, change no kept answer).
    answers = ReadModelCache("claims", day=lambda: clock().date())
    return Service(
        settings,
        title="Claims service (internal)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=ClaimsUnitOfWork,
        subscriptions=[Subscription(READ_MODEL_GROUP, handlers(clock, settings), counts_changes=True)],
        relay_outbox=True,
        routers=[statements.router, household.router, content.router, http.router],
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={
            dependencies.clock: provide(clock),
            dependencies.content: provide(TenantContent(settings.content_dir)),
            dependencies.answers: provide(answers),
        },
        read_caches=[answers],
        # A statement whose payment and household's file were applied at once, each unseen by the other: announced still.
        tasks=lambda service: [documents.announcement_sweeper(service.pool, clock, settings)],
    )
