"""Benchmark: how fast the claims service turns the legacy system's reimbursements into its read model.

Publishes the reimbursements and households' files of the bench set (as `legacy-simulator publish --size
bench --acts N --claims-years 3 --streams legacy.claims,legacy.households` does: generated in a child
process; `--acts 10000000` is the issue's 10 M acts over 3 years for the bench set's 1 M insured, a
smaller `--acts` takes as many insured per act) on topics `benchclaims<hex>.*` of their own, timed; then
in the same run:
  - the baseline: a bare aiokafka consumer reading the same events (no parsing, no database) in batches
    of 500, as issue 9 measured it; and again with the batches and fetch size of the service's consumer;
  - the claims service's consumer (envelope, validation, inbox, the read model, the "new document online"
    announcements), started as `make run` starts it (one process, topics of 3 partitions; `--replicas N
    --partitions P` as deploy/k8s: 2 and 12), with a schema `bench_claims_<hex>` of its own, timed from its
    start until every event is in its inbox; the service's CPU per event.
Prints the rates and their ratio. Not a test: it never fails on a figure. The topics and the schema are
deleted afterwards.

    .venv/bin/python bench/claims_ingest.py [--acts 1000000] [--insured N] [--replicas 1] [--partitions 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import date, datetime

from portfolio_ingest import BASELINE_BATCH, PARTITIONS, REPLICAS, baseline, bench_settings, cores, cpu_lines, drop_run
from replicas import kafka_cpu, load_rate_replicas, pinned, postgres_cpu

from claims.service_layer.handlers import READ_MODEL_GROUP, handlers
from claims.settings import ClaimsSettings
from devstack.infra import ensure_infra
from extranet_contracts.notifications import NotificationRequested
from extranet_plumbing.consumer import BATCH_RECORDS, PARTITION_FETCH_BYTES, topics_of
from extranet_plumbing.kafka import ensure_topics
from extranet_plumbing.logging import configure_logging
from legacy_simulator.publisher import publish_spec
from legacy_simulator.sizes import SizeSpec

HANDLERS = handlers(datetime.now)  # the event types and topics only
STREAMS = frozenset({"legacy.claims", "legacy.households"})
BENCH_ACTS, BENCH_INSURED = 10_000_000, 1_000_000  # the bench set: 10 M acts over 3 years for its 1 M insured


def spec_for(acts: int, insured: int | None) -> SizeSpec:
    """The bench set (1 M insured) for 10 M acts; a smaller one with as many acts per household below."""
    insured = insured or max(1_000, acts * BENCH_INSURED // BENCH_ACTS)
    return SizeSpec.preset("bench", insured=insured, companies=max(10, insured // 100)).with_acts(acts, 3)


def claims(infra, prefix: str, schema: str, expected: int, replicas: int) -> tuple[float, float]:
    """Events/s from the service's start until every event is in its inbox, and its replicas' CPU (s)."""
    settings = bench_settings(ClaimsSettings, infra, prefix, schema)
    return load_rate_replicas(
        bootstrap="claims.bootstrap:bootstrap",
        settings=settings,
        group=READ_MODEL_GROUP,
        topics=topics_of(HANDLERS, settings),
        expected=expected,
        replicas=replicas,
    )


async def run(infra, spec: SizeSpec, acts: int, replicas: int, partitions: int, on_cores: int) -> None:
    hex_ = uuid.uuid4().hex[:6]
    prefix, schema = f"benchclaims{hex_}.", f"bench_claims_{hex_}"
    try:
        started = time.perf_counter()
        published, by_type = await publish_spec(
            spec,
            seed=2026,
            tenant="mbtp",
            today=date.today(),
            streams=STREAMS,
            bootstrap=infra.kafka_bootstrap,
            topic_prefix=prefix,
            partitions=partitions,
        )
        publish_s = time.perf_counter() - started
        print(f"{'size':<58}{spec.insured} insured, about {acts:,} acts over 3 years")
        print(f"{'service':<58}{replicas} replica(s), topics of {partitions} partitions, {on_cores} core(s)")
        print(
            f"{'published':<58}{published} events in {publish_s:.0f} s ({published / publish_s:,.0f} events/s): {dict(by_type)}", flush=True
        )
        settings = ClaimsSettings(topic_prefix=prefix, kafka_bootstrap=infra.kafka_bootstrap)
        topics = topics_of(HANDLERS, settings)
        # Where the "new document online" requests go (the service creates none: devstack and k8s declare it).
        await ensure_topics(settings, [settings.topic(NotificationRequested.STREAM)], with_dlq=False)
        base = await baseline(infra.kafka_bootstrap, topics, published)
        print(f"{f'baseline: bare aiokafka, batches of {BASELINE_BATCH}':<58}{base:>12,.0f} events/s", flush=True)
        same = await baseline(
            infra.kafka_bootstrap, topics, published, batch_records=BATCH_RECORDS, max_partition_fetch_bytes=PARTITION_FETCH_BYTES
        )
        print(f"{f'baseline: bare aiokafka, batches of {BATCH_RECORDS} as the service':<58}{same:>12,.0f} events/s", flush=True)
        database_before, broker_before = await postgres_cpu(infra.database_url), kafka_cpu(infra)
        rate, cpu = await asyncio.to_thread(claims, infra, prefix, schema, published, replicas)
        database_after, broker_after = await postgres_cpu(infra.database_url), kafka_cpu(infra)
        lines = [
            ("claims read model", f"{rate:,.0f} events/s"),
            ("claims CPU per event (all replicas)", f"{cpu / published * 1e6:.0f} us"),
            *cpu_lines(cpu, (database_before, database_after), (broker_before, broker_after), published, base, on_cores),
            ("ratio claims / baseline", f"{rate / base:.3f}"),
            ("ratio claims / baseline with the same batches", f"{rate / same:.3f}"),
        ]
        for label, value in lines:
            print(f"{label:<58}{value:>16}")
        print(f"{'load average':<58}{' '.join(f'{x:.1f}' for x in os.getloadavg()):>16}")
    finally:
        await drop_run(infra, schema, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acts", type=int, default=1_000_000, help=f"reimbursed acts over 3 years (bench set: {BENCH_ACTS:,})")
    parser.add_argument("--insured", type=int, help="primary insured (default: 1 for 10 acts, as the bench set)")
    parser.add_argument(
        "--replicas", type=int, default=REPLICAS, help=f"processes of the service in its consumer group (default {REPLICAS})"
    )
    parser.add_argument("--partitions", type=int, default=PARTITIONS, help=f"partitions of the topics (default {PARTITIONS})")
    parser.add_argument("--cpus", type=cores, help="run the whole stack on these cores only, e.g. 0 (default: all)")
    args = parser.parse_args()
    configure_logging("bench", "WARNING", "console")
    infra = ensure_infra()  # outside the event loop: it may set up Kafka's users with a loop of its own
    os.environ.update(infra.kafka_env())  # every Kafka client here acts as the super user (its topics have a prefix)
    try:
        with pinned(args.cpus, infra):
            asyncio.run(
                run(
                    infra,
                    spec_for(args.acts, args.insured),
                    args.acts,
                    args.replicas,
                    args.partitions,
                    len(args.cpus or os.sched_getaffinity(0)),
                )
            )
    finally:
        infra.stop()


if __name__ == "__main__":
    main()
