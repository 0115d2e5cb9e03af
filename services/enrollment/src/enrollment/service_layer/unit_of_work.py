"""The enrollment service's unit of work: its transaction and the repositories that work in it."""

from __future__ import annotations

import asyncpg

from enrollment.adapters.contracts import Contracts
from enrollment.adapters.households import Households
from enrollment.adapters.invitations import Invitations
from enrollment.adapters.memberships import Memberships
from enrollment.adapters.requests import Requests
from extranet_plumbing.uow import UnitOfWork


class EnrollmentUnitOfWork(UnitOfWork):
    requests: Requests
    memberships: Memberships
    contracts: Contracts
    invitations: Invitations
    households: Households

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.requests = Requests(conn)
        self.memberships = Memberships(conn)
        self.contracts = Contracts(conn)
        self.invitations = Invitations(conn)
        self.households = Households(conn)
