"""The idempotent consumer and the dead-letter topic, against a real Kafka broker and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from extranet_contracts import Envelope
from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned, BrokerRegistered
from extranet_contracts.testing import broker_registered
from extranet_plumbing.consumer import EVENTS_DUPLICATE, EventConsumer
from extranet_plumbing.db import migrate
from extranet_plumbing.deadletter import replay
from extranet_plumbing.kafka import broker_security, client_kwargs, dlq_topic, ensure_topics
from extranet_plumbing.read_cache import ReadModelCache
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import publish_event, read_topic, wait_until


def broker_event(code: str, revision: int = 1) -> BrokerRegistered:
    return broker_registered(broker_code=code, revision=revision)


class Harness:
    """A consumer whose handler counts what it applied; `fail_for` makes it fail for some codes."""

    def __init__(self, infra, pool, prefix: str) -> None:
        self.infra, self.pool, self.topic = infra, pool, f"{prefix}legacy.brokers"
        self.settings = ServiceSettings(topic_prefix=prefix)
        self.group = self.settings.group_id("test-consumer")
        self.fail_for: set[str] = set()
        self.broker: KafkaBroker | None = None

    async def dispatch(self, event, envelope: Envelope, uow) -> None:
        await self.handle(event, envelope, uow)  # looked up each time, so a test may swap `handle`

    async def handle(self, event, envelope: Envelope, uow) -> None:
        if event.broker_code in self.fail_for:
            raise RuntimeError(f"cannot apply {event.broker_code} yet")
        await uow.connection.execute(
            "INSERT INTO applied (broker_code, times) VALUES ($1, 1) ON CONFLICT (broker_code) DO UPDATE SET times = applied.times + 1",
            event.broker_code,
        )

    async def start(self) -> None:
        await migrate(self.pool, self.pool_schema)
        await self.pool.execute("CREATE TABLE IF NOT EXISTS applied (broker_code text PRIMARY KEY, times int NOT NULL)")
        await ensure_topics(self.infra.kafka_bootstrap, [self.topic])
        self.producer = AIOKafkaProducer(**client_kwargs(self.infra.kafka_bootstrap), acks="all", enable_idempotence=True)
        await self.producer.start()
        self.broker = KafkaBroker(self.infra.kafka_bootstrap, security=broker_security(self.infra.kafka_bootstrap))
        consumer = EventConsumer(
            group="test-consumer",
            handlers={BrokerRegistered: self.dispatch},
            settings=self.settings,
            pool=self.pool,
            producer=self.producer,
            retry=RetryPolicy(attempts=3, base_delay=0.01),
            counts_changes=True,
        )
        consumer.subscribe(self.broker)
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        await self.producer.stop()

    async def times(self, code: str) -> int | None:
        return await self.pool.fetchval("SELECT times FROM applied WHERE broker_code = $1", code)


@pytest.fixture
async def harness(infra, db_pool, db_schema, topic_prefix):
    h = Harness(infra, db_pool, topic_prefix)
    h.pool_schema = db_schema
    await h.start()
    yield h
    await h.stop()


async def test_the_same_event_delivered_twice_is_applied_once(harness, kafka_producer):
    event = broker_event("M10001")
    envelope = await publish_event(kafka_producer, harness.topic, event)
    await publish_event(kafka_producer, harness.topic, event, envelope=envelope)  # redelivery, same id
    await publish_event(kafka_producer, harness.topic, broker_event("M10002"))  # a later event
    await wait_until(lambda: harness.times("M10002"))
    assert await harness.times("M10001") == 1
    inbox = await harness.pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id)
    assert inbox == 1


async def test_kept_answers_last_until_the_consumer_applies_an_event(harness, kafka_producer):
    """The read model's count of changes moves in the transactions that apply events (not for a
    duplicate), and a kept answer is served until it moves."""
    cache = ReadModelCache("test")
    computed: list[int] = []

    async def applied() -> int:
        computed.append(1)
        return await harness.pool.fetchval("SELECT count(*) FROM applied")

    async def answer() -> int:
        async with harness.pool.acquire() as conn:
            return await cache.answer(conn, "applied", applied)

    first = broker_event("M10011")
    envelope = await publish_event(kafka_producer, harness.topic, first)
    await wait_until(lambda: harness.times("M10011"))
    assert await answer() == 1 and await answer() == 1
    assert len(computed) == 1  # the second was kept

    duplicates = EVENTS_DUPLICATE.labels(harness.group)._value.get()
    await publish_event(kafka_producer, harness.topic, first, envelope=envelope)  # redelivered: changes nothing
    await wait_until(lambda: EVENTS_DUPLICATE.labels(harness.group)._value.get() > duplicates)
    assert await answer() == 1
    assert len(computed) == 1

    await publish_event(kafka_producer, harness.topic, broker_event("M10012"))
    await wait_until(lambda: harness.times("M10012"))
    assert await answer() == 2
    assert len(computed) == 2


async def test_unreadable_events_are_dead_lettered_and_the_next_good_event_is_processed(harness, kafka_producer, infra):
    good_headers = Envelope(type="BrokerRegistered", version=1, source="urn:test", tenant="mbtp", key="M10003").to_headers()
    malformed = (b"M10003", b'{"broker_code": "M10003", ', good_headers)
    invalid_value = broker_event("M10004").model_dump()
    invalid_value["orias_number"] = "not-a-number"
    invalid = (
        b"M10004",
        json.dumps(invalid_value).encode(),
        Envelope(type="BrokerRegistered", version=1, source="urn:test", tenant="mbtp", key="M10004").to_headers(),
    )
    unknown = (
        b"M10005",
        broker_event("M10005").model_dump_json().encode(),
        Envelope(type="BrokerTeleported", version=1, source="urn:test", tenant="mbtp", key="M10005").to_headers(),
    )
    sent = []
    for key, value, headers in (malformed, invalid, unknown):
        metadata = await kafka_producer.send_and_wait(harness.topic, value=value, key=key, headers=headers)
        sent.append((key, value, metadata))
    await publish_event(kafka_producer, harness.topic, broker_event("M10006"))

    await wait_until(lambda: harness.times("M10006"))
    dead = await read_topic(infra.kafka_bootstrap, dlq_topic(harness.topic), expected=3)
    assert len(dead) == 3
    by_key = {record.key: record for record in dead}
    causes = {}
    for key, value, metadata in sent:
        record = by_key[key]
        headers = {name: v.decode() for name, v in record.headers}
        assert record.value == value  # key and value unchanged
        assert headers["x-dlq-original-topic"] == harness.topic
        assert headers["x-dlq-original-partition"] == str(metadata.partition)
        assert headers["x-dlq-original-offset"] == str(metadata.offset)
        assert headers["x-dlq-consumer-group"] == harness.group
        assert headers["ce_id"]  # the original headers travel along
        causes[key] = (headers["x-dlq-exception-class"], headers["x-dlq-exception-message"])
    assert causes[b"M10003"][0] == "ValidationError" and "json" in causes[b"M10003"][1].lower()
    assert causes[b"M10004"][0] == "ValidationError" and "orias_number" in causes[b"M10004"][1]
    assert causes[b"M10005"][0] == "UnknownEventType" and "BrokerTeleported" in causes[b"M10005"][1]
    assert await harness.times("M10003") is None and await harness.times("M10004") is None


async def test_an_event_that_keeps_failing_is_dead_lettered_then_replayed_once_fixed(harness, kafka_producer, infra):
    harness.fail_for.add("M10007")
    await publish_event(kafka_producer, harness.topic, broker_event("M10007"))
    await publish_event(kafka_producer, harness.topic, broker_event("M10008"))
    await wait_until(lambda: harness.times("M10008"))
    dead = await read_topic(infra.kafka_bootstrap, dlq_topic(harness.topic), expected=1)
    assert [record.key for record in dead] == [b"M10007"]
    headers = dict(dead[0].headers)
    assert headers["x-dlq-exception-class"] == b"RuntimeError"
    assert b"cannot apply M10007 yet" in headers["x-dlq-exception-message"]
    assert await harness.times("M10007") is None

    harness.fail_for.clear()  # the cause is fixed
    replayed = await replay(infra.kafka_bootstrap, dlq_topic(harness.topic), group_id=f"{harness.group}-replay")
    assert replayed == 1
    assert await wait_until(lambda: harness.times("M10007")) == 1
    assert await replay(infra.kafka_bootstrap, dlq_topic(harness.topic), group_id=f"{harness.group}-replay") == 0


async def test_events_of_a_type_the_consumer_does_not_handle_are_skipped_not_dead_lettered(harness, kafka_producer, infra):
    assigned = BrokerPortfolioCompanyAssigned(broker_code="M10009", company_code="12345678", assigned_on=date(2026, 1, 1))
    await publish_event(kafka_producer, harness.topic, assigned)
    await publish_event(kafka_producer, harness.topic, broker_event("M10010"))
    await wait_until(lambda: harness.times("M10010"))
    assert await read_topic(infra.kafka_bootstrap, dlq_topic(harness.topic), expected=1, timeout=2) == []


async def test_a_rejected_event_is_dead_lettered_at_once_without_retries(harness, kafka_producer, infra):
    from extranet_plumbing.consumer import RejectEvent

    calls = []
    original = harness.handle

    async def reject(event, envelope, uow):
        if event.broker_code == "M10011":
            calls.append(envelope.id)
            raise RejectEvent("template 'unknown' does not exist")
        await original(event, envelope, uow)

    harness.handle = reject
    harness.fail_for.clear()
    await publish_event(kafka_producer, harness.topic, broker_event("M10011"))
    await publish_event(kafka_producer, harness.topic, broker_event("M10012"))
    await wait_until(lambda: harness.times("M10012"))
    dead = await read_topic(infra.kafka_bootstrap, dlq_topic(harness.topic), expected=1)
    assert [r.key for r in dead] == [b"M10011"]
    assert dict(dead[0].headers)["x-dlq-exception-class"] == b"RejectEvent"
    assert len(calls) == 2  # once in the batch, once alone: no retries with backoff


async def test_an_event_of_an_unknown_tenant_is_dead_lettered_at_once(harness, kafka_producer, infra):
    harness.fail_for.clear()
    await publish_event(kafka_producer, harness.topic, broker_event("M10021"), tenant="nowhere")
    await publish_event(kafka_producer, harness.topic, broker_event("M10022"))
    await wait_until(lambda: harness.times("M10022"))
    [dead] = await read_topic(infra.kafka_bootstrap, dlq_topic(harness.topic), expected=1)
    headers = {name: v.decode() for name, v in dead.headers}
    assert dead.key == b"M10021" and headers["x-dlq-exception-class"] == "UnknownTenant"
    assert await harness.times("M10021") is None


async def test_a_dead_letter_never_carries_the_offending_values(harness, kafka_producer, infra):
    """An envelope whose id is invalid, keyed by a member number: the cause names the header, not its value."""
    event = broker_event("M10023")
    envelope = Envelope(type=event.TYPE, version=event.VERSION, source="urn:test", tenant="mbtp", key="73000042")
    headers = [(name, b"not-a-uuid-73000042" if name == "ce_id" else value) for name, value in envelope.to_headers()]
    await kafka_producer.send_and_wait(harness.topic, value=event.model_dump_json().encode(), key=b"73000042", headers=headers)
    [dead] = await read_topic(infra.kafka_bootstrap, dlq_topic(harness.topic), expected=1)
    cause = dict(dead.headers)["x-dlq-exception-message"].decode()
    assert "id" in cause and "73000042" not in cause and "not-a-uuid" not in cause
