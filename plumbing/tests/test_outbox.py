"""The transactional outbox and its relay, against a real Kafka broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from extranet_contracts import Envelope
from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned
from extranet_plumbing.db import migrate
from extranet_plumbing.kafka import ensure_topics, new_producer
from extranet_plumbing.outbox import OutboxRelay, add_to_outbox
from extranet_plumbing.testing import read_topic, wait_until

EVENT = BrokerPortfolioCompanyAssigned(broker_code="M20001", company_code="87654321", assigned_on="2026-11-02")


class DiesBeforeSending:
    """A producer whose process 'dies' (the task is cancelled) as it is about to publish."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()

    async def send(self, *args, **kwargs):
        self.reached.set()
        await asyncio.Event().wait()  # never returns: the relay is killed here


@pytest.fixture
async def outbox(infra, db_pool, db_schema, topic_prefix):
    await migrate(db_pool, db_schema)
    await db_pool.execute("CREATE TABLE portfolio_link (broker_code text, company_code text)")
    topic = f"{topic_prefix}legacy.brokers"
    await ensure_topics(infra.kafka_bootstrap, [topic], with_dlq=False)
    return topic


async def change_state_and_emit(pool, topic: str, *, fail: bool = False) -> Envelope:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO portfolio_link VALUES ($1, $2)", EVENT.broker_code, EVENT.company_code)
        envelope = await add_to_outbox(conn, EVENT, tenant="mbtp", source="urn:test", topic=topic)
        if fail:
            raise RuntimeError("the transaction fails after the event was written")
    return envelope


async def test_state_and_event_commit_together_or_not_at_all(db_pool, outbox):
    with pytest.raises(RuntimeError):
        await change_state_and_emit(db_pool, outbox, fail=True)
    assert await db_pool.fetchval("SELECT count(*) FROM portfolio_link") == 0
    assert await db_pool.fetchval("SELECT count(*) FROM outbox") == 0

    await change_state_and_emit(db_pool, outbox)
    assert await db_pool.fetchval("SELECT count(*) FROM portfolio_link") == 1
    assert await db_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 1


async def test_relay_killed_before_publishing_then_restarted_publishes_exactly_once(infra, db_pool, db_schema, outbox):
    envelope = await change_state_and_emit(db_pool, outbox)

    dying = DiesBeforeSending()
    first = asyncio.create_task(OutboxRelay(db_pool, dying, schema=db_schema, poll_interval=0.05).run())
    await asyncio.wait_for(dying.reached.wait(), 10)
    first.cancel()  # killed before it could publish
    with contextlib.suppress(asyncio.CancelledError):
        await first
    assert await db_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 1

    producer = new_producer(infra.kafka_bootstrap)
    await producer.start()
    second = asyncio.create_task(OutboxRelay(db_pool, producer, schema=db_schema, poll_interval=0.05).run())
    try:
        await wait_until(lambda: db_pool.fetchval("SELECT sent_at IS NOT NULL FROM outbox WHERE event_id = $1", envelope.id))
        await asyncio.sleep(0.5)  # a relay that published twice would have done it by now
    finally:
        second.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await second
        await producer.stop()

    records = await read_topic(infra.kafka_bootstrap, outbox, expected=1)
    assert len(records) == 1
    published = Envelope.from_headers(records[0].headers)
    assert published.id == envelope.id and published.type == "BrokerPortfolioCompanyAssigned"
    assert records[0].key == b"M20001"
    assert BrokerPortfolioCompanyAssigned.model_validate_json(records[0].value) == EVENT


async def test_a_failed_publish_is_retried_later(infra, db_pool, db_schema, outbox):
    envelope = await change_state_and_emit(db_pool, outbox)

    class Unreachable:
        async def send(self, *args, **kwargs):
            raise ConnectionError("broker unreachable")

    relay = OutboxRelay(db_pool, Unreachable(), schema=db_schema)
    assert await relay.publish_pending() == 0
    row = await db_pool.fetchrow("SELECT attempts, last_error, sent_at, next_attempt_at > now() AS later FROM outbox")
    assert row["attempts"] == 1 and "broker unreachable" in row["last_error"] and row["sent_at"] is None

    await db_pool.execute("UPDATE outbox SET next_attempt_at = now()")  # the backoff has elapsed
    producer = new_producer(infra.kafka_bootstrap)
    await producer.start()
    try:
        assert await OutboxRelay(db_pool, producer, schema=db_schema).publish_pending() == 1
    finally:
        await producer.stop()
    records = await read_topic(infra.kafka_bootstrap, outbox, expected=1)
    assert [Envelope.from_headers(r.headers).id for r in records] == [envelope.id]
