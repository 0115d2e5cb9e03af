"""Benchmark: how fast the portfolio service turns legacy events into its read model.

Publishes a simulated portfolio on a private set of topics, then measures in the same run
  - the baseline: a bare aiokafka consumer reading the same events (no parsing, no database);
  - the portfolio service's consumer: envelope, validation, inbox and read-model writes in PostgreSQL.
Prints both rates and their ratio. Not a test: it never fails on a figure.

    .venv/bin/python bench/portfolio_ingest.py [--insured 20000] [--companies 200] [--brokers 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr

from devstack.infra import ensure_infra
from extranet_plumbing.consumer import topics_of
from extranet_plumbing.kafka import client_kwargs
from extranet_plumbing.logging import configure_logging
from extranet_plumbing.testing import new_jwt_keys
from legacy_simulator.generator import generate
from legacy_simulator.publisher import publish
from legacy_simulator.sizes import SizeSpec
from portfolio.bootstrap import bootstrap
from portfolio.service_layer.handlers import HANDLERS, READ_MODEL_GROUP
from portfolio.settings import PortfolioSettings


async def baseline(bootstrap: str, topics: list[str], expected: int) -> float:
    consumer = AIOKafkaConsumer(
        *topics,
        **client_kwargs(bootstrap),
        group_id=f"bench-baseline-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )
    await consumer.start()
    seen, started = 0, time.perf_counter()
    try:
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            seen += sum(len(records) for records in batch.values())
            if batch:
                await consumer.commit()
    finally:
        elapsed = time.perf_counter() - started
        await consumer.stop()
    return seen / elapsed


async def portfolio(infra, prefix: str, schema: str, expected: int) -> float:
    settings = PortfolioSettings(
        kafka_bootstrap=infra.kafka_bootstrap,
        database_url=SecretStr(infra.database_url),
        topic_prefix=prefix,
        db_schema=schema,
        log_level="WARNING",
        jwt_public_key_file=new_jwt_keys(Path(tempfile.mkdtemp())).public_file,
    )
    service = bootstrap(settings)
    started = time.perf_counter()
    async with service.running():
        group = service.group_id(READ_MODEL_GROUP)
        while await service.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer_group = $1", group) < expected:
            await asyncio.sleep(0.2)
        return expected / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insured", type=int, default=20_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--brokers", type=int, default=5)
    args = parser.parse_args()
    configure_logging("bench", "WARNING", "console")
    infra = ensure_infra()
    os.environ.update(infra.kafka_env())  # every Kafka client here acts as the super user (its topics have a prefix)
    prefix, schema = f"bench{uuid.uuid4().hex[:6]}.", f"bench_{uuid.uuid4().hex[:6]}"
    try:
        spec = SizeSpec("custom", brokers=args.brokers, companies=args.companies, insured=args.insured)
        events = list(generate(spec, seed=2026, tenant="mbtp", today=date.today()))
        published = await publish(iter(events), bootstrap=infra.kafka_bootstrap, topic_prefix=prefix, progress=False)
        topics = topics_of(HANDLERS, PortfolioSettings(topic_prefix=prefix))
        base = await baseline(infra.kafka_bootstrap, topics, published)
        rate = await portfolio(infra, prefix, schema, published)
        print(f"events                      {published}")
        print(f"baseline (bare aiokafka)    {base:10.0f} events/s")
        print(f"portfolio read model        {rate:10.0f} events/s")
        print(f"ratio portfolio / baseline  {rate / base:10.3f}")
    finally:
        conn = await asyncpg.connect(infra.database_url)
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()
        infra.stop()


if __name__ == "__main__":
    asyncio.run(main())
