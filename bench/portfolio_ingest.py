"""Benchmark: how fast the portfolio service turns legacy events into its read model.

Publishes a simulated portfolio on a private set of topics (as `legacy-simulator publish` does: generated
in a child process from 50,000 insured), then measures in the same run
  - the baseline: a bare aiokafka consumer reading the same events (no parsing, no database) in
    batches of 500, as issue 9 measured it; and again with the batches and fetch size the service's
    consumer takes (4,000 records, 4 MiB a partition), which reads faster;
  - the portfolio service's consumer: envelope, validation, inbox and read-model writes in PostgreSQL,
    from the service's start until every event is in the inbox; in one process over topics of 3 partitions,
    as `make run` runs it, or in `--replicas N` processes of one consumer group over `--partitions P` (as
    deploy/k8s runs it: 2 replicas, 12 partitions; on the 2-core machine, where the service, PostgreSQL
    and Kafka share the cores, a second replica only adds its overhead: bench/README.md).
Prints both rates and their ratio. Not a test: it never fails on a figure. The topics and the schema
are deleted afterwards.

    .venv/bin/python bench/portfolio_ingest.py [--size bench] [--insured 20000] [--companies 200] [--brokers 5]
        [--replicas 1] [--partitions 3]
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
from replicas import kafka_cpu, load_rate_replicas, pinned, postgres_cpu

from devstack.infra import ensure_infra
from extranet_plumbing.consumer import BATCH_RECORDS, PARTITION_FETCH_BYTES, topics_of
from extranet_plumbing.kafka import client_kwargs
from extranet_plumbing.logging import configure_logging
from extranet_plumbing.testing import delete_topics, new_jwt_keys
from legacy_simulator.cli import BACKGROUND_FROM
from legacy_simulator.generator import generate
from legacy_simulator.publisher import background_batches, publish, publish_records
from legacy_simulator.sizes import PRESETS, SizeSpec
from portfolio.service_layer.handlers import HANDLERS, READ_MODEL_GROUP
from portfolio.settings import PortfolioSettings

# The baseline as issue 9 measured it (46,341 events/s on the bench set): batches of 500, aiokafka's fetch sizes.
BASELINE_BATCH = 500
# As `make run` runs the service: one process, topics of 3 partitions (deploy/k8s: 2 replicas, 12 partitions).
REPLICAS, PARTITIONS = 1, 3


async def baseline(bootstrap: str, topics: list[str], expected: int, *, batch_records: int = BASELINE_BATCH, **fetch: int) -> float:
    consumer = AIOKafkaConsumer(
        *topics,
        **client_kwargs(bootstrap),
        group_id=f"bench-baseline-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=batch_records,
        **fetch,
    )
    await consumer.start()
    seen, started = 0, time.perf_counter()
    try:
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=batch_records)
            seen += sum(len(records) for records in batch.values())
            if batch:
                await consumer.commit()
    finally:
        elapsed = time.perf_counter() - started
        await consumer.stop()
    return seen / elapsed


def bench_settings(settings_class, infra, prefix: str, schema: str):
    """A service's settings for a bench run: its own topic prefix and schema, quiet logs, a throwaway token key."""
    return settings_class(
        kafka_bootstrap=infra.kafka_bootstrap,
        database_url=SecretStr(infra.database_url),
        topic_prefix=prefix,
        db_schema=schema,
        log_level="WARNING",
        jwt_public_key_file=new_jwt_keys(Path(tempfile.mkdtemp())).public_file,
    )


def per_event(before: float | None, after: float | None, events: int) -> str:
    """CPU seconds between two readings, in microseconds an event ("n/a" for a database on another machine)."""
    return "n/a" if before is None or after is None else f"{(after - before) / events * 1e6:.0f} us"


def cpu_lines(
    service_cpu: float,
    database: tuple[float | None, float | None],
    broker: tuple[float | None, float | None],
    events: int,
    baseline_rate: float,
    on_cores: int,
) -> list[tuple[str, str]]:
    """The CPU the load took an event, the service's, PostgreSQL's and Kafka's together, against what the issues' goal
    (half the bare consumer's rate) leaves an event on the cores the run had: above it, the goal cannot be met here
    whatever the overlap."""
    lines = [
        ("PostgreSQL CPU per event (the whole cluster)", per_event(*database, events)),
        ("Kafka CPU per event (the broker)", per_event(*broker, events)),
    ]
    if None not in database and None not in broker:
        spent = service_cpu + (database[1] - database[0]) + (broker[1] - broker[0])
        lines.append(("CPU per event: service + PostgreSQL + Kafka", f"{spent / events * 1e6:.0f} us"))
        lines.append((f"CPU per event the goal leaves on {on_cores} core(s)", f"{on_cores / (0.5 * baseline_rate) * 1e6:.0f} us"))
    return lines


def cores(value: str) -> set[int]:
    """`--cpus 0` or `--cpus 0,1`: the cores to run on."""
    try:
        chosen = {int(part) for part in value.split(",")}
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of core numbers, e.g. 0 or 0,1") from None
    if not chosen <= os.sched_getaffinity(0):
        raise argparse.ArgumentTypeError(f"this machine's cores are {sorted(os.sched_getaffinity(0))}")
    return chosen


def portfolio(infra, prefix: str, schema: str, expected: int, replicas: int) -> tuple[float, float]:
    """Events/s of the service's replicas and their CPU (s); they share a NIR search key, as a Deployment's pods do."""
    settings = bench_settings(PortfolioSettings, infra, prefix, schema).model_copy(update={"nir_search_key": SecretStr(uuid.uuid4().hex)})
    return load_rate_replicas(
        bootstrap="portfolio.bootstrap:bootstrap",
        settings=settings,
        group=READ_MODEL_GROUP,
        topics=topics_of(HANDLERS, settings),
        expected=expected,
        replicas=replicas,
    )


async def drop_run(infra, schema: str, prefix: str) -> None:
    """What a run loaded: its schema and its topics."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()
    await delete_topics(infra.kafka_bootstrap, prefix)


async def publish_portfolio(spec: SizeSpec, bootstrap: str, prefix: str, partitions: int = PARTITIONS) -> int:
    if spec.insured >= BACKGROUND_FROM and (os.cpu_count() or 1) > 1:
        batches = background_batches(spec, seed=2026, tenant="mbtp", today=date.today())
        return await publish_records(batches, bootstrap=bootstrap, topic_prefix=prefix, progress=False, partitions=partitions)
    events = generate(spec, seed=2026, tenant="mbtp", today=date.today())
    return await publish(events, bootstrap=bootstrap, topic_prefix=prefix, progress=False, partitions=partitions)


async def run(infra, spec: SizeSpec, replicas: int, partitions: int, on_cores: int) -> None:
    prefix, schema = f"bench{uuid.uuid4().hex[:6]}.", f"bench_{uuid.uuid4().hex[:6]}"
    try:
        started = time.perf_counter()
        published = await publish_portfolio(spec, infra.kafka_bootstrap, prefix, partitions)
        print(f"{'size':<58}{spec.brokers} brokers, {spec.companies} companies, {spec.insured} insured")
        print(f"{'service':<58}{replicas} replica(s), topics of {partitions} partitions, {on_cores} core(s)")
        print(f"{'published':<58}{published} events in {time.perf_counter() - started:.0f} s", flush=True)
        topics = topics_of(HANDLERS, PortfolioSettings(topic_prefix=prefix))
        base = await baseline(infra.kafka_bootstrap, topics, published)
        same = await baseline(
            infra.kafka_bootstrap, topics, published, batch_records=BATCH_RECORDS, max_partition_fetch_bytes=PARTITION_FETCH_BYTES
        )
        database_before, broker_before = await postgres_cpu(infra.database_url), kafka_cpu(infra)
        rate, cpu = await asyncio.to_thread(portfolio, infra, prefix, schema, published, replicas)
        database_after, broker_after = await postgres_cpu(infra.database_url), kafka_cpu(infra)
        lines = [
            (f"baseline: bare aiokafka, batches of {BASELINE_BATCH}", f"{base:.0f} events/s"),
            (f"baseline: bare aiokafka, batches of {BATCH_RECORDS} as the service", f"{same:.0f} events/s"),
            ("portfolio read model", f"{rate:.0f} events/s"),
            ("portfolio CPU per event (all replicas)", f"{cpu / published * 1e6:.0f} us"),
            *cpu_lines(cpu, (database_before, database_after), (broker_before, broker_after), published, base, on_cores),
            ("ratio portfolio / baseline", f"{rate / base:.3f}"),
            ("ratio portfolio / baseline with the same batches", f"{rate / same:.3f}"),
        ]
        for label, value in lines:
            print(f"{label:<58}{value:>16}")
        print(f"{'load average':<58}{' '.join(f'{x:.1f}' for x in os.getloadavg()):>16}")
    finally:
        await drop_run(infra, schema, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", choices=sorted(PRESETS), help="a preset of legacy-simulator (bench: 1 M insured); the counts below override it"
    )
    parser.add_argument("--insured", type=int)
    parser.add_argument("--companies", type=int)
    parser.add_argument("--brokers", type=int)
    parser.add_argument(
        "--replicas", type=int, default=REPLICAS, help=f"processes of the service in its consumer group (default {REPLICAS})"
    )
    parser.add_argument("--partitions", type=int, default=PARTITIONS, help=f"partitions of the topics (default {PARTITIONS})")
    parser.add_argument("--cpus", type=cores, help="run the whole stack on these cores only, e.g. 0 (default: all)")
    args = parser.parse_args()
    counts = {"brokers": args.brokers, "companies": args.companies, "insured": args.insured}
    if args.size:
        spec = SizeSpec.preset(args.size, **counts)
    else:
        spec = SizeSpec(
            "custom", **{"brokers": 5, "companies": 200, "insured": 20_000, **{k: v for k, v in counts.items() if v is not None}}
        )
    configure_logging("bench", "WARNING", "console")
    infra = ensure_infra()  # outside the event loop: it may set up Kafka's users with a loop of its own
    os.environ.update(infra.kafka_env())  # every Kafka client here acts as the super user (its topics have a prefix)
    try:
        with pinned(args.cpus, infra):
            asyncio.run(run(infra, spec, args.replicas, args.partitions, len(args.cpus or os.sched_getaffinity(0))))
    finally:
        infra.stop()


if __name__ == "__main__":
    main()
