"""A trace follows an event: from the span that wrote it to the outbox, through Kafka, into the
consumer's handler (W3C trace context in the Kafka headers)."""

from __future__ import annotations

import asyncio
import contextlib

from faststream.kafka import KafkaBroker
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned
from extranet_plumbing.consumer import EventConsumer
from extranet_plumbing.db import migrate
from extranet_plumbing.kafka import broker_security, ensure_topics, new_producer
from extranet_plumbing.outbox import OutboxRelay, add_to_outbox
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import wait_until
from extranet_plumbing.tracing import configure_tracing


async def test_the_consumer_continues_the_trace_of_the_request_that_emitted_the_event(infra, db_pool, db_schema, topic_prefix):
    configure_tracing("test")
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    await migrate(db_pool, db_schema)
    topic = f"{topic_prefix}legacy.brokers"
    await ensure_topics(infra.kafka_bootstrap, [topic])
    seen: list[int] = []

    async def handler(event, envelope, uow) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    producer = new_producer(infra.kafka_bootstrap)
    await producer.start()
    broker = KafkaBroker(infra.kafka_bootstrap, security=broker_security(infra.kafka_bootstrap))
    EventConsumer(
        group="tracing",
        settings=ServiceSettings(topic_prefix=topic_prefix),
        handlers={BrokerPortfolioCompanyAssigned: handler},
        pool=db_pool,
        producer=producer,
    ).subscribe(broker)
    await broker.start()
    relay = asyncio.create_task(OutboxRelay(db_pool, producer, schema=db_schema, poll_interval=0.05).run())
    try:
        with trace.get_tracer("test").start_as_current_span("POST /api/something") as request_span:
            async with db_pool.acquire() as conn, conn.transaction():
                await add_to_outbox(
                    conn,
                    BrokerPortfolioCompanyAssigned(broker_code="M30001", company_code="11112222", assigned_on="2026-11-02"),
                    tenant="mbtp",
                    source="urn:test",
                    topic=topic,
                )
        await wait_until(lambda: seen)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
        await broker.stop()
        await producer.stop()

    assert seen == [request_span.get_span_context().trace_id]
    consumer_span = next(s for s in exporter.get_finished_spans() if s.name == "BrokerPortfolioCompanyAssigned process")
    assert consumer_span.parent.span_id == request_span.get_span_context().span_id
    assert consumer_span.attributes["messaging.consumer.group.name"] == f"{topic_prefix}tracing"
