"""Integration: the small set published on a real Kafka and consumed back (fixtures `infra`, `topic_prefix`)."""

from __future__ import annotations

import asyncio
import collections
from datetime import date

from aiokafka import AIOKafkaConsumer

from extranet_contracts.catalogue import lookup
from extranet_contracts.envelope import Envelope
from extranet_plumbing.kafka import client_kwargs
from legacy_simulator import SizeSpec, generate, publish
from legacy_simulator.publisher import STREAMS


async def _consume(bootstrap: str, topics: list[str], expected: int, timeout: float = 30.0) -> list:
    consumer = AIOKafkaConsumer(*topics, **client_kwargs(bootstrap), group_id=None, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < expected and loop.time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        # anything more (a duplicate) would show up now
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_small_set_round_trips_through_kafka(infra, topic_prefix):
    expected = list(generate(SizeSpec.preset("small"), 1, "mbtp", date(2026, 11, 23)))

    published = await publish(iter(expected), bootstrap=infra.kafka_bootstrap, topic_prefix=topic_prefix, progress=False)
    assert published == len(expected)

    records = await _consume(infra.kafka_bootstrap, [topic_prefix + stream for stream in STREAMS], len(expected))
    assert len(records) == len(expected)

    received = {}
    order = collections.defaultdict(list)
    for record in records:
        envelope = Envelope.from_headers(record.headers)
        model = lookup(envelope.type, envelope.version)
        event = model.model_validate_json(record.value)
        assert record.topic == topic_prefix + model.STREAM
        assert record.key.decode() == envelope.key == event.key()
        assert dict(record.headers)["content-type"] == b"application/json"
        received[envelope.id] = (envelope, event)
        order[(record.topic, record.key)].append(envelope.id)
    assert received == {envelope.id: (envelope, event) for envelope, event in expected}

    # the events of one aggregate (same topic and key) arrive in the order they were generated
    sent_order = collections.defaultdict(list)
    for envelope, event in expected:
        sent_order[(topic_prefix + event.STREAM, event.key().encode())].append(envelope.id)
    assert order == sent_order
