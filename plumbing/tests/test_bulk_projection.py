"""Set-based projections: a batch's events of one type are applied at once, and the state is the one
applying them one by one gives. The portfolio's read model is the worked example of projections."""

from __future__ import annotations

import asyncio
import gc
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from extranet_contracts import Envelope, Event
from extranet_contracts.testing import (
    broker_registered,
    company_assigned,
    company_registered,
    company_withdrawn,
    contract_signed,
    guarantee_attached,
    member_affiliated,
    member_radiated,
)
from extranet_plumbing import consumer as consumer_module
from extranet_plumbing.consumer import EVENTS_DUPLICATE, EventConsumer
from extranet_plumbing.db import create_pool, migrate
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.tracing import configure_tracing
from extranet_plumbing.uow import UnitOfWork
from portfolio.adapters import read_model
from portfolio.bootstrap import MIGRATIONS
from portfolio.service_layer.handlers import HANDLERS

SETTINGS = ServiceSettings(topic_prefix="t.")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TABLES = {
    "brokers": "tenant, broker_code",
    "companies": "tenant, company_code",
    "contracts": "tenant, contract_number",
    "guarantees": "tenant, contract_number, guarantee_code",
    "memberships": "tenant, membership_id",
    "broker_company_movements": "tenant, broker_code, company_code, on_date, kind",
    "inbox": "event_id",
}


@dataclass
class Record:
    """What the consumer reads of an aiokafka ConsumerRecord."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class DeadLetters:
    """Stands for the producer: what would be sent to the dead-letter topics."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, bytes]]] = []

    async def send_and_wait(self, topic: str, *, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.sent.append((topic, key, dict(headers)))


def delivered(event: Event, offset: int, *, envelope: Envelope | None = None) -> Record:
    envelope = envelope or Envelope(
        type=event.TYPE, version=event.VERSION, source="urn:test", tenant="mbtp", key=event.key(), time=T0 + timedelta(minutes=offset)
    )
    return Record(SETTINGS.topic(event.STREAM), 0, offset, event.key().encode(), event.model_dump_json().encode(), envelope.to_headers())


async def new_consumer(pool, schema: str, dead_letters: DeadLetters | None = None) -> EventConsumer:
    await migrate(pool, schema, MIGRATIONS)
    return EventConsumer(
        group="bulk",
        handlers=HANDLERS,
        settings=SETTINGS,
        pool=pool,
        producer=dead_letters or DeadLetters(),
        retry=RetryPolicy(attempts=2, base_delay=0.01),
    )


async def state(pool) -> dict[str, list[dict[str, Any]]]:
    return {
        table: [dict(row) for row in await pool.fetch(f"SELECT * FROM {table} ORDER BY {order}")]
        for table, order in TABLES.items()
        if table != "inbox"
    } | {"inbox": [(row["event_id"], row["event_type"]) for row in await pool.fetch("SELECT * FROM inbox ORDER BY event_id")]}


@pytest.fixture
def in_one_go(monkeypatch):
    """Fails the test if a chunk falls back to applying its events one by one (which would hide a bulk statement
    that PostgreSQL refuses)."""

    async def one_by_one(self, delivery):
        raise AssertionError(f"{delivery.envelope.type} applied one by one")

    monkeypatch.setattr(EventConsumer, "_apply_one_with_retries", one_by_one)


@pytest.fixture
async def consumer(db_pool, db_schema, in_one_go) -> EventConsumer:
    return await new_consumer(db_pool, db_schema)


async def test_one_batch_keeps_the_newest_revision_of_a_membership_and_counts_a_duplicate_once(consumer, db_pool):
    corrected = delivered(member_affiliated(revision=2, effective_date=date(2026, 2, 1), insured_group="P"), 1)
    duplicates_before = EVENTS_DUPLICATE.labels(consumer.group_id)._value.get()
    await consumer.handle_records(
        [
            corrected,
            delivered(member_affiliated(revision=1), 2),  # the stale affiliation, received after its correction
            corrected,  # the same event again, in the same batch
            delivered(member_radiated(revision=3), 3),
            delivered(member_radiated(revision=1, effective_date=date(2026, 5, 31), reason="RETRAITE"), 4),
        ]
    )
    row = await db_pool.fetchrow("SELECT * FROM memberships")
    assert (row["start_date"], row["insured_group"], row["affiliation_revision"]) == (date(2026, 2, 1), "P", 2)
    assert row["affiliation_changed_at"] == T0 + timedelta(minutes=1)  # the corrected affiliation's time
    assert (row["end_date"], row["exit_reason"], row["exit_revision"], row["exit_changed_at"]) == (
        date(2026, 10, 31),
        "DEMISSION",
        3,
        T0 + timedelta(minutes=3),
    )
    assert await db_pool.fetchval("SELECT count(*) FROM memberships") == 1
    assert await db_pool.fetchval("SELECT count(*) FROM inbox") == 4
    assert EVENTS_DUPLICATE.labels(consumer.group_id)._value.get() == duplicates_before + 1


async def test_among_equal_revisions_in_one_batch_the_first_received_wins_as_one_by_one(consumer, db_pool):
    await consumer.handle_records(
        [
            delivered(company_registered(revision=2, legal_name="BTP Rhône Construction SAS"), 1),
            delivered(company_registered(revision=2, legal_name="BTP Rhône Construction SARL"), 2),
            delivered(company_registered(revision=1, legal_name="BTP Rhône"), 3),
            delivered(company_assigned(company_code="12345678", assigned_on=date(2026, 1, 1)), 4),
            delivered(company_assigned(company_code="12345678", assigned_on=date(2026, 1, 1)), 5),  # known movement, later time
        ]
    )
    assert await db_pool.fetchval("SELECT legal_name FROM companies") == "BTP Rhône Construction SAS"
    assert await db_pool.fetchval("SELECT changed_at FROM broker_company_movements") == T0 + timedelta(minutes=4)


def shuffled_history(seed: int) -> list[Record]:
    """Snapshots with several revisions, memberships affiliated and radiated and corrected, portfolio movements
    (some twice), and redeliveries: in a random order."""
    events: list[Event] = []
    for code in ("M10001", "M10002"):
        events += [broker_registered(broker_code=code, revision=r, name=f"Cabinet {code} v{r}") for r in (1, 2, 2, 3)]
    for code in ("12345678", "87654321"):
        events += [company_registered(company_code=code, revision=r, legal_name=f"Société {code} v{r}") for r in (1, 2, 3, 3)]
        events += [company_assigned(company_code=code, assigned_on=date(2026, m, 1)) for m in (1, 1, 6)]
        events += [company_withdrawn(company_code=code, withdrawn_on=date(2026, m, 1)) for m in (3, 3)]
    events += [contract_signed(revision=r, effective_date=date(2026, r, 1)) for r in (1, 2, 3)]
    events += [guarantee_attached(revision=r, name=f"Garantie v{r}") for r in (1, 2, 2)]
    for membership in ("ADH-0000042", "ADH-0000043"):
        events += [
            member_affiliated(membership_id=membership, revision=r, effective_date=date(2026, r, 1), insured_group=g)
            for r, g in ((1, "A"), (2, "P"), (3, "E"), (3, "M"))
        ]
        events += [member_radiated(membership_id=membership, revision=r, reason=f"MOTIF{r}") for r in (1, 2, 4)]
    records = [delivered(event, offset) for offset, event in enumerate(events)]
    records += records[:5]  # redelivered
    random.Random(seed).shuffle(records)
    return records


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_batch_gives_the_state_that_applying_its_events_one_by_one_gives(infra, db_pool, db_schema, in_one_go, seed):
    records = shuffled_history(seed)
    one_by_one_schema = f"{db_schema}_one"
    one_by_one_pool = await create_pool(infra.database_url, one_by_one_schema, max_size=2)
    try:
        one_by_one = await new_consumer(one_by_one_pool, one_by_one_schema)
        for record in records:
            await one_by_one.handle_records([record])
        batched = await new_consumer(db_pool, db_schema)
        await batched.handle_records(records)
        expected, actual = await state(one_by_one_pool), await state(db_pool)
        assert actual == expected
        assert len(actual["inbox"]) == len(records) - 5
    finally:
        await one_by_one_pool.execute(f"DROP SCHEMA {one_by_one_schema} CASCADE")
        await one_by_one_pool.close()


async def test_a_chunk_that_postgresql_refuses_is_applied_one_by_one_and_only_the_bad_event_is_dead_lettered(
    db_pool, db_schema, monkeypatch
):
    monkeypatch.setattr(consumer_module, "CHUNK_RECORDS", 3)  # a batch of several chunks, each its own transaction
    dead_letters = DeadLetters()
    consumer = await new_consumer(db_pool, db_schema, dead_letters)
    codes = [f"{n:08d}" for n in range(10000001, 10000008)]
    events = [company_registered(company_code=code) for code in codes]
    events[4] = company_registered(company_code=codes[4], legal_name="BTP\x00Rhône")  # valid JSON and model; PostgreSQL refuses NUL
    await consumer.handle_records([delivered(event, offset) for offset, event in enumerate(events)])
    stored = [row["company_code"] for row in await db_pool.fetch("SELECT company_code FROM companies ORDER BY company_code")]
    assert stored == codes[:4] + codes[5:]
    assert await db_pool.fetchval("SELECT count(*) FROM inbox") == 6
    [(topic, key, headers)] = dead_letters.sent
    assert (topic, key) == ("t.legacy.companies.dlq", codes[4].encode())
    assert headers["x-dlq-original-offset"] == b"4"


async def test_a_projection_called_alone_outside_a_transaction_opens_one(db_pool, db_schema):
    await migrate(db_pool, db_schema, MIGRATIONS)
    event = company_registered()
    envelope = Envelope(type=event.TYPE, version=event.VERSION, source="urn:test", tenant="mbtp", key=event.key(), time=T0)
    async with db_pool.acquire() as conn:
        await read_model.company_registered(event, envelope, UnitOfWork.joining(conn, SETTINGS))
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT count(*) FROM pg_temp.bulk_stage_companies") == 0  # the staged row was consumed
    assert await db_pool.fetchval("SELECT changed_at FROM companies") == T0


async def test_the_cyclic_garbage_collector_rests_while_a_batch_is_applied_and_only_then(consumer, monkeypatch):
    seen = []

    async def read_and_apply(conns, records):
        seen.append((gc.isenabled(), len(conns)))

    monkeypatch.setattr(consumer, "_read_and_apply", read_and_apply)
    assert gc.isenabled()
    await consumer.handle_records([delivered(company_registered(), 1)])
    assert seen == [(False, consumer_module.LANES)] and gc.isenabled()
    gc.disable()
    try:
        await consumer.handle_records([delivered(company_registered(), 2)])
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


async def test_a_projection_goes_on_with_the_rows_its_statement_returns_and_takes_arguments_for_each_set(db_pool, db_schema):
    """A statement in several steps (its own common table expressions after the staged rows'), with a parameter
    computed for each set, whose returned rows a follow-up step gets in the same transaction."""
    await migrate(db_pool, db_schema, MIGRATIONS)
    await db_pool.execute("CREATE TABLE recorded (code text PRIMARY KEY, on_date date NOT NULL)")
    since = [date(2026, 11, 1)]
    followed: list[list[tuple[str, date]]] = []

    async def then(conn, rows) -> None:
        assert conn.is_in_transaction()
        followed.append([(row["code"], row["on_date"]) for row in rows])
        await conn.execute(
            "INSERT INTO recorded SELECT 'seen-' || code, on_date FROM unnest($1::text[], $2::date[]) AS r(code, on_date)",
            [row["code"] for row in rows],
            [row["on_date"] for row in rows],
        )

    projection = consumer_module.Projection(
        "recent_codes",
        (("code", "text"), ("on_date", "date")),
        lambda envelope, event: (event["code"], event["on_date"]),
        """WITH kept AS (
               INSERT INTO recorded SELECT DISTINCT ON (code) code, on_date FROM {rows} WHERE on_date >= $1 ORDER BY code, seq
               ON CONFLICT DO NOTHING RETURNING code, on_date)
           SELECT code, on_date FROM kept ORDER BY code""",
        arguments=lambda: (since[0],),
        then=then,
    )
    envelope = Envelope(type="T", version=1, source="urn:test", tenant="mbtp", key="k", time=T0)
    items = [
        (envelope, {"code": code, "on_date": on})
        for code, on in (("b", date(2026, 11, 3)), ("a", date(2026, 10, 30)), ("c", date(2026, 11, 1)))
    ]
    async with db_pool.acquire() as conn:
        await projection.bulk(conn, items)
        since[0] = date(2026, 10, 1)  # the next set's argument
        await projection.bulk(conn, items)  # a and its follow-up only: b and c were already recorded
    assert followed == [[("b", date(2026, 11, 3)), ("c", date(2026, 11, 1))], [("a", date(2026, 10, 30))]]
    recorded = await db_pool.fetch("SELECT code FROM recorded ORDER BY code")
    assert [row["code"] for row in recorded] == ["a", "b", "c", "seen-a", "seen-b", "seen-c"]


async def test_a_set_s_span_links_the_traces_its_events_came_with_and_only_those(db_pool, db_schema, monkeypatch):
    configure_tracing("test")
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(consumer_module, "LANES", 1)  # one chunk, one set
    consumer = await new_consumer(db_pool, db_schema)
    traced = [f"00-{n:032x}-{n:016x}-01" for n in (0xA1, 0xB2)]
    records = []
    for offset, traceparent in enumerate([traced[0], None, traced[1]]):
        event = company_registered(company_code=f"{12345000 + offset}")
        envelope = Envelope(
            type=event.TYPE, version=event.VERSION, source="urn:test", tenant="mbtp", key=event.key(), time=T0, traceparent=traceparent
        )
        records.append(delivered(event, offset, envelope=envelope))
    await consumer.handle_records(records)
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "CompanyRegistered process"]
    assert span.attributes["messaging.batch.message_count"] == 3
    assert [link.context.trace_id for link in span.links] == [0xA1, 0xB2]  # none for the event published outside a trace


async def test_a_lane_that_fails_stops_the_batch_at_once_and_a_redelivery_applies_every_event_once(db_pool, db_schema, monkeypatch):
    """The reading runs ahead of the lanes' writing; when a lane fails (here the database goes away under its third
    chunk) the batch stops with that error, without waiting on a full queue, and the writes still open roll back.
    Redelivered, the batch applies what the first attempt did not, and nothing twice."""
    monkeypatch.setattr(consumer_module, "CHUNK_RECORDS", 4)
    monkeypatch.setattr(consumer_module, "AHEAD", 1)
    consumer = await new_consumer(db_pool, db_schema)
    consumer._infrastructure_backoff = 0
    chunks: list[int] = []
    apply = consumer._apply

    async def database_goes_away_once(deliveries, conn=None):
        chunks.append(len(deliveries))
        if len(chunks) == 3:
            raise ConnectionResetError("the database went away")
        await apply(deliveries, conn)

    monkeypatch.setattr(consumer, "_apply", database_goes_away_once)
    codes = [f"{10000001 + n}" for n in range(60)]
    records = [delivered(company_registered(company_code=code), offset) for offset, code in enumerate(codes)]
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(consumer.handle_records(records), 30)
    assert sum(chunks) < len(records)  # stopped there: the rest of the batch was not written
    applied_first = await db_pool.fetchval("SELECT count(*) FROM inbox")
    assert applied_first < len(records)
    duplicates = EVENTS_DUPLICATE.labels(consumer.group_id)._value.get()
    await asyncio.wait_for(consumer.handle_records(records), 30)
    assert [row["company_code"] for row in await db_pool.fetch("SELECT company_code FROM companies ORDER BY 1")] == codes
    assert await db_pool.fetchval("SELECT count(*) FROM inbox") == len(records)
    assert EVENTS_DUPLICATE.labels(consumer.group_id)._value.get() - duplicates == applied_first
