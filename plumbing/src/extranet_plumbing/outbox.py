"""Transactional outbox: an event is stored with the state change that caused it, in the same
transaction, and a relay publishes it afterwards with Kafka's idempotent producer.

A crash between the commit and the publish loses nothing: the row stays pending and the next
relay publishes it. A crash between the publish and the marking may publish a row twice; every
consumer's inbox drops the copy by event id. Failed publishes are retried with backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import trace

from extranet_contracts import Envelope, Event
from extranet_plumbing.errors import INFRASTRUCTURE_ERRORS
from extranet_plumbing.logging import failure, get_logger
from extranet_plumbing.metrics import OUTBOX_INTERVAL, refresh_outbox
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.tracing import context_from_headers, current_trace_headers

log = get_logger(__name__)
_tracer = trace.get_tracer(__name__)


def _header(headers: list[list[str]], name: str) -> str:
    return next((value for key, value in headers if key == name), "event")


async def add_to_outbox(
    conn: asyncpg.Connection,
    event: Event,
    *,
    tenant: str,
    source: str,
    topic: str,
    envelope: Envelope | None = None,
) -> Envelope:
    """Store `event` for publication; call it inside the transaction that changes the state."""
    [stored] = await add_all_to_outbox(conn, [OutboxEntry(event, tenant, source, topic, envelope)])
    return stored


@dataclass(frozen=True)
class OutboxEntry:
    event: Event
    tenant: str
    source: str
    topic: str
    envelope: Envelope | None = None  # as with add_to_outbox: built from the event if not given


async def add_all_to_outbox(conn: asyncpg.Connection, entries: Sequence[OutboxEntry]) -> list[Envelope]:
    """Store every entry's event for publication, in one pipelined insert; call it inside the transaction
    that changes the state (a service settling many changes at once uses it directly)."""
    if not entries:
        return []
    trace_headers = current_trace_headers()
    envelopes, rows = [], []
    for entry in entries:
        event = entry.event
        envelope = entry.envelope or Envelope(
            type=event.TYPE,
            version=event.VERSION,
            source=entry.source,
            tenant=entry.tenant,
            key=event.key(),
            time=datetime.now(UTC),
            traceparent=trace_headers.get("traceparent"),
            tracestate=trace_headers.get("tracestate"),
        )
        headers = [[name, value.decode()] for name, value in envelope.to_headers()]
        rows.append((envelope.id, entry.topic, envelope.key, event.model_dump_json().encode(), json.dumps(headers)))
        envelopes.append(envelope)
    await conn.executemany("INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5::jsonb)", rows)
    for topic in sorted({entry.topic for entry in entries}):
        await conn.execute("SELECT pg_notify('outbox', $1)", topic)
    return envelopes


class OutboxRelay:
    """Publishes pending outbox rows in order; one active relay per schema (advisory lock)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        schema: str,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        retry: RetryPolicy = RetryPolicy(attempts=1_000_000, base_delay=0.5, max_delay=60.0),
        metrics_interval: float = OUTBOX_INTERVAL,
    ) -> None:
        self._metrics_interval = metrics_interval
        self._measured_at = float("-inf")
        self._pool = pool
        self._producer = producer
        self._schema = schema
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retry = retry
        self._wake = asyncio.Event()
        self._lock_id = int.from_bytes(hashlib.sha256(f"outbox:{schema}".encode()).digest()[:8], "big", signed=True)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled."""
        async with self._pool.acquire() as lock_conn:
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_id):
                await asyncio.sleep(self._poll_interval * 4)  # another replica relays this schema
            await lock_conn.add_listener("outbox", self._on_notify)
            try:
                while True:
                    try:
                        published = await self.publish_pending()
                    except INFRASTRUCTURE_ERRORS as exc:
                        log.warning("outbox relay pass failed", **failure(exc))
                        published = 0
                        await asyncio.sleep(self._poll_interval)
                    await self._measure()
                    if published < self._batch_size:
                        self._wake.clear()
                        try:
                            await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                        except TimeoutError:
                            pass
            finally:
                await lock_conn.remove_listener("outbox", self._on_notify)
                await lock_conn.execute("SELECT pg_advisory_unlock($1)", self._lock_id)

    async def _measure(self) -> None:
        """The backlog gauges (metrics.refresh_outbox), every `metrics_interval` seconds at most."""
        if time.monotonic() - self._measured_at < self._metrics_interval:
            return
        self._measured_at = time.monotonic()
        try:
            async with self._pool.acquire() as conn:
                await refresh_outbox(conn, self._schema)
        except INFRASTRUCTURE_ERRORS as exc:
            log.info("outbox backlog not measured", error_class=type(exc).__name__)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _send(self, row: asyncpg.Record) -> object:
        headers = json.loads(row["headers"])
        if not any(name == "traceparent" for name, _ in headers):  # published outside any trace: nothing to continue
            return await self._publish(row, headers)
        # The publication as a span of the trace that wrote the row (a producer span, named by the event type), and
        # the consumers' spans its children: the trace shows the hop from the outbox to Kafka, and how long it took.
        with _tracer.start_as_current_span(
            f"{_header(headers, 'ce_type')} publish",
            context=context_from_headers(headers),
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": row["topic"],
                "messaging.message.id": str(row["event_id"]),
            },
        ):
            relayed = current_trace_headers()
            headers = [[name, value] for name, value in headers if name not in relayed] + [[k, v] for k, v in relayed.items()]
            return await self._publish(row, headers)

    async def _publish(self, row: asyncpg.Record, headers: list[list[str]]) -> object:
        encoded = [(name, value.encode()) for name, value in headers]
        delivered = await self._producer.send(row["topic"], value=row["value"], key=row["key"].encode(), headers=encoded)
        return await delivered

    async def publish_pending(self) -> int:
        """Publish one batch of due rows; return how many were published."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT seq, event_id, topic, key, value, headers, attempts FROM outbox"
                " WHERE sent_at IS NULL AND next_attempt_at <= now() ORDER BY seq LIMIT $1",
                self._batch_size,
            )
            if not rows:
                return 0
            results = await asyncio.gather(*[self._send(row) for row in rows], return_exceptions=True)
            sent = [row["seq"] for row, result in zip(rows, results, strict=True) if not isinstance(result, BaseException)]
            if sent:
                await conn.execute("UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE seq = ANY($1)", sent)
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    delay = self._retry.delay(row["attempts"] + 1)
                    await conn.execute(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
                        " next_attempt_at = now() + make_interval(secs => $3) WHERE seq = $1",
                        row["seq"],
                        f"{type(result).__name__}: {result}"[:500],
                        delay,
                    )
                    log.warning(
                        "outbox publish failed", event_id=str(row["event_id"]), retry_in=round(delay, 2), error=type(result).__name__
                    )
            return len(sent)
