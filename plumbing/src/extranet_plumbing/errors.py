"""Failures of the infrastructure (database, network) rather than of the work at hand: one list, so
that the consumer, the outbox relay and the senders agree on what is retried and never dead-lettered."""

from __future__ import annotations

import asyncpg

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
