"""Unit of work: one database transaction of one service, the repositories that work in it, and the
events it publishes (written to the outbox in the same transaction).

    async with service.unit_of_work() as uow:
        account = await uow.accounts.by_id(account_id)
        await uow.publish(AccountActivated(...), tenant=account.tenant)
        await uow.commit()

Nothing is kept unless `commit()` is called: leaving the block rolls back. A refusal that must
still count something (a wrong code, a failed login) commits, then raises.

A service subclasses `UnitOfWork` and creates its repositories in `_bind(conn)`. An event consumer
hands its handlers a unit of work that *joins* the consumer's transaction (`joining`): the consumer
commits it together with the inbox rows of the events, so a handler never commits.
"""

from __future__ import annotations

from typing import Self

import asyncpg

from extranet_contracts import Envelope, Event
from extranet_plumbing.outbox import add_to_outbox
from extranet_plumbing.settings import ServiceSettings


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool | None, settings: ServiceSettings) -> None:
        self._pool = pool
        self.settings = settings
        self._conn: asyncpg.Connection | None = None
        self._tx: asyncpg.transaction.Transaction | None = None
        self._joined = False
        self.published: list[Envelope] = []

    @classmethod
    def joining(cls, conn: asyncpg.Connection, settings: ServiceSettings) -> Self:
        """A unit of work inside a transaction that its caller owns and commits (the event consumer's)."""
        uow = cls(None, settings)
        uow._conn, uow._joined = conn, True
        uow._bind(conn)
        return uow

    def _bind(self, conn: asyncpg.Connection) -> None:
        """Create the service's repositories on `conn` (subclasses)."""

    @property
    def connection(self) -> asyncpg.Connection:
        """For repositories and projections only: handlers and routes go through repositories."""
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use `async with`")
        return self._conn

    async def __aenter__(self) -> Self:
        if self._joined:
            return self
        if self._pool is None:
            raise RuntimeError("this unit of work has no pool to open a transaction on")
        self._conn = await self._pool.acquire()
        try:
            self._tx = self._conn.transaction()
            await self._tx.start()
        except BaseException:
            await self._pool.release(self._conn)
            self._conn = None
            raise
        self._bind(self._conn)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._joined:
            return
        try:
            if self._tx is not None:
                await self._tx.rollback()  # whatever was not committed is undone
        finally:
            self._tx = None
            conn, self._conn = self._conn, None
            if conn is not None:
                await self._pool.release(conn)

    async def commit(self) -> None:
        """Keep what was done so far (and its outbox rows); the unit of work stays usable after it."""
        if self._joined:
            return  # the owner of the transaction commits it, with its inbox rows
        if self._tx is None:
            raise RuntimeError("the unit of work is not open: use `async with`")
        await self._tx.commit()
        self._tx = self.connection.transaction()
        await self._tx.start()

    async def rollback(self) -> None:
        if self._joined:
            raise RuntimeError("a handler cannot roll back its consumer's transaction: raise instead")
        if self._tx is not None:
            await self._tx.rollback()
            self._tx = self.connection.transaction()
            await self._tx.start()

    async def publish(self, event: Event, *, tenant: str, envelope: Envelope | None = None) -> Envelope:
        """Store `event` in the outbox, on its stream's topic, in this transaction."""
        stored = await add_to_outbox(
            self.connection,
            event,
            tenant=tenant,
            source=self.settings.event_source,
            topic=self.settings.topic(event.STREAM),
            envelope=envelope,
        )
        self.published.append(stored)
        return stored
