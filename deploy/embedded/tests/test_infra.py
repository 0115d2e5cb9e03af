"""ensure_infra with nothing running: it starts the embedded Kafka and PostgreSQL (real processes, a
throw-away root, free ports), both accept work, a second call reuses them, stop() leaves nothing."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from devstack import kafka, postgres
from devstack.config import Layout, find_root
from devstack.infra import ensure_infra
from devstack.procs import alive, port_open


async def _exercise(infra) -> None:
    import asyncpg
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from extranet_plumbing.kafka import client_kwargs
    from extranet_plumbing.settings import KafkaSettings
    from extranet_plumbing.testing import infra_kafka

    kafka_kwargs = client_kwargs(KafkaSettings(**infra_kafka(infra)))  # the super user

    conn = await asyncpg.connect(infra.database_url, timeout=10)
    try:
        assert await conn.fetchval("SELECT current_user") == "extranet"
        await conn.execute("CREATE SCHEMA probe; CREATE TABLE probe.t (id int); DROP SCHEMA probe CASCADE")
    finally:
        await conn.close()

    topic = f"devstack.test.{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(**kafka_kwargs, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"n": 1}', key=b"k1", headers=[("ce_type", b"Probe")])
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, **kafka_kwargs, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    try:
        msg = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    assert (msg.key, msg.value, list(msg.headers)) == (b"k1", b'{"n": 1}', [("ce_type", b"Probe")])


def test_ensure_infra_starts_reuses_and_stops(tmp_root, free_port, monkeypatch):
    libs = Layout(find_root()).kafka_libs
    if not kafka.libs_ready(Layout(find_root())):
        pytest.skip("no Kafka jars in .stack/kafka/libs: run `make setup`")
    if postgres.bin_dir() is None:
        pytest.skip("PostgreSQL is not installed: run `make setup`")
    layout = Layout(tmp_root)
    layout.kafka.mkdir(parents=True)
    os.symlink(libs, layout.kafka_libs)
    kport, cport, pport = free_port(), free_port(), free_port()
    monkeypatch.setenv("EXTRANET_KAFKA_PORT", str(kport))
    monkeypatch.setenv("EXTRANET_KAFKA_CONTROLLER_PORT", str(cport))
    monkeypatch.setenv("EXTRANET_PG_PORT", str(pport))

    infra = ensure_infra(tmp_root)
    try:
        assert infra.started_here and infra.kafka_bootstrap == f"127.0.0.1:{kport}"
        assert infra.database_url.startswith("postgresql://extranet:") and f"@127.0.0.1:{pport}/extranet" in infra.database_url
        kafka_pid, pg_pid = kafka.running_pid(layout), postgres.running_pid(layout)
        assert kafka_pid and pg_pid
        asyncio.run(_exercise(infra))

        again = ensure_infra(tmp_root)
        assert not again.started_here and again.database_url == infra.database_url
        again.stop()  # stops nothing: it started nothing
        assert alive(kafka_pid) and alive(pg_pid)
    finally:
        infra.stop()

    deadline = time.monotonic() + 10
    while (alive(kafka_pid) or alive(pg_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(kafka_pid) and not alive(pg_pid)
    assert not port_open(kport) and not port_open(pport)
    assert not layout.pidfile("kafka").exists() and not layout.pidfile("postgres").exists()
    assert (layout.kafka_data / "meta.properties").is_file() and (layout.pgdata / "PG_VERSION").is_file()
    assert (layout.logs / "kafka.log").stat().st_size > 0
