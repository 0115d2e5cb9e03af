"""The one place where the portfolio service's parts are chosen and wired together."""

from __future__ import annotations

from pathlib import Path

from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import provide
from extranet_plumbing.service import Service, Subscription
from portfolio.domain.periods import today_in_france
from portfolio.entrypoints import dependencies, http
from portfolio.entrypoints.dependencies import Clock
from portfolio.service_layer.handlers import HANDLERS, READ_MODEL_GROUP
from portfolio.service_layer.unit_of_work import PortfolioUnitOfWork
from portfolio.settings import PortfolioSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(
    settings: PortfolioSettings | None = None, *, clock: Clock = today_in_france, verifier: TokenVerifier | None = None
) -> Service:
    settings = settings or PortfolioSettings()
    return Service(
        settings,
        title="Portfolio service (internal)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=PortfolioUnitOfWork,
        subscriptions=[Subscription(READ_MODEL_GROUP, HANDLERS)],
        routers=[http.router],
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={dependencies.clock: provide(clock)},
    )
