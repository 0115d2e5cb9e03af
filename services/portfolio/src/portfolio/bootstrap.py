"""The one place where the portfolio service's parts are chosen and wired together."""

from __future__ import annotations

from pathlib import Path

from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import provide
from extranet_plumbing.read_cache import ReadModelCache
from extranet_plumbing.service import Service, Subscription
from portfolio.adapters.storage import DocumentStore, LocalFolderStore
from portfolio.api import ADDRESS_CHANGE_BODY_LIMIT
from portfolio.domain.periods import today_in_france
from portfolio.entrypoints import dependencies, exports, http, profile
from portfolio.entrypoints.dependencies import Clock
from portfolio.service_layer.handlers import HANDLERS, READ_MODEL_GROUP
from portfolio.service_layer.unit_of_work import PortfolioUnitOfWork
from portfolio.settings import PortfolioSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(
    settings: PortfolioSettings | None = None,
    *,
    clock: Clock = today_in_france,
    verifier: TokenVerifier | None = None,
    documents: DocumentStore | None = None,
) -> Service:
    settings = settings or PortfolioSettings()
    return Service(
        settings,
        title="Portfolio service (internal)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=PortfolioUnitOfWork,
        subscriptions=[Subscription(READ_MODEL_GROUP, HANDLERS, counts_changes=True)],
        routers=[http.router, exports.router, profile.router],
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={
            dependencies.clock: provide(clock),
            dependencies.answers: provide(ReadModelCache("portfolio")),
            profile.document_store: provide(documents or LocalFolderStore(settings.documents_dir)),
        },
        # Requests made in the broker portal go to the legacy system through the outbox (portal.requests).
        relay_outbox=True,
        # The address change carries a Kbis of up to 4 MB: that route alone takes such a body.
        body_limits={"/internal/brokers/*/address-change": ADDRESS_CHANGE_BODY_LIMIT},
    )
