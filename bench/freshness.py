"""Benchmark: freshness, from a legacy event to the gateway's answer, at a steady 1,000 legacy events/s (issue 14).

Starts its own identity, portfolio and gateway processes as bench/broker_routes.py does (`build_stack`: free
ports, schemas `bench_fresh_<size>...` and topic prefix `benchfresh<size>.` of their own), loads
`legacy-simulator publish --size <size>` (default small) and logs in the broker with the largest portfolio.
Then, for `--duration` seconds (default 20), a pacer publishes legacy events on the memberships stream at
`--rate` events/s (default 1,000; sent in slices of 10 ms, not in bursts): events of the data set sent again
with a fresh event id (the service handles them, its read model is unchanged), and every `--mark-every` ms
(default 100) a marked one, a MemberAffiliated today in one of the broker's companies with a unique member
number, which the broker's dashboard shows (its latest affiliations and the month's entry count).

For each marked event: the time from its publish (its send acknowledged by Kafka) to the first answer that
shows it, of the gateway's `/api/broker/dashboard` (which keeps relayed answers while portfolio's read model
version is unchanged: gateway/src/gateway/kept.py) and, in the same run, of portfolio's own
`/internal/brokers/<code>/dashboard` (the baseline: no kept answers). `--pollers` (default 4) poll each,
every `--poll-ms` (default 5): the poll interval bounds the resolution. A marked event is seen when its member
number is among the latest affiliations, or when the month's entry count reaches it (events of other
partitions may be applied out of order: the count bounds it). Prints p50, p90, p99, max, seen and never seen,
the events/s actually published, and the ratio gateway/direct of p50 and p99. Never fails on a figure.

    .venv/bin/python bench/freshness.py [--size small|demo|bench] [--duration 20] [--rate 1000] [--mark-every 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import broker_routes as bench
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devstack import keys
from devstack.config import find_root
from devstack.infra import ensure_infra
from extranet_plumbing.kafka import client_kwargs
from extranet_plumbing.settings import KafkaSettings
from portfolio.domain.periods import today_in_france

STREAM = "legacy.memberships"


def kafka_settings(infra) -> KafkaSettings:
    return KafkaSettings(**{k.removeprefix("EXTRANET_").lower(): v for k, v in infra.kafka_env().items()})


async def read_stream(infra, topic: str, companies: set[str], limit: int = 5000) -> tuple[list, dict]:
    """Up to `limit` records of the stream (sent again as the load) and an affiliation in one of `companies` (the template)."""
    consumer = AIOKafkaConsumer(topic, **client_kwargs(kafka_settings(infra)), auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records, template = [], None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (len(records) < limit or template is None):
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if not batch:
                break
            for part in batch.values():
                for record in part:
                    headers = dict(record.headers)
                    if len(records) < limit:
                        records.append((record.key, record.value, record.headers))
                    if template is None and headers.get("ce_type") == b"MemberAffiliated":
                        event = json.loads(record.value)
                        if event.get("company_code") in companies:
                            template = (event, record.headers)
    finally:
        await consumer.stop()
    if template is None:
        raise RuntimeError("no affiliation in the broker's companies on the memberships stream")
    return records, template


def fresh_headers(headers, key: bytes | None = None) -> list[tuple[str, bytes]]:
    """The same envelope with a new event id and time (and key, for a new aggregate): not a duplicate for the inbox."""
    out = []
    for name, value in headers:
        if name == "ce_id":
            value = str(uuid.uuid4()).encode()
        elif name == "ce_time":
            value = datetime.now(UTC).isoformat().encode()
        elif key is not None and name in ("ce_subject", "ce_partitionkey"):
            value = key
        out.append((name, value))
    return out


@dataclass
class Marked:
    member_number: str
    acked: float | None = None
    seen: dict[str, float] = field(default_factory=dict)  # target -> when an answer first showed it


async def pace(infra, topic: str, args, records: list, template: tuple[dict, list], marked: list[Marked], today) -> tuple[int, float]:
    """Publishes at args.rate events/s for args.duration s, a marked affiliation every args.mark_every ms."""
    producer = AIOKafkaProducer(**client_kwargs(kafka_settings(infra)), client_id="bench-freshness", acks="all", enable_idempotence=True)
    await producer.start()
    event, headers = template
    run = random.randrange(1000, 9999)
    sent, pending = 0, []
    slice_s = 0.010
    started = time.monotonic()
    next_mark = started
    try:
        while (now := time.monotonic()) - started < args.duration:
            due = int((now - started) * args.rate) - sent
            for _ in range(max(due, 0)):
                if time.monotonic() >= next_mark:
                    k = len(marked)
                    # Decreasing ids: the newest marked affiliation is listed first among those of the same day.
                    membership_id = f"Z{run}{99999 - k:05d}"
                    number = f"9{run % 1000:03d}{k:04d}"
                    value = {
                        **event,
                        "membership_id": membership_id,
                        "member_number": number,
                        "effective_date": today.isoformat(),
                        "recorded_on": today.isoformat(),
                        "revision": 1,
                    }
                    mark = Marked(number)
                    marked.append(mark)
                    future = await producer.send(
                        topic,
                        value=json.dumps(value).encode(),
                        key=membership_id.encode(),
                        headers=fresh_headers(headers, membership_id.encode()),
                    )
                    future.add_done_callback(lambda f, m=mark: setattr(m, "acked", time.monotonic()) if not f.exception() else None)
                    pending.append(future)
                    next_mark += args.mark_every / 1000
                else:
                    key, value, h = records[sent % len(records)]
                    pending.append(await producer.send(topic, value=value, key=key, headers=fresh_headers(h)))
                sent += 1
            if len(pending) > 2000:
                await asyncio.gather(*pending)
                pending.clear()
            await asyncio.sleep(max(0.0, started + (sent + slice_s * args.rate) / args.rate - time.monotonic()))
        await asyncio.gather(*pending)
        elapsed = time.monotonic() - started
    finally:
        await producer.stop()
    return sent, elapsed


def shown(body: dict) -> tuple[set[str], int]:
    numbers = {m.get("member_number") for m in body.get("latest_affiliations", [])}
    return numbers, int(body["entries"][0]["count"])


async def poll(target: str, url: str, headers: dict[str, str], marked: list[Marked], base: int, stop: asyncio.Event, every: float) -> int:
    errors = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            try:
                response = await client.get(url, headers=headers)
                at = time.monotonic()
                if response.status_code != 200:
                    errors += 1
                else:
                    numbers, count = shown(response.json())
                    for k, mark in enumerate(list(marked)):
                        if target not in mark.seen and (mark.member_number in numbers or count >= base + k + 1):
                            mark.seen[target] = at
            except httpx.HTTPError:
                errors += 1
            await asyncio.sleep(every)
    return errors


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def main(infra) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "demo", "bench"), default="small", help="legacy-simulator preset (default: small)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of publishing (default: 20)")
    parser.add_argument("--rate", type=int, default=1000, help="legacy events/s (default: 1000)")
    parser.add_argument("--mark-every", type=int, default=100, help="ms between marked events (default: 100)")
    parser.add_argument("--pollers", type=int, default=4, help="concurrent pollers of each target (default: 4)")
    parser.add_argument("--poll-ms", type=float, default=5, help="ms between a poller's requests (default: 5)")
    parser.add_argument("--linger", type=float, default=10, help="s to wait for the last marked events (default: 10)")
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same arguments
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = find_root(Path(__file__))
    stack = bench.build_stack(root, infra, args.size, bench="fresh")
    today = today_in_france()
    try:
        await bench.drop_everything(infra, stack)
        stack.start("portfolio-service")
        bench.say(f"loading the {args.size} data set (topics {stack.prefix}*)")
        published = bench.publish(stack, infra, args.size)
        bench.wait_applied(stack, published)
        await bench.skip_legacy_history(infra, stack.prefix)
        stack.start("identity-service")
        stack.start("gateway-service")
        subject = await bench.choose(infra, stack.schema, today)
        identity_env = {**stack.env, **stack.services["identity-service"].env, "EXTRANET_NEW_PASSWORD": bench.PASSWORD}
        subprocess.run(
            [
                str(stack.layout.venv_bin / "identity-admin"),
                "create-broker-login",
                "--tenant",
                bench.TENANT,
                "--broker-code",
                subject.broker_code,
            ],
            env=identity_env,
            check=True,
            capture_output=True,
        )
        topic = f"{stack.prefix}{STREAM}"
        records, template = await read_stream(infra, topic, set(subject.company_codes))
        token = bench.gateway_token(stack, subject.broker_code)  # lives 10 minutes: longer than the run
        b = subject.broker_code
        targets = {
            "gateway": (f"{stack.url('gateway-service')}/api/broker/dashboard", {"authorization": f"Bearer {token}"}),
            "direct": (
                f"{stack.url('portfolio-service')}/internal/brokers/{b}/dashboard",
                {"authorization": f"Bearer {token}", "X-Service-Credential": keys.credential(stack.layout, keys.GATEWAY)},
            ),
        }
        bases = {}
        for name, (url, headers) in targets.items():
            status, body = bench.http("GET", url, headers=headers)
            if status != 200 or not isinstance(body, dict):
                raise RuntimeError(f"{name} dashboard answered {status}: {body}")
            bases[name] = shown(body)[1]
        bench.say(
            f"broker {b}: {subject.companies} companies; {len(records)} events of the stream sent again as the load; "
            f"{args.rate} events/s for {args.duration:.0f}s, one marked every {args.mark_every} ms; "
            f"{args.pollers} pollers a target every {args.poll_ms} ms"
        )
        marked: list[Marked] = []
        stop = asyncio.Event()
        pollers = [
            asyncio.create_task(poll(name, url, headers, marked, bases[name], stop, args.poll_ms / 1000))
            for name, (url, headers) in targets.items()
            for _ in range(args.pollers)
        ]
        load = os.getloadavg()
        sent, elapsed = await pace(infra, topic, args, records, template, marked, today)
        deadline = time.monotonic() + args.linger
        while time.monotonic() < deadline and any(len(m.seen) < len(targets) for m in marked):
            await asyncio.sleep(0.1)
        stop.set()
        errors = await asyncio.gather(*pollers)
        report(args, sent, elapsed, marked, list(targets), errors, load)
        return 0
    finally:
        stack.sup.stop_all()
        await bench.drop_everything(infra, stack)
        infra.stop()


def report(args, sent: int, elapsed: float, marked: list[Marked], targets: list[str], errors: list[int], load) -> None:
    print()
    print(
        f"published {sent} events in {elapsed:.1f}s: {sent / elapsed:.0f} events/s (asked {args.rate}); {len(marked)} marked; "
        f"poll every {args.poll_ms} ms by {args.pollers} pollers a target (resolution); load average {load[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores"
    )
    print(f"{'target':<40}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'seen':>7}{'never':>7}{'errors':>8}")
    figures = {}
    for i, target in enumerate(targets):
        delays = [1000 * (m.seen[target] - m.acked) for m in marked if target in m.seen and m.acked is not None]
        never = sum(1 for m in marked if target not in m.seen)
        label = "gateway /api/broker/dashboard" if target == "gateway" else "portfolio /internal/.../dashboard (direct)"
        poll_errors = sum(errors[i * args.pollers : (i + 1) * args.pollers])
        if not delays:
            print(f"{label:<40}{'-':>9}{'-':>9}{'-':>9}{'-':>9}{0:7d}{never:7d}{poll_errors:8d}")
            continue
        figures[target] = (percentile(delays, 50), percentile(delays, 99))
        p50, p90, p99 = (percentile(delays, p) for p in (50, 90, 99))
        print(f"{label:<40}{p50:9.1f}{p90:9.1f}{p99:9.1f}{max(delays):9.1f}{len(delays):7d}{never:7d}{poll_errors:8d}")
    if len(figures) == 2 and figures["direct"][0] > 0 and figures["direct"][1] > 0:
        print(f"ratio freshness p50 gateway / direct  {figures['gateway'][0] / figures['direct'][0]:.3f}")
        print(f"ratio freshness p99 gateway / direct  {figures['gateway'][1] / figures['direct'][1]:.3f}")


if __name__ == "__main__":
    # Outside the event loop: starting the infrastructure may set up Kafka's users with a loop of its own.
    sys.exit(asyncio.run(main(ensure_infra(find_root(Path(__file__))))))
