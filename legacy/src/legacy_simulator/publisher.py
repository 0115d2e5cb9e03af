"""Publishing the generated events on Kafka, fast and in order, with a progress line on stderr."""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import sys
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import UTC, date, datetime
from queue import Empty
from typing import TextIO

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from extranet_contracts import claims, households, legacy
from extranet_contracts.base import Event
from extranet_contracts.envelope import Envelope
from extranet_plumbing.kafka import client_kwargs  # address and credentials: EXTRANET_KAFKA_* (SASL/SCRAM)
from legacy_simulator.generator import generate
from legacy_simulator.sizes import SizeSpec

STREAMS = (legacy.BROKERS, legacy.COMPANIES, legacy.CONTRACTS, legacy.MEMBERSHIPS, claims.CLAIMS, households.HOUSEHOLDS)
# Messages in flight (sent, not yet acknowledged) before waiting for the oldest ones.
WINDOW = 20_000
MAX_BATCH_SIZE = 512 * 1024


class Progress:
    """A counter line with the rate, rewritten in place on a terminal (plain lines otherwise)."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and self.stream.isatty()
        self.interval = 0.5 if self.tty else 5.0
        self.start = self.last = time.monotonic()
        self.shown = False

    def update(self, count: int, *, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        line = f"legacy-simulator: {count:,} events published, {count / elapsed:,.0f} events/s, {elapsed:.1f} s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


async def ensure_topics(bootstrap: str, topic_prefix: str, partitions: int) -> None:
    """Create the legacy topics that do not exist yet (rather than rely on auto-creation)."""
    wanted = {topic_prefix + stream for stream in STREAMS}
    admin = AIOKafkaAdminClient(**client_kwargs(bootstrap), client_id="legacy-simulator")
    await admin.start()
    try:
        missing = sorted(wanted - set(await admin.list_topics()))
        if missing:
            try:
                await admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing])
            except TopicAlreadyExistsError:
                pass
            for _ in range(50):  # metadata takes a moment to reach the listeners
                if wanted <= set(await admin.list_topics()):
                    break
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


# What is sent for one event: (stream, event type, key, value, headers).
Record = tuple[str, str, bytes, bytes, list[tuple[str, bytes]]]
BATCH = 500


def to_record(envelope: Envelope, event: Event) -> Record:
    return event.STREAM, event.TYPE, event.key().encode(), event.model_dump_json().encode(), envelope.to_headers()


async def _inline_batches(events: Iterable[tuple[Envelope, Event]]) -> AsyncIterator[list[Record]]:
    batch: list[Record] = []
    for envelope, event in events:
        batch.append(to_record(envelope, event))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def publish(
    events: Iterable[tuple[Envelope, Event]],
    *,
    bootstrap: str,
    topic_prefix: str = "",
    progress: bool = True,
    partitions: int | None = 3,
    window: int = WINDOW,
) -> int:
    """Publish every (envelope, event) on `topic_prefix + event.STREAM`; return how many were acknowledged.

    The key is the event's aggregate key, the value its JSON, the headers the envelope's
    (CloudEvents Kafka binding). The producer is idempotent with acks=all, so a partition's
    messages are neither duplicated nor reordered on retry. Sends are pipelined: at most
    `window` messages wait for their acknowledgement at once.
    `partitions`: the missing topics are created with that many partitions (None: leave it to
    the broker's auto-creation).
    """
    return await publish_records(
        _inline_batches(events),
        bootstrap=bootstrap,
        topic_prefix=topic_prefix,
        progress=progress,
        partitions=partitions,
        window=window,
    )


async def publish_records(
    batches: AsyncIterable[list[Record]],
    *,
    bootstrap: str,
    topic_prefix: str = "",
    progress: bool = True,
    partitions: int | None = 3,
    window: int = WINDOW,
    by_type: collections.Counter[str] | None = None,
) -> int:
    """Publish already serialized events (see `publish`), counting them by type into `by_type`."""
    if partitions:
        await ensure_topics(bootstrap, topic_prefix, partitions)
    producer = AIOKafkaProducer(
        **client_kwargs(bootstrap),
        client_id="legacy-simulator",
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=MAX_BATCH_SIZE,
        request_timeout_ms=30_000,
    )
    meter = Progress(progress)
    in_flight: collections.deque[asyncio.Future] = collections.deque()
    acknowledged = 0
    await producer.start()
    try:
        async for batch in batches:
            for stream, event_type, key, value, headers in batch:
                in_flight.append(await producer.send(topic_prefix + stream, value=value, key=key, headers=headers))
                if by_type is not None:
                    by_type[event_type] += 1
                if len(in_flight) >= window:
                    await in_flight.popleft()
                    acknowledged += 1
            await asyncio.sleep(0)  # let the sender task run while generation keeps the CPU busy
            meter.update(acknowledged)
        while in_flight:
            await in_flight.popleft()
            acknowledged += 1
    finally:
        await producer.stop()
    meter.update(acknowledged, final=True)
    return acknowledged


# --- generation in a child process -------------------------------------------------------------


def _generate_into(
    queue, spec: SizeSpec, seed: int, tenant: str, today: date, now: datetime, streams: frozenset[str] | None = None
) -> None:
    """Child process: generate and serialize (the events of `streams` only, if given), in batches, into the queue; None at the end."""
    try:
        batch: list[Record] = []
        for envelope, event in generate(spec, seed, tenant, today, now=now):
            if streams is not None and event.STREAM not in streams:
                continue  # never serialized nor sent across
            batch.append(to_record(envelope, event))
            if len(batch) >= BATCH:
                queue.put(batch)
                batch = []
        queue.put(batch)
        queue.put(None)
    except BaseException as exc:  # reported to the parent, which raises it
        queue.put(RuntimeError(f"generation failed: {exc!r}"))
        raise


async def background_batches(
    spec: SizeSpec,
    seed: int,
    tenant: str,
    today: date,
    *,
    now: datetime | None = None,
    queued_batches: int = 64,
    streams: frozenset[str] | None = None,
) -> AsyncIterator[list[Record]]:
    """`generate(...)` run in a child process (the other CPU), serialized there, read in batches; only the
    events of `streams` if given (filtered in the child).

    Same events, same order, same ids as generating inline; memory stays bounded by the queue.
    """
    now = now or datetime.now(UTC)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=queued_batches)
    child = context.Process(target=_generate_into, args=(queue, spec, seed, tenant, today, now, streams), daemon=True)
    child.start()

    def take():
        while True:
            try:
                return queue.get(timeout=1.0)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the generation process died (exit code {child.exitcode})") from None

    loop = asyncio.get_running_loop()
    try:
        while (batch := await loop.run_in_executor(None, take)) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield batch
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


async def publish_spec(
    spec: SizeSpec,
    *,
    seed: int,
    tenant: str,
    today: date,
    streams: frozenset[str] | None = None,
    bootstrap: str,
    topic_prefix: str = "",
    progress: bool = False,
    partitions: int | None = 3,
) -> tuple[int, collections.Counter[str]]:
    """Generate `spec` in a child process and publish it (the events of `streams` only, if given), as
    `legacy-simulator publish` does for a large set: how many were acknowledged, and their count by type."""
    by_type: collections.Counter[str] = collections.Counter()
    batches = background_batches(spec, seed, tenant, today, streams=streams)
    published = await publish_records(
        batches, bootstrap=bootstrap, topic_prefix=topic_prefix, progress=progress, partitions=partitions, by_type=by_type
    )
    return published, by_type
