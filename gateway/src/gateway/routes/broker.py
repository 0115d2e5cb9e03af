"""The broker portal's API (espace courtier)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import APIRouter, Query

from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Portfolio
from gateway.errors import problem_responses
from gateway.routes.declared import declare_identity_routes
from portfolio.api import BrokerDashboard
from portfolio.domain.periods import MONTH_PATTERN

router = APIRouter(prefix="/api", tags=["broker portal"])
declare_identity_routes(router, "broker")


@router.get(
    "/broker/dashboard",
    response_model=BrokerDashboard,
    summary="Tableau de bord du courtier",
    responses=problem_responses(authenticated=True, validated=True),
)
async def dashboard(
    who: Who,
    token: Token,
    portfolio: Portfolio,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM; the current month by default")] = None,
) -> BrokerDashboard:
    """Portfolio on the month's last day (today for the current month), entries and exits of the month
    and the previous one, exits by reason, the five latest affiliations and radiations."""
    # Checked here before asking portfolio, which checks again.
    return await portfolio.broker_dashboard(token, require_broker(who), month)
