"""Internal HTTP API of the portfolio service, called by the gateway with the user's token, which is
checked again here: a broker reads only their own portfolio."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Who
from portfolio.api import BrokerDashboard, ReadModelStats
from portfolio.domain.periods import MONTH_PATTERN, Month
from portfolio.entrypoints.dependencies import Today, UoW
from portfolio.service_layer.handlers import READ_MODEL_GROUP

router = APIRouter(prefix="/internal")


@router.get("/brokers/{broker_code}/dashboard", response_model=BrokerDashboard)
async def broker_dashboard(
    broker_code: str,
    who: Who,
    uow: UoW,
    today: Today,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM; the current month by default")] = None,
) -> dict:
    require_broker(who, broker_code)
    async with uow:
        return await uow.dashboards.broker_dashboard(who.tenant, broker_code, day_of_month(month, today()))


def day_of_month(month: str | None, today: date) -> date:
    """The day a month's dashboard is as of: its last day, or today for the current month."""
    if month is None:
        return today
    asked = Month.parse(month)
    if asked > Month.of(today):
        raise RequestValidationError([{"loc": ("query", "month"), "msg": "Ce mois n'est pas encore commencé.", "type": "value_error"}])
    return min(asked.last_day, today)


@router.get("/stats", response_model=ReadModelStats)
async def stats(uow: UoW) -> dict:
    """Counts only (no personal data): how far the read model has caught up."""
    async with uow:
        return await uow.dashboards.stats(uow.settings.group_id(READ_MODEL_GROUP))
