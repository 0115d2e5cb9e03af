"""The broker portal's API (espace courtier)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from fastapi import APIRouter

from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Portfolio
from gateway.errors import problem_responses
from gateway.routes.declared import declare_identity_routes
from portfolio.api import BrokerDashboard

router = APIRouter(prefix="/api", tags=["broker portal"])
declare_identity_routes(router, "broker")


@router.get(
    "/broker/dashboard",
    response_model=BrokerDashboard,
    summary="Tableau de bord du courtier",
    responses=problem_responses(authenticated=True, validated=False),
)
async def dashboard(who: Who, token: Token, portfolio: Portfolio) -> BrokerDashboard:
    """Portfolio, monthly entries and exits (current and previous month), exits by reason, latest movements."""
    # Checked here before asking portfolio, which checks again.
    return await portfolio.broker_dashboard(token, require_broker(who))
