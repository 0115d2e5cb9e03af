"""The broker portal's API (espace courtier)."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from extranet_plumbing.auth import Principal, require_broker


class PortfolioTotals(BaseModel):
    companies: int
    collective_contracts: int
    protected_persons: int


class MonthCount(BaseModel):
    month: str
    label: str
    count: int


class ExitReason(BaseModel):
    reason: str
    current_month: int
    previous_month: int


class Movement(BaseModel):
    kind: Literal["affiliation", "radiation"]
    recorded_on: date
    effective_date: date
    insured_name: str | None
    member_number: str
    company_code: str
    contract_number: str
    product: str | None
    category: str | None


class BrokerDashboard(BaseModel):
    broker_code: str
    as_of: date
    portfolio: PortfolioTotals
    entries: list[MonthCount]
    exits: list[MonthCount]
    exits_by_reason: list[ExitReason]
    latest_movements: list[Movement]


def router(principal_dependency) -> APIRouter:
    routes = APIRouter(prefix="/api/broker", tags=["broker portal"])
    Who = Annotated[Principal, Depends(principal_dependency)]

    @routes.get("/dashboard", response_model=BrokerDashboard, summary="Tableau de bord du courtier")
    async def dashboard(who: Who, request: Request) -> dict:
        """Portfolio, monthly entries and exits (current and previous month), exits by reason, latest movements."""
        broker_code = require_broker(who)
        token = request.headers["authorization"].partition(" ")[2].strip()
        return await request.app.state.portfolio.broker_dashboard(token, broker_code)

    return routes
