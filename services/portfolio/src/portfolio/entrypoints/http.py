"""Internal HTTP API of the portfolio service, called by the gateway with the user's token."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query

from extranet_plumbing.auth import Principal, TokenVerifier, bearer_principal, require_broker
from extranet_plumbing.http import install_conventions
from extranet_plumbing.runtime import ServiceRuntime
from portfolio.adapters import queries
from portfolio.bootstrap import CONSUMER_GROUP, Clock, build_runtime, default_clock
from portfolio.settings import PortfolioSettings


def create_app(
    settings: PortfolioSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock = default_clock,
    runtime: ServiceRuntime | None = None,
) -> FastAPI:
    settings = settings or PortfolioSettings()
    runtime = runtime or build_runtime(settings)
    verifier = verifier or TokenVerifier.from_file(settings.jwt_public_key_file)
    principal = Annotated[Principal, Depends(bearer_principal(verifier))]

    app = FastAPI(title="Portfolio service (internal)", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_conventions(app, {"database": runtime.database_ready, "kafka": runtime.broker_ready})
    router = APIRouter(prefix="/internal")

    @router.get("/brokers/{broker_code}/dashboard")
    async def broker_dashboard(
        broker_code: str, who: principal, as_of: Annotated[date | None, Query(description="Defaults to today in Paris")] = None
    ) -> dict:
        require_broker(who, broker_code)
        async with runtime.pool.acquire() as conn:
            return await queries.broker_dashboard(conn, who.tenant, broker_code, as_of or clock())

    @router.get("/stats")
    async def stats() -> dict:
        """Counts only (no personal data): how far the read model has caught up."""
        async with runtime.pool.acquire() as conn:
            return await queries.stats(conn, runtime.group_id(CONSUMER_GROUP))

    app.include_router(router)
    return app
