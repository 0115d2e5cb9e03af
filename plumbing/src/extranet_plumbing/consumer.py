"""Idempotent event consumption with dead-lettering, on top of FastStream's Kafka subscriber.

For each batch of records: the envelope is read from the headers and the value validated against
the catalogue's model (`bulk_validation`: the same rules, faster); what cannot be read, or belongs to
a tenant the registry does not know, goes to `<topic>.dlq` at once (its cause in the headers, never
the offending values). The rest is applied chunk by chunk, each chunk in one transaction together
with the inbox rows of its events' ids, so that a redelivered event changes nothing; while one chunk
is written the next is validated, and the offsets are committed only once every chunk of the batch
is. A `Projection` applies a chunk's events of one type with one COPY and one statement. If a chunk
fails, each of its events is retried on its own with backoff, and one that still fails is
dead-lettered. When the database or Kafka itself is unreachable nothing is dead-lettered: the batch
is redelivered later.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from pydantic import ValidationError

from extranet_contracts import CATALOGUE, Envelope, EnvelopeError, Event, UnknownEventType, lookup
from extranet_plumbing.bulk_validation import validator_for
from extranet_plumbing.deadletter import send_to_dead_letter
from extranet_plumbing.errors import INFRASTRUCTURE_ERRORS
from extranet_plumbing.logging import failure, get_logger
from extranet_plumbing.metrics import EVENTS_DEAD_LETTERED, EVENTS_DUPLICATE, EVENTS_FAILED, EVENTS_HANDLED, UNKNOWN_TYPE, watch_lag
from extranet_plumbing.read_cache import COUNT_CHANGE
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

_KNOWN_TYPES = frozenset(event_type for event_type, _ in CATALOGUE)


# Records taken from Kafka at once (their offsets are committed together once they are all applied).
BATCH_RECORDS = 4000
PARTITION_FETCH_BYTES = 4 * 1024 * 1024  # what one fetch brings of a partition (aiokafka's default: 1 MiB)
# A batch is applied in chunks of this many records, each in its own transaction, so that PostgreSQL applies some while
# the next are validated; the reading yields every so many records to let the chunks being written go on.
CHUNK_RECORDS = 500
YIELD_EVERY = 10
# Lanes (connections, each writing its chunks one after the other) of a consumer whose handlers are all projections:
# a chunk is split between them by Kafka key. The reading runs up to AHEAD chunks ahead of each lane's writing.
LANES = 2
AHEAD = 2

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_MAX_LINKS = 128  # what OpenTelemetry's SDK keeps by default


class RejectEvent(Exception):
    """Raised by a handler for an event that can never be applied (unknown template, missing data):
    it goes to the dead-letter topic at once, without retries."""


@dataclass(frozen=True)
class Projection:
    """The effect of one event type as one set-based SQL statement that gives the same state in any
    order (a newer revision wins, dates merge, separate columns fill), so that the consumer applies all
    of a batch's events of that type at once.

    `row(envelope, event)` is the event as a row of `columns` (name, PostgreSQL type). The rows are
    copied (binary COPY) into a temporary staging table of the session, with `seq`, the event's rank
    in the set; `sql` reads them from `{rows}` and must resolve several events for one key in the set
    as applying them one after the other would: keep one per key, the newest revision, and among
    equal revisions the first (`DISTINCT ON (key) ... ORDER BY key, revision DESC, seq`). The staged
    rows are consumed by the statement. A single event is applied the same way, as a set of one.

    A statement may go on in more steps: `sql` may start with `WITH` (its common table expressions follow
    the staged rows', and may read `{rows}`; data-modifying ones all run), take parameters `$1, ...` that
    `arguments()` gives for each set (a clock's date), and return rows, which `then(conn, rows)` gets in
    the same transaction (for instance to write the outbox entries of what the statement recorded)."""

    name: str
    columns: Sequence[tuple[str, str]]
    row: Callable[[Envelope, Any], tuple]
    sql: str
    arguments: Callable[[], Sequence[Any]] | None = None
    then: Callable[[asyncpg.Connection, list[asyncpg.Record]], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.name) or not all(_IDENTIFIER.match(column) for column, _ in self.columns):
            raise ValueError(f"projection {self.name!r}: names must be lower-case SQL identifiers")
        if "{rows}" not in self.sql:
            raise ValueError(f"projection {self.name!r}: its statement must read the rows from {{rows}}")

    @property
    def staging_table(self) -> str:
        return f"bulk_stage_{self.name}"

    @property
    def staging_ddl(self) -> str:
        """Creates the session's staging table if missing (the consumer sends those of all its projections at once)."""
        columns = ", ".join(f"{name} {pg_type}" for name, pg_type in self.columns)
        return f"CREATE TEMP TABLE IF NOT EXISTS {self.staging_table} (seq integer NOT NULL, {columns}) ON COMMIT DELETE ROWS"

    @property
    def statement(self) -> str:
        """`sql` reading the staged rows, which it removes (a second set in the same transaction starts empty)."""
        staged = f"WITH staged AS (DELETE FROM pg_temp.{self.staging_table} RETURNING *)"
        sql = self.sql.replace("{rows}", "staged")
        head, _, rest = sql.lstrip().partition(" ")
        return f"{staged}, {rest}" if head.upper() == "WITH" else f"{staged} {sql}"

    async def __call__(self, event: Any, envelope: Envelope, uow: UnitOfWork) -> None:
        await self.bulk(uow.connection, [(envelope, event)])

    async def bulk(self, conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Any]]) -> None:
        """Apply `items` (in the order received) in `conn`'s transaction (one is opened if there is none)."""
        if not conn.is_in_transaction():  # the staged rows live until the end of the transaction
            async with conn.transaction():
                await self.bulk(conn, items)
            return
        await conn.execute(self.staging_ddl)
        await self.apply(conn, items)

    async def apply(self, conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Any]]) -> None:
        """`bulk` once the staging table exists: one binary COPY, one statement."""
        await conn.copy_records_to_table(
            self.staging_table,
            schema_name="pg_temp",
            records=[(seq, *self.row(envelope, event)) for seq, (envelope, event) in enumerate(items)],
        )
        arguments = self.arguments() if self.arguments is not None else ()
        if self.then is None:
            await conn.execute(self.statement, *arguments)
        else:
            await self.then(conn, await conn.fetch(self.statement, *arguments))


@dataclass(frozen=True)
class Delivery:
    record: Any  # aiokafka ConsumerRecord
    envelope: Envelope
    event: Event


def _one_message(delivery: Delivery) -> dict[str, Any]:
    return {"messaging.destination.name": delivery.record.topic, "messaging.message.id": str(delivery.envelope.id)}


def _link(delivery: Delivery) -> trace.Link:
    return trace.Link(trace.get_current_span(context_from_headers(delivery.record.headers)).get_span_context())


class _CyclicGcPause:
    """No cyclic garbage collection while a batch is applied (reference counting frees everything else as usual).

    A batch holds thousands of records for a few hundred milliseconds; collections during that time promote them
    to the oldest generation, which soon costs full collections of the whole process: a third of the consumer's
    time on the bench. The collector runs again, with its usual thresholds, as soon as no batch (of any consumer
    of the process) is being applied."""

    def __init__(self) -> None:
        self._batches = 0
        self._was_enabled = True

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self._batches == 0:
            self._was_enabled = gc.isenabled()
            gc.disable()
        self._batches += 1
        try:
            yield
        finally:
            self._batches -= 1
            if self._batches == 0 and self._was_enabled:
                gc.enable()


_cyclic_gc_paused = _CyclicGcPause()


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
        counts_changes: bool = False,
    ) -> None:
        self._counts_changes = counts_changes
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
        projections = [handler for handler in handlers.values() if isinstance(handler, Projection)]
        self._staging_ddl = ";".join(dict.fromkeys(projection.staging_ddl for projection in projections))
        self._lanes = LANES if len(projections) == len(handlers) else 1

    def subscribe(self, broker: KafkaBroker, *, max_records: int = BATCH_RECORDS) -> Any:
        """Register the batch subscriber on `broker` (explicit group and ack policy)."""

        async def on_batch(message: KafkaMessage) -> None:
            raw = message.raw_message
            await self.handle_records(raw if isinstance(raw, tuple | list) else (raw,))

        async def keep_raw(_message: Any) -> None:
            return None  # bodies are parsed here, so that a malformed one is dead-lettered, not fatal

        self._subscriber = broker.subscriber(  # its AIOKafkaConsumer, once started, is what watch_lag asks
            *self.topics,
            group_id=self.group_id,
            batch=True,
            max_records=max_records,
            max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
            batch_timeout_ms=100,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=keep_raw,
        )
        return self._subscriber(on_batch)

    async def watch_lag(self) -> None:
        """Keep `extranet_consumer_lag` of this group's assigned partitions current, until cancelled (metrics.watch_lag)."""
        await watch_lag(self.group_id, lambda: getattr(getattr(self, "_subscriber", None), "consumer", None))

    async def handle_records(self, records: Sequence[Any]) -> None:
        """Apply a batch; raises (so the batch is redelivered) only on infrastructure failure.

        The batch is read and applied in chunks, each in a transaction of its own (the inbox rows with
        their effects): while PostgreSQL applies chunks, the next ones are read and validated. A lane
        (one connection) writes its chunks one after the other, in the order of the batch, handed over
        by the reading, which runs up to `AHEAD` chunks ahead of it. A consumer whose handlers are all
        projections (order-independent) has `LANES` of them, each chunk split between them by Kafka key
        (an aggregate's events stay in one lane, in order, so the lanes do not wait on each other's
        rows); any other consumer has one. The offsets are committed once every chunk is."""
        if not records:
            return
        with _cyclic_gc_paused():
            async with contextlib.AsyncExitStack() as stack:
                conns = [await stack.enter_async_context(self._batch_connection()) for _ in range(self._lanes)]
                await self._read_and_apply(conns, records)

    @contextlib.asynccontextmanager
    async def _batch_connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for the batch, its staging tables ready; when the database cannot be reached: a pause, then
        the error (the batch is redelivered)."""
        conn = None
        try:
            conn = await self._pool.acquire()
            await self._prepare(conn)
        except INFRASTRUCTURE_ERRORS as exc:
            if conn is not None:
                await self._pool.release(conn)
            await self._pause(exc)
            raise
        try:
            yield conn
        finally:
            await self._pool.release(conn)

    async def _read_and_apply(self, conns: Sequence[asyncpg.Connection], records: Sequence[Any]) -> None:
        queues: list[asyncio.Queue[Sequence[Delivery] | None]] = [asyncio.Queue(maxsize=AHEAD) for _ in conns]
        writers = [asyncio.create_task(self._write_lane(conn, queue)) for conn, queue in zip(conns, queues, strict=True)]
        try:
            for start in range(0, len(records), CHUNK_RECORDS):
                lanes: list[list[Delivery]] = [[] for _ in conns]
                for index, record in enumerate(records[start : start + CHUNK_RECORDS]):
                    if index % YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # the chunks being written move on to their next statements
                    try:
                        delivery = self._read(record)
                    except (EnvelopeError, UnknownEventType, UnknownTenant, ValidationError, ValueError) as exc:
                        await self._dead_letter(record, exc)
                        continue
                    if delivery is not None:
                        lanes[zlib.crc32(record.key or b"") % len(lanes)].append(delivery)
                for queue, writer, lane in zip(queues, writers, lanes, strict=True):
                    if lane:
                        await _hand_over(queue, lane, writer)
            for queue, writer in zip(queues, writers, strict=True):
                await _hand_over(queue, None, writer)
            await asyncio.gather(*writers)
        finally:
            for writer in writers:  # stopped, or a lane failed, while chunks were being written: their transactions roll back
                writer.cancel()
            await asyncio.gather(*writers, return_exceptions=True)

    async def _write_lane(self, conn: asyncpg.Connection, queue: asyncio.Queue[Sequence[Delivery] | None]) -> None:
        """Write a lane's chunks one after the other, as the reading hands them over, until told there are no more."""
        while (deliveries := await queue.get()) is not None:
            await self._apply_chunk(conn, deliveries)

    async def _apply_chunk(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        try:
            await self._apply(deliveries, conn)
        except INFRASTRUCTURE_ERRORS as exc:
            await self._pause(exc)
            raise
        except Exception as exc:  # one bad event spoils the chunk's transaction: go one by one
            log.info("batch failed, applying its events one by one", consumer_group=self.group_id, error=type(exc).__name__)
            for delivery in deliveries:
                await self._apply_one_with_retries(delivery)

    async def _prepare(self, conn: asyncpg.Connection) -> None:
        """The session's staging tables of the projections, created if missing (temporary tables live as long as the connection)."""
        if self._staging_ddl:
            await conn.execute(self._staging_ddl)

    def _read(self, record: Any) -> Delivery | None:
        envelope = Envelope.from_headers(record.headers)
        if envelope.tenant not in self._tenants:
            raise UnknownTenant("the event's tenant is not in the tenant registry")
        model = lookup(envelope.type, envelope.version)
        if (envelope.type, envelope.version) not in self._handlers:
            return None  # a known event this consumer has no interest in
        if record.value is None:
            raise ValueError("empty message value")
        event = validator_for(model)(record.value)  # model.model_validate_json, faster (bulk_validation)
        return Delivery(record, envelope, event)

    async def _apply(self, deliveries: Sequence[Delivery], conn: asyncpg.Connection | None = None) -> None:
        if conn is None:
            async with self._pool.acquire() as conn:
                await self._prepare(conn)
                await self._apply(deliveries, conn)
            return
        async with conn.transaction():
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
            for kind, group in projections.items():  # types in the order they first appear in the batch
                await self._call_projection(conn, self._handlers[kind], group)
            if self._counts_changes and to_apply:
                await conn.execute(COUNT_CHANGE)  # last: the row stays locked until the commit

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
            attributes={"messaging.system": "kafka", "messaging.consumer.group.name": self.group_id, **_one_message(delivery)},
        ):
            await handler(delivery.event, delivery.envelope, uow)
        EVENTS_HANDLED.labels(self.group_id, delivery.envelope.type).inc()

    async def _call_projection(self, conn: asyncpg.Connection, projection: Projection, group: Sequence[Delivery]) -> None:
        if len(group) == 1:
            delivery = group[0]
            context, links, attributes = context_from_headers(delivery.record.headers), (), _one_message(delivery)
        else:
            # A span may keep only so many links: the first ones are enough to find the producers' traces (an event
            # published outside any trace, as the legacy system's are, has none to link to).
            context, links = None, [_link(d) for d in itertools.islice((d for d in group if d.envelope.traceparent), _MAX_LINKS)]
            attributes = {"messaging.batch.message_count": len(group)}
        with _tracer.start_as_current_span(
            f"{group[0].envelope.type} process",
            context=context,
            kind=trace.SpanKind.CONSUMER,
            links=links,
            attributes={"messaging.system": "kafka", "messaging.consumer.group.name": self.group_id, **attributes},
        ):
            await projection.apply(conn, [(d.envelope, d.event) for d in group])
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
                EVENTS_FAILED.labels(self.group_id, delivery.envelope.type).inc()
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
        EVENTS_DEAD_LETTERED.labels(self.group_id, record.topic, type(exc).__name__, _event_type(record)).inc()

    async def _pause(self, exc: BaseException) -> None:
        log.error("infrastructure unavailable, batch will be redelivered", consumer_group=self.group_id, **failure(exc))
        await asyncio.sleep(self._infrastructure_backoff)


async def _hand_over(queue: asyncio.Queue, item: Any, writer: asyncio.Task) -> None:
    """Put `item` in the queue of a lane's writer, waiting while it is full; if the writer has stopped (it stops before
    it is told there are no more chunks only when its lane failed), its error instead."""
    if not writer.done():
        if not queue.full():
            queue.put_nowait(item)
            return
        put = asyncio.ensure_future(queue.put(item))
        await asyncio.wait((put, writer), return_when=asyncio.FIRST_COMPLETED)
        if put.done():
            return
        put.cancel()
    writer.result()
    raise RuntimeError("a lane's writer stopped before the end of the batch")


def _event_type(record: Any) -> str:
    """The record's event type if the catalogue names it (a label never takes a value read from outside as is)."""
    for name, value in record.headers or ():
        if name == "ce_type":
            event_type = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
            return event_type if event_type in _KNOWN_TYPES else UNKNOWN_TYPE
    return UNKNOWN_TYPE
