"""The claims service's unit of work: its transaction and the repositories that work in it."""

from __future__ import annotations

import asyncpg

from claims.adapters.households import Households
from claims.adapters.reimbursements import Reimbursements
from extranet_plumbing.uow import UnitOfWork


class ClaimsUnitOfWork(UnitOfWork):
    reimbursements: Reimbursements
    households: Households

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.reimbursements = Reimbursements(conn)
        self.households = Households(conn)
