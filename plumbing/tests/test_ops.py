"""extranet-ops on real Kafka and PostgreSQL: a poison event dead-lettered, listed, replayed once
fixed (and only once); the lag of a consumer group after publishing."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faststream.kafka import KafkaBroker

from extranet_contracts.legacy import BrokerRegistered
from extranet_contracts.testing import broker_registered, member_affiliated
from extranet_plumbing.consumer import EventConsumer
from extranet_plumbing.db import migrate
from extranet_plumbing.kafka import broker_security, client_kwargs, dlq_topic, ensure_topics
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import publish_event, wait_until


async def ops(infra, *args: str) -> tuple[list[str], str]:
    """Run `extranet-ops` as an operator would; return its output lines and its error output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "extranet_plumbing.ops", "--bootstrap", infra.kafka_bootstrap, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode in (0, 1), err.decode()
    return out.decode().splitlines(), err.decode()


@pytest.fixture
async def consumer(infra, db_pool, db_schema, topic_prefix):
    """A consumer of legacy.brokers that records the codes it applied; it fails for those of `poison`."""
    topic = f"{topic_prefix}legacy.brokers"
    poison: set[str] = set()

    async def handle(event, envelope, uow) -> None:
        if event.broker_code in poison:
            raise RuntimeError("cannot apply this broker yet")
        await uow.connection.execute("INSERT INTO applied (broker_code) VALUES ($1)", event.broker_code)

    await migrate(db_pool, db_schema)
    await db_pool.execute("CREATE TABLE applied (broker_code text NOT NULL)")
    await ensure_topics(infra.kafka_bootstrap, [topic])
    producer = AIOKafkaProducer(**client_kwargs(infra.kafka_bootstrap), acks="all", enable_idempotence=True)
    await producer.start()
    broker = KafkaBroker(infra.kafka_bootstrap, security=broker_security(infra.kafka_bootstrap))
    settings = ServiceSettings(topic_prefix=topic_prefix)
    EventConsumer(
        group="ops-test", handlers={BrokerRegistered: handle}, settings=settings, pool=db_pool, producer=producer,
        retry=RetryPolicy(attempts=2, base_delay=0.01),
    ).subscribe(broker)  # fmt: skip
    await broker.start()
    yield topic, poison, settings.group_id("ops-test")
    await broker.stop()
    await producer.stop()


async def test_a_poison_event_is_listed_without_its_data_then_replayed_once_fixed(consumer, db_pool, kafka_producer, infra):
    topic, poison, _group = consumer
    poison.add("M20001")
    envelope = await publish_event(kafka_producer, topic, broker_registered(broker_code="M20001"))
    await publish_event(kafka_producer, topic, broker_registered(broker_code="M20002"))
    applied = "SELECT count(*) FROM applied WHERE broker_code = $1"
    await wait_until(lambda: db_pool.fetchval(applied, "M20002"))

    async def listed() -> list[dict]:
        lines, _ = await ops(infra, "dlq", "list", topic)
        return [json.loads(line) for line in lines]

    letters = await wait_until(listed)
    assert len(letters) == 1
    assert letters[0]["type"] == envelope.type and letters[0]["key"] == "M20001" and letters[0]["event_id"] == str(envelope.id)
    assert letters[0]["cause"] == "RuntimeError: cannot apply this broker yet"
    assert letters[0]["failed_at"] and letters[0]["consumer_group"].endswith("ops-test")
    assert "Martin" not in json.dumps(letters) and "orias" not in json.dumps(letters)  # nothing of the event's data
    assert await db_pool.fetchval(applied, "M20001") == 0

    poison.clear()  # the cause is fixed
    _, err = await ops(infra, "dlq", "replay", topic, "--group", f"{topic}-replayer")
    assert json.loads(err.splitlines()[-1])["replayed"] == 1
    assert await wait_until(lambda: db_pool.fetchval(applied, "M20001")) == 1
    _, err = await ops(infra, "dlq", "replay", topic, "--group", f"{topic}-replayer")
    assert json.loads(err.splitlines()[-1])["replayed"] == 0  # a second replay does nothing
    await asyncio.sleep(1)
    assert await db_pool.fetchval(applied, "M20001") == 1


async def test_one_dead_letter_replayed_by_its_id_and_only_once(consumer, db_pool, kafka_producer, infra):
    topic, poison, _group = consumer
    poison.update({"M20011", "M20012"})
    for code in ("M20011", "M20012", "M20013"):
        await publish_event(kafka_producer, topic, broker_registered(broker_code=code))
    applied = "SELECT count(*) FROM applied WHERE broker_code = $1"
    await wait_until(lambda: db_pool.fetchval(applied, "M20013"))

    async def two_listed() -> dict[str, str] | None:
        lines, _ = await ops(infra, "dlq", "list", topic)
        return {(d := json.loads(line))["key"]: d["id"] for line in lines} if len(lines) == 2 else None

    ids = await wait_until(two_listed)
    poison.clear()
    _, err = await ops(infra, "dlq", "replay", topic, "--id", ids["M20011"])
    assert json.loads(err.splitlines()[-1])["ids"] == {ids["M20011"]: "replayed"}
    assert await wait_until(lambda: db_pool.fetchval(applied, "M20011")) == 1
    _, err = await ops(infra, "dlq", "replay", topic, "--id", ids["M20011"], "--id", "0:999")
    assert json.loads(err.splitlines()[-1])["ids"] == {ids["M20011"]: "already replayed", "0:999": "unknown"}
    await asyncio.sleep(1)
    assert await db_pool.fetchval(applied, "M20011") == 1
    assert await db_pool.fetchval(applied, "M20012") == 0  # not chosen: still dead-lettered


async def test_a_member_number_key_is_never_listed(infra, kafka_producer, topic_prefix):
    topic = f"{topic_prefix}legacy.memberships"
    await ensure_topics(infra.kafka_bootstrap, [topic])
    event = member_affiliated()
    await kafka_producer.send_and_wait(
        dlq_topic(topic),
        value=event.model_dump_json().encode(),
        key=event.member_number.encode(),
        headers=[("ce_type", b"MemberAffiliated")],
    )
    lines, _ = await wait_until(lambda: _listed(infra, topic))
    assert json.loads(lines[0])["key"] == "(member number)" and event.member_number not in lines[0]


async def _listed(infra, topic):
    lines, err = await ops(infra, "dlq", "list", topic)
    return (lines, err) if lines else None


async def test_lag_shows_committed_against_end_offsets_per_partition(consumer, db_pool, kafka_producer, infra, topic_prefix):
    topic, _poison, group = consumer
    for n in range(6):
        await publish_event(kafka_producer, topic, broker_registered(broker_code=f"M3000{n}"))

    async def all_applied() -> bool:
        return await db_pool.fetchval("SELECT count(*) FROM applied") == 6

    await wait_until(all_applied)

    # A group that has read nothing since its first commit: what was published after it is its lag.
    idle = f"{topic_prefix}idle-group"
    reader = AIOKafkaConsumer(**client_kwargs(infra.kafka_bootstrap), group_id=idle, enable_auto_commit=False)
    await reader.start()
    partitions = [TopicPartition(topic, p) for p in range(3)]
    reader.assign(partitions)
    await reader.commit({tp: 0 for tp in partitions})
    await reader.stop()

    async def rows() -> dict[tuple[str, int], list[int]]:
        lines, err = await ops(infra, "lag", "--group", topic_prefix)
        table = {}
        for line in lines[1:]:
            name, row_topic, partition, committed, end, lag = line.split()
            if row_topic == topic:
                table[(name, int(partition))] = [int(committed), int(end), int(lag)]
        return table

    table = await wait_until(lambda: _settled(rows, group))
    assert sum(lag for (name, _p), (_c, _e, lag) in table.items() if name == group) == 0
    assert sum(table[(idle, p)][1] for p in range(3)) == 6  # every partition's end offset
    assert sum(table[(idle, p)][2] for p in range(3)) == 6  # nothing read: everything published is lag
    assert all(table[(idle, p)][0] == 0 for p in range(3))


async def _settled(rows, group):
    """The table once the consumer's group has committed everything it applied."""
    table = await rows()
    mine = [v for (name, _p), v in table.items() if name == group]
    return table if mine and all(committed == end for committed, end, _lag in mine) else None
