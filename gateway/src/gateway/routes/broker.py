"""The broker portal's API (espace courtier)."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.

from fastapi import APIRouter, Request

from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Who
from portfolio.api import BrokerDashboard


def router() -> APIRouter:
    routes = APIRouter(prefix="/api/broker", tags=["broker portal"])

    @routes.get("/dashboard", response_model=BrokerDashboard, summary="Tableau de bord du courtier")
    async def dashboard(who: Who, request: Request) -> dict:
        """Portfolio, monthly entries and exits (current and previous month), exits by reason, latest movements."""
        broker_code = require_broker(who)
        token = request.headers["authorization"].partition(" ")[2].strip()
        return await request.app.state.portfolio.broker_dashboard(token, broker_code)

    return routes
