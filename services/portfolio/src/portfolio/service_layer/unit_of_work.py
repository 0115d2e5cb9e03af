"""The portfolio service's unit of work: its transaction and the repositories that work in it."""

from __future__ import annotations

import asyncpg

from extranet_plumbing.uow import UnitOfWork
from portfolio.adapters.dashboards import Dashboards


class PortfolioUnitOfWork(UnitOfWork):
    dashboards: Dashboards

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.dashboards = Dashboards(conn)
