"""Internal HTTP API of the portfolio service, called by the gateway with the user's token, which is
checked again here: a broker reads only their own portfolio."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Who
from portfolio.api import BrokerDashboard, ReadModelStats
from portfolio.entrypoints.dependencies import Today, UoW
from portfolio.service_layer.handlers import READ_MODEL_GROUP

router = APIRouter(prefix="/internal")


@router.get("/brokers/{broker_code}/dashboard", response_model=BrokerDashboard)
async def broker_dashboard(
    broker_code: str,
    who: Who,
    uow: UoW,
    today: Today,
    as_of: Annotated[date | None, Query(description="Defaults to today in Paris")] = None,
) -> dict:
    require_broker(who, broker_code)
    async with uow:
        return await uow.dashboards.broker_dashboard(who.tenant, broker_code, as_of or today())


@router.get("/stats", response_model=ReadModelStats)
async def stats(uow: UoW) -> dict:
    """Counts only (no personal data): how far the read model has caught up."""
    async with uow:
        return await uow.dashboards.stats(uow.settings.group_id(READ_MODEL_GROUP))
