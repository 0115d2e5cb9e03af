"""The unit of work on a real PostgreSQL: nothing kept without commit, events stored with the state
change in the outbox on their stream's topic, commit-then-refuse keeps what was counted."""

from __future__ import annotations

from datetime import date

import pytest

from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned
from extranet_plumbing.db import migrate
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.uow import UnitOfWork

EVENT = BrokerPortfolioCompanyAssigned(broker_code="M12345", company_code="12345678", assigned_on=date(2026, 1, 1))


@pytest.fixture
async def settings(db_pool, db_schema, topic_prefix):
    await migrate(db_pool, db_schema)
    await db_pool.execute("CREATE TABLE counters (name text PRIMARY KEY, n int NOT NULL)")
    return ServiceSettings(service_name="portfolio", topic_prefix=topic_prefix)


async def count(uow: UnitOfWork) -> None:
    await uow.connection.execute("INSERT INTO counters VALUES ('failures', 1) ON CONFLICT (name) DO UPDATE SET n = counters.n + 1")


async def test_nothing_is_kept_without_commit(db_pool, settings):
    async with UnitOfWork(db_pool, settings) as uow:
        await count(uow)
        await uow.publish(EVENT, tenant="mbtp")
    assert await db_pool.fetchval("SELECT count(*) FROM counters") == 0
    assert await db_pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_a_published_event_is_stored_with_the_change_on_its_streams_topic(db_pool, settings, topic_prefix):
    async with UnitOfWork(db_pool, settings) as uow:
        await count(uow)
        envelope = await uow.publish(EVENT, tenant="mbtp")
        await uow.commit()
    row = await db_pool.fetchrow("SELECT topic, key FROM outbox WHERE event_id = $1", envelope.id)
    assert (row["topic"], row["key"]) == (f"{topic_prefix}legacy.brokers", "M12345")
    assert envelope.source == "urn:extranet:portfolio" and envelope.tenant == "mbtp"
    assert await db_pool.fetchval("SELECT n FROM counters") == 1


async def test_commit_then_refuse_keeps_what_was_counted(db_pool, settings):
    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        async with UnitOfWork(db_pool, settings) as uow:
            await count(uow)
            await uow.commit()
            await count(uow)  # after the commit: undone by the refusal
            raise Refused
    assert await db_pool.fetchval("SELECT n FROM counters") == 1
