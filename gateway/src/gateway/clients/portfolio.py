"""Typed client of the portfolio service: answers validated against `portfolio.api`'s models."""

from __future__ import annotations

from gateway.clients.base import ServiceClient, segment
from portfolio.api import BrokerDashboard


class PortfolioClient(ServiceClient):
    async def broker_dashboard(self, token: str, broker_code: str, month: str | None = None) -> BrokerDashboard:
        return await self.request(
            "GET",
            f"/internal/brokers/{segment(broker_code)}/dashboard",
            route="GET /internal/brokers/{broker_code}/dashboard",
            model=BrokerDashboard,
            token=token,
            params={"month": month} if month else None,
        )
