"""The notifications service's unit of work: its transaction and the deliveries table in it."""

from __future__ import annotations

import asyncpg

from extranet_plumbing.uow import UnitOfWork
from notifications.adapters.store import Deliveries


class NotificationsUnitOfWork(UnitOfWork):
    deliveries: Deliveries

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.deliveries = Deliveries(conn)
