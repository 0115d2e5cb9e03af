"""The portfolio service's unit of work: its transaction and the repositories that work in it."""

from __future__ import annotations

import asyncpg

from extranet_plumbing.uow import UnitOfWork
from portfolio.adapters.broker_requests import BrokerRequests
from portfolio.adapters.company_documents import CompanyDocuments
from portfolio.adapters.dashboards import Dashboards
from portfolio.adapters.effectifs import Effectifs
from portfolio.adapters.employer import Employer
from portfolio.adapters.profiles import Profiles


class PortfolioUnitOfWork(UnitOfWork):
    dashboards: Dashboards
    effectifs: Effectifs
    profiles: Profiles
    broker_requests: BrokerRequests
    employer: Employer
    company_documents: CompanyDocuments

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.dashboards = Dashboards(conn)
        self.effectifs = Effectifs(conn)
        self.profiles = Profiles(conn)
        self.broker_requests = BrokerRequests(conn)
        self.employer = Employer(conn)
        self.company_documents = CompanyDocuments(conn)
