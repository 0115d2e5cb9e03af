"""Many events into the outbox at once: the same rows as one by one, published by the same relay."""

from __future__ import annotations

import asyncio
import contextlib
import json

from extranet_contracts import Envelope
from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned
from extranet_plumbing.db import migrate
from extranet_plumbing.kafka import ensure_topics, new_producer
from extranet_plumbing.outbox import OutboxEntry, OutboxRelay, add_all_to_outbox, add_to_outbox
from extranet_plumbing.testing import read_topic

EVENTS = [BrokerPortfolioCompanyAssigned(broker_code=f"M2000{i}", company_code="87654321", assigned_on="2026-11-02") for i in range(5)]


async def test_a_batch_writes_the_rows_one_by_one_would_and_the_relay_publishes_them(infra, db_pool, db_schema, topic_prefix):
    await migrate(db_pool, db_schema)
    topic = f"{topic_prefix}legacy.brokers"
    await ensure_topics(infra.kafka_bootstrap, [topic], with_dlq=False)
    given = Envelope(type=EVENTS[0].TYPE, version=1, source="urn:test", tenant="mgen", key=EVENTS[0].key())
    async with db_pool.acquire() as conn, conn.transaction():
        single = await add_to_outbox(conn, EVENTS[1], tenant="mbtp", source="urn:test", topic=topic)
        batch = await add_all_to_outbox(
            conn,
            [OutboxEntry(EVENTS[0], "mgen", "urn:test", topic, envelope=given)]
            + [OutboxEntry(e, "mbtp", "urn:test", topic) for e in EVENTS[2:]],
        )
    assert batch[0] is given and [e.tenant for e in batch] == ["mgen", "mbtp", "mbtp", "mbtp"]
    rows = {r["event_id"]: r for r in await db_pool.fetch("SELECT * FROM outbox")}
    assert len(rows) == 5
    one, many = rows[single.id], rows[batch[1].id]
    assert many["topic"] == one["topic"] and many["key"] == EVENTS[2].key() and many["sent_at"] is None
    assert [name for name, _ in json.loads(many["headers"])] == [name for name, _ in json.loads(one["headers"])]
    assert bytes(many["value"]) == EVENTS[2].model_dump_json().encode()

    producer = new_producer(infra.kafka_bootstrap)
    await producer.start()
    relay = asyncio.create_task(OutboxRelay(db_pool, producer, schema=db_schema, poll_interval=0.1).run())
    try:
        records = await read_topic(infra.kafka_bootstrap, topic, expected=5)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
        await producer.stop()
    ids = {Envelope.from_headers(r.headers).id for r in records}
    assert ids == {single.id, *(e.id for e in batch)}
    assert await db_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
    assert await add_all_to_outbox(None, []) == []
