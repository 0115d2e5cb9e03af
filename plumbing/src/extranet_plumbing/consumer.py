"""Idempotent event consumption with dead-lettering, on top of FastStream's Kafka subscriber.

For each batch of records: the envelope is read from the headers and the value validated against
the catalogue's model; what cannot be read, or belongs to a tenant the registry does not know, goes
to `<topic>.dlq` at once (its cause in the headers, never the offending values). The rest is applied in
one transaction together with the inbox rows of the events' ids, so that a redelivered event
changes nothing; the offsets are committed only after that transaction. If the batch fails, each
event is retried on its own with backoff, and one that still fails is dead-lettered. When the
database or Kafka itself is unreachable nothing is dead-lettered: the batch is redelivered later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from prometheus_client import Counter
from pydantic import ValidationError

from extranet_contracts import Envelope, EnvelopeError, Event, UnknownEventType, lookup
from extranet_plumbing.deadletter import send_to_dead_letter
from extranet_plumbing.errors import INFRASTRUCTURE_ERRORS
from extranet_plumbing.logging import get_logger
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.tenants import UnknownTenant, load_registry
from extranet_plumbing.tracing import context_from_headers
from extranet_plumbing.uow import UnitOfWork

# A handler takes the event, its envelope and a unit of work joined to the consumer's transaction.
Handler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]
Handlers = Mapping[type[Event], Handler]

log = get_logger(__name__)
_tracer = trace.get_tracer(__name__)

EVENTS_HANDLED = Counter("extranet_events_handled_total", "Events applied", ["consumer_group", "event_type"])
EVENTS_DUPLICATE = Counter("extranet_events_duplicate_total", "Redelivered events ignored", ["consumer_group"])
EVENTS_DEAD_LETTERED = Counter(
    "extranet_events_dead_lettered_total", "Events sent to a dead-letter topic", ["consumer_group", "topic", "reason"]
)


class RejectEvent(Exception):
    """Raised by a handler for an event that can never be applied (unknown template, missing data):
    it goes to the dead-letter topic at once, without retries."""


@dataclass(frozen=True)
class Projection:
    """The effect of one event type as a single SQL statement that gives the same state in any order
    (a newer revision wins, dates merge, separate columns fill). Being order-independent, a batch's
    events of this type may be applied together with one `executemany`."""

    sql: str
    params: Callable[[Envelope, Any], Sequence[Any]]

    async def __call__(self, event: Any, envelope: Envelope, uow: UnitOfWork) -> None:
        await uow.connection.execute(self.sql, *self.params(envelope, event))

    async def bulk(self, conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Any]]) -> None:
        await conn.executemany(self.sql, [self.params(envelope, event) for envelope, event in items])


@dataclass(frozen=True)
class Delivery:
    record: Any  # aiokafka ConsumerRecord
    envelope: Envelope
    event: Event


def topics_of(handlers: Handlers, settings: ServiceSettings) -> list[str]:
    """The topics carrying the handled event types."""
    return sorted({settings.topic(model.STREAM) for model in handlers})


class EventConsumer:
    """One consumer group applying some event types to a service's database.

    `handlers` maps each event model to its handler: the topics subscribed to are those of the
    models' streams (with the settings' prefix), never a list kept by hand."""

    def __init__(
        self,
        *,
        group: str,
        handlers: Handlers,
        settings: ServiceSettings,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        unit_of_work: type[UnitOfWork] = UnitOfWork,
        retry: RetryPolicy = RetryPolicy(),
        infrastructure_backoff: float = 2.0,
    ) -> None:
        self.group_id = settings.group_id(group)
        self.topics = topics_of(handlers, settings)
        self._handlers = {(model.TYPE, model.VERSION): handler for model, handler in handlers.items()}
        self._settings = settings
        self._unit_of_work = unit_of_work
        self._tenants = frozenset(load_registry())
        self._pool = pool
        self._producer = producer
        self._retry = retry
        self._infrastructure_backoff = infrastructure_backoff

    def subscribe(self, broker: KafkaBroker, *, max_records: int = 500) -> Any:
        """Register the batch subscriber on `broker` (explicit group and ack policy)."""

        async def on_batch(message: KafkaMessage) -> None:
            raw = message.raw_message
            await self.handle_records(raw if isinstance(raw, tuple | list) else (raw,))

        async def keep_raw(_message: Any) -> None:
            return None  # bodies are parsed here, so that a malformed one is dead-lettered, not fatal

        return broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=100,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=keep_raw,
        )(on_batch)

    async def handle_records(self, records: Sequence[Any]) -> None:
        """Apply a batch; raises (so the batch is redelivered) only on infrastructure failure."""
        deliveries: list[Delivery] = []
        for record in records:
            try:
                delivery = self._read(record)
            except (EnvelopeError, UnknownEventType, UnknownTenant, ValidationError, ValueError) as exc:
                await self._dead_letter(record, exc)
                continue
            if delivery is not None:
                deliveries.append(delivery)
        if not deliveries:
            return
        try:
            await self._apply(deliveries)
        except INFRASTRUCTURE_ERRORS as exc:
            await self._pause(exc)
            raise
        except Exception as exc:  # one bad event spoils the batch's transaction: go one by one
            log.info("batch failed, applying its events one by one", consumer_group=self.group_id, error=type(exc).__name__)
            for delivery in deliveries:
                await self._apply_one_with_retries(delivery)

    def _read(self, record: Any) -> Delivery | None:
        envelope = Envelope.from_headers(record.headers)
        if envelope.tenant not in self._tenants:
            raise UnknownTenant("the event's tenant is not in the tenant registry")
        model = lookup(envelope.type, envelope.version)
        if (envelope.type, envelope.version) not in self._handlers:
            return None  # a known event this consumer has no interest in
        if record.value is None:
            raise ValueError("empty message value")
        event = model.model_validate_json(record.value)
        return Delivery(record, envelope, event)

    async def _apply(self, deliveries: Sequence[Delivery]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            fresh = await self._record_in_inbox(conn, deliveries)
            to_apply = []
            for delivery in deliveries:
                if delivery.envelope.id in fresh:
                    fresh.discard(delivery.envelope.id)  # a copy later in the same batch is a duplicate
                    to_apply.append(delivery)
                else:
                    EVENTS_DUPLICATE.labels(self.group_id).inc()
            projections: dict[tuple[str, int], list[Delivery]] = {}
            for delivery in to_apply:
                kind = (delivery.envelope.type, delivery.envelope.version)
                if isinstance(self._handlers[kind], Projection):
                    projections.setdefault(kind, []).append(delivery)
                else:
                    await self._call_handler(delivery, self._unit_of_work.joining(conn, self._settings))
            for kind, group in projections.items():
                await self._call_projection(conn, self._handlers[kind], group)

    async def _record_in_inbox(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> set:
        rows = await conn.fetch(
            'INSERT INTO inbox (consumer_group, event_id, event_type, topic, partition, "offset")'
            " SELECT $1, e.id, e.type, e.topic, e.partition, e.off"
            " FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[]) AS e(id, type, topic, partition, off)"
            " ON CONFLICT DO NOTHING RETURNING event_id",
            self.group_id,
            [d.envelope.id for d in deliveries],
            [d.envelope.type for d in deliveries],
            [d.record.topic for d in deliveries],
            [d.record.partition for d in deliveries],
            [d.record.offset for d in deliveries],
        )
        return {row["event_id"] for row in rows}

    async def _call_handler(self, delivery: Delivery, uow: UnitOfWork) -> None:
        handler = self._handlers[(delivery.envelope.type, delivery.envelope.version)]
        with _tracer.start_as_current_span(
            f"{delivery.envelope.type} process",
            context=context_from_headers(delivery.record.headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": delivery.record.topic,
                "messaging.consumer.group.name": self.group_id,
                "messaging.message.id": str(delivery.envelope.id),
            },
        ):
            await handler(delivery.event, delivery.envelope, uow)
        EVENTS_HANDLED.labels(self.group_id, delivery.envelope.type).inc()

    async def _call_projection(self, conn: asyncpg.Connection, projection: Projection, group: Sequence[Delivery]) -> None:
        if len(group) == 1:
            await self._call_handler(group[0], self._unit_of_work.joining(conn, self._settings))
            return
        links = [trace.Link(trace.get_current_span(context_from_headers(d.record.headers)).get_span_context()) for d in group]
        with _tracer.start_as_current_span(
            f"{group[0].envelope.type} process",
            kind=trace.SpanKind.CONSUMER,
            links=links,
            attributes={
                "messaging.system": "kafka",
                "messaging.batch.message_count": len(group),
                "messaging.consumer.group.name": self.group_id,
            },
        ):
            await projection.bulk(conn, [(d.envelope, d.event) for d in group])
        EVENTS_HANDLED.labels(self.group_id, group[0].envelope.type).inc(len(group))

    async def _apply_one_with_retries(self, delivery: Delivery) -> None:
        for attempt in range(1, self._retry.attempts + 1):
            try:
                await self._apply([delivery])
                return
            except INFRASTRUCTURE_ERRORS as exc:
                await self._pause(exc)
                raise
            except Exception as exc:
                if attempt == self._retry.attempts or isinstance(exc, RejectEvent):
                    await self._dead_letter(delivery.record, exc)
                    return
                delay = self._retry.delay(attempt)
                log.warning(
                    "event failed, will retry",
                    consumer_group=self.group_id,
                    event_id=str(delivery.envelope.id),
                    event_type=delivery.envelope.type,
                    attempt=attempt,
                    retry_in=round(delay, 3),
                    error_class=type(exc).__name__,
                )
                await asyncio.sleep(delay)

    async def _dead_letter(self, record: Any, exc: BaseException) -> None:
        await send_to_dead_letter(self._producer, record, self.group_id, exc)
        EVENTS_DEAD_LETTERED.labels(self.group_id, record.topic, type(exc).__name__).inc()

    async def _pause(self, exc: BaseException) -> None:
        log.error("infrastructure unavailable, batch will be redelivered", consumer_group=self.group_id, error=str(exc))
        await asyncio.sleep(self._infrastructure_backoff)
