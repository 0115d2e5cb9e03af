"""The models of the portfolio service's internal API, declared once: its routes answer with them
and the gateway's typed client validates what it receives against them."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


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
    """The dashboard as it was on `as_of` (the last day of the month asked for, or today)."""

    broker_code: str
    as_of: date
    month: str = Field(description="YYYY-MM, the month shown")
    portfolio: PortfolioTotals
    entries: list[MonthCount] = Field(description="The month shown and the previous one")
    exits: list[MonthCount]
    exits_by_reason: list[ExitReason]
    latest_affiliations: list[Movement] = Field(description="The five latest recorded by `as_of`, newest first")
    latest_radiations: list[Movement]


class ReadModelStats(BaseModel):
    """Counts only (no personal data): how far the read model has caught up."""

    events_applied: int
    brokers: int
    companies: int
    contracts: int
    memberships: int
