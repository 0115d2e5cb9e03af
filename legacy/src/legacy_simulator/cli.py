"""`legacy-simulator`: publish, list or dump the events of a simulated legacy management system.

legacy-simulator publish --size demo --seed 2026 --tenant mbtp [--bootstrap 127.0.0.1:9092]
  -> {"published": N, "by_type": {...}, "by_stream": {...}} on stdout (a consumer of some streams waits for their share)
legacy-simulator publish --size bench --acts 10000000 --claims-years 3 --streams legacy.claims,legacy.households
  -> the bench set's reimbursements (10 M acts over 3 years) and households' files only
legacy-simulator brokers --size demo --seed 2026
legacy-simulator dump --size small --seed 1 > events.jsonl
legacy-simulator decide --policy accept [--policy EmployeeTerminationRequested=advisor] [--reason TEXT] [--delay 0]
  -> decides the requests of portal.requests until interrupted (legacy_simulator.decisions)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from extranet_contracts.base import Event
from extranet_contracts.calendar import today_in_france
from extranet_contracts.catalogue import CATALOGUE
from extranet_contracts.envelope import Envelope
from legacy_simulator import documents
from legacy_simulator.decisions import DEFAULT_REASON, Decider, Policy, run
from legacy_simulator.generator import broker_codes, generate
from legacy_simulator.publisher import STREAMS, background_batches, publish, publish_records
from legacy_simulator.sizes import PRESETS, SizeSpec

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
BACKGROUND_FROM = 50_000


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return number


def _streams(value: str) -> frozenset[str]:
    streams = frozenset(s.strip() for s in value.split(",") if s.strip())
    if not streams or streams - set(STREAMS):
        raise argparse.ArgumentTypeError(f"choose among {', '.join(STREAMS)}")
    return streams


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="legacy-simulator", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def size_options(sub: argparse.ArgumentParser, *, dates: bool = True) -> None:
        sub.add_argument("--size", choices=sorted(PRESETS), default="demo", help="preset (default: demo)")
        sub.add_argument("--brokers", type=_count, help="override the preset's number of brokers")
        sub.add_argument("--companies", type=_count, help="override the preset's number of companies")
        sub.add_argument("--insured", type=_count, help="override the preset's number of primary insured")
        sub.add_argument("--seed", type=int, default=2026, help="random seed (default: 2026)")
        if dates:
            sub.add_argument("--tenant", default="mbtp", help="tenant of the envelopes (default: mbtp)")
            sub.add_argument("--today", type=date.fromisoformat, default=None, help="reference date YYYY-MM-DD (default: today)")
            sub.add_argument("--acts", type=_count, help="about this many reimbursed acts (the preset's rate otherwise)")
            sub.add_argument("--claims-years", type=int, default=3, help="years of reimbursements with --acts (1 to 3; default: 3)")
            sub.add_argument("--streams", type=_streams, help=f"only the events of these streams, comma separated ({', '.join(STREAMS)})")

    publish_cmd = commands.add_parser("publish", help="publish the events on Kafka")
    size_options(publish_cmd)
    publish_cmd.add_argument(
        "--bootstrap",
        default=os.environ.get("EXTRANET_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP),
        help="Kafka bootstrap servers (default: $EXTRANET_KAFKA_BOOTSTRAP or 127.0.0.1:9092)",
    )
    publish_cmd.add_argument("--topic-prefix", default="", help="prefix of the topic names (default: none)")
    publish_cmd.add_argument("--partitions", type=int, default=3, help="partitions of the topics created if missing (0: broker default)")
    publish_cmd.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    publish_cmd.add_argument(
        "--generator",
        choices=("auto", "process", "inline"),
        default="auto",
        help="generate in a child process (uses a second CPU) or inline; auto: a process from "
        f"{BACKGROUND_FROM:,} insured when there are 2+ CPUs",
    )

    brokers_cmd = commands.add_parser("brokers", help="print the broker codes, one per line")
    size_options(brokers_cmd, dates=False)

    dump_cmd = commands.add_parser("dump", help="write the events as JSON lines on stdout")
    size_options(dump_cmd)

    decide_cmd = commands.add_parser("decide", help="decide the portals' requests (portal.requests) until interrupted")
    decide_cmd.add_argument(
        "--policy",
        action="append",
        default=[],
        help="accept, refuse or advisor for every request, or <EventType>=<outcome> for one kind (repeatable; default: accept)",
    )
    decide_cmd.add_argument("--reason", default=DEFAULT_REASON, help="the reason given with a refusal")
    decide_cmd.add_argument("--delay", type=float, default=0.0, help="seconds before each decision is published")
    decide_cmd.add_argument("--state", type=Path, default=None, help="a JSON file keeping the requests left to an advisor")
    decide_cmd.add_argument("--bootstrap", default=os.environ.get("EXTRANET_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP))
    decide_cmd.add_argument("--topic-prefix", default="", help="prefix of the topic names (default: none)")
    return parser


def _spec(args: argparse.Namespace) -> SizeSpec:
    spec = SizeSpec.preset(args.size, brokers=args.brokers, companies=args.companies, insured=args.insured)
    return spec.with_acts(args.acts, args.claims_years) if getattr(args, "acts", None) is not None else spec


def _of_streams(events: Iterator[tuple[Envelope, Event]], streams: frozenset[str] | None) -> Iterator[tuple[Envelope, Event]]:
    return events if streams is None else ((envelope, event) for envelope, event in events if event.STREAM in streams)


def _counting(events: Iterator[tuple[Envelope, Event]], by_type: collections.Counter) -> Iterator[tuple[Envelope, Event]]:
    for envelope, event in events:
        by_type[event.TYPE] += 1
        yield envelope, event


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "decide":
        return _decide(args)
    try:
        spec = _spec(args)
    except ValueError as exc:
        print(f"legacy-simulator: {exc}", file=sys.stderr)
        return 2

    if args.command == "brokers":
        for code in broker_codes(spec, args.seed):
            print(code)
        return 0

    today = args.today or today_in_france()
    if args.command == "publish":
        return _publish(args, spec, today)

    events = _of_streams(generate(spec, args.seed, args.tenant, today), args.streams)
    if args.command == "dump":
        out = sys.stdout
        for envelope, event in events:
            out.write(
                json.dumps(
                    {"envelope": envelope.model_dump(mode="json"), "event": event.model_dump(mode="json")},
                    ensure_ascii=False,
                )
                + "\n"
            )
        return 0
    raise AssertionError(args.command)  # pragma: no cover


def _publish(args: argparse.Namespace, spec: SizeSpec, today: date) -> int:
    by_type: collections.Counter[str] = collections.Counter()
    options = {
        "bootstrap": args.bootstrap,
        "topic_prefix": args.topic_prefix,
        "progress": not args.no_progress,
        "partitions": args.partitions or None,
    }
    in_process = args.generator == "process" or (args.generator == "auto" and spec.insured >= BACKGROUND_FROM and (os.cpu_count() or 1) > 1)
    if in_process:
        batches = background_batches(spec, args.seed, args.tenant, today, streams=args.streams)  # filtered in the child
        published = asyncio.run(publish_records(batches, by_type=by_type, **options))
    else:
        events = generate(spec, args.seed, args.tenant, today)
        store = documents.store_from_environment()
        if store is not None:  # the companies' documents deposited in the platform's store, then named on legacy.companies
            events = documents.with_documents(events, store, seed=args.seed)
        events = _of_streams(events, args.streams)
        published = asyncio.run(publish(_counting(events, by_type), **options))
    streams = {model.TYPE: model.STREAM for model in CATALOGUE.values()}
    by_stream = collections.Counter({stream: 0 for stream in streams.values() if stream.startswith("legacy.")})
    for event_type, count in by_type.items():
        by_stream[streams[event_type]] += count
    print(json.dumps({"published": published, "by_type": dict(sorted(by_type.items())), "by_stream": dict(sorted(by_stream.items()))}))
    return 0


def _decide(args: argparse.Namespace) -> int:
    try:
        policy = Policy.parse(args.policy, reason=args.reason, delay_seconds=max(args.delay, 0.0))
    except ValueError as exc:
        print(f"legacy-simulator: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(Decider(policy, state=args.state), bootstrap=args.bootstrap, topic_prefix=args.topic_prefix))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
