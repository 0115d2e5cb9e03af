"""A trace follows an event: from the span that wrote it to the outbox, through Kafka, into the
consumer's handler (W3C trace context in the Kafka headers)."""

from __future__ import annotations

import asyncio
import contextlib

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned
from extranet_plumbing.db import migrate
from extranet_plumbing.kafka import ensure_topics, new_producer
from extranet_plumbing.outbox import OutboxRelay, add_to_outbox
from extranet_plumbing.testing import consuming, wait_until
from extranet_plumbing.tracing import WithoutExceptionMessages, configure_tracing


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
    consumer = consuming(
        infra.kafka_bootstrap,
        group="tracing",
        handlers={BrokerPortfolioCompanyAssigned: handler},
        pool=db_pool,
        producer=producer,
        topic_prefix=topic_prefix,
    )
    async with consumer:
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
    await producer.stop()

    assert seen == [request_span.get_span_context().trace_id]
    spans = exporter.get_finished_spans()
    consumer_span = next(s for s in spans if s.name == "BrokerPortfolioCompanyAssigned process")
    # The relay's publication is a hop of the trace: the request's child, the consumer's parent.
    [publish_span] = [s for s in spans if s.name == "BrokerPortfolioCompanyAssigned publish"]
    assert publish_span.kind is trace.SpanKind.PRODUCER and publish_span.parent.span_id == request_span.get_span_context().span_id
    assert publish_span.attributes["messaging.destination.name"] == topic
    assert consumer_span.parent.span_id == publish_span.get_span_context().span_id
    assert consumer_span.context.trace_id == publish_span.context.trace_id == request_span.get_span_context().trace_id
    assert consumer_span.attributes["messaging.consumer.group.name"] == f"{topic_prefix}tracing"
    assert consumer_span.attributes["messaging.message.id"] == publish_span.attributes["messaging.message.id"]


NIR, IBAN = "185057800608491", "FR7630006000011234567890189"


def test_spans_leave_the_process_without_exception_messages():
    """A span an exception left keeps its class and error status, not the message nor the traceback (a NIR, an IBAN)."""
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(WithoutExceptionMessages(exported)))
    with contextlib.suppress(ValueError), provider.get_tracer("test").start_as_current_span("BrokerPortfolioCompanyAssigned process"):
        raise ValueError(f"invalid input for query argument $2: '{NIR}' and {IBAN}")
    [span] = exported.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR and span.status.description is None
    [event] = span.events
    assert event.name == "exception" and event.attributes["exception.type"] == "ValueError"
    text = repr([span.attributes, [e.attributes for e in span.events], span.status.description])
    assert NIR not in text and IBAN not in text and "query argument" not in text
