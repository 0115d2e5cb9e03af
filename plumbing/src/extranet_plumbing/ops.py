"""The operator's commands (issue 14): what a dead-letter topic holds, replaying it, consumer lag.

    extranet-ops dlq list legacy.memberships          # type, key, cause and time of each dead letter
    extranet-ops dlq replay legacy.memberships        # back to legacy.memberships, once
    extranet-ops lag [--group portfolio-read-model]   # committed vs end offsets, per partition

A dead letter is listed by its headers only (the envelope's type and time, the `x-dlq-*` cause, which
never carries the offending values); its value, the event's data, is never read. Keys go through the
redaction of values (a NIR or an IBAN is masked). The principal comes from EXTRANET_KAFKA_USERNAME /
EXTRANET_KAFKA_PASSWORD (an operator's, e.g. admin).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from extranet_plumbing.deadletter import H_EXC_CLASS, H_EXC_MESSAGE, H_FAILED_AT, H_GROUP, H_OFFSET, H_PARTITION, replay
from extranet_plumbing.kafka import KafkaTarget, client_kwargs, dlq_topic, new_admin, partitions_of
from extranet_plumbing.redaction import redact_values


@dataclass(frozen=True)
class DeadLetter:
    id: str  # <partition>:<offset> in the dead-letter topic
    type: str
    key: str
    cause: str
    failed_at: str
    consumer_group: str
    original: str  # <partition>:<offset> in the original topic


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(self.end - self.committed, 0)


async def list_dead_letters(target: KafkaTarget, topic: str) -> list[DeadLetter]:
    """Every message of `<topic>.dlq` from the beginning, described by its headers."""
    dlq = dlq_topic(topic)
    partitions = [TopicPartition(dlq, p) for p in await partitions_of(target, dlq)]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(**client_kwargs(target), group_id=None, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if end[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=500)
            for tp, records in batch.items():
                letters += [_describe(r) for r in records if r.offset < end[tp]]
            pending = {tp for tp in pending if await consumer.position(tp) < end[tp]}
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda d: (d.failed_at, d.id))


def _describe(record: Any) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in (record.headers or ())}
    cause = headers.get(H_EXC_CLASS, "")
    if headers.get(H_EXC_MESSAGE):
        cause = f"{cause}: {headers[H_EXC_MESSAGE]}"
    return DeadLetter(
        id=f"{record.partition}:{record.offset}",
        type=headers.get("ce_type", "(no envelope)"),
        key=redact_values(record.key.decode(errors="replace")) if record.key else "",
        cause=cause,
        failed_at=headers.get(H_FAILED_AT, ""),
        consumer_group=headers.get(H_GROUP, ""),
        original=f"{headers.get(H_PARTITION, '?')}:{headers.get(H_OFFSET, '?')}",
    )


async def consumer_lag(target: KafkaTarget, group_prefix: str | None = None) -> list[Lag]:
    """For each consumer group (whose name starts with `group_prefix`, if given): each partition's
    committed offset against its end offset."""
    admin = new_admin(target, client_id="extranet-ops")
    await admin.start()
    try:
        groups = sorted(g[0] for g in await admin.list_consumer_groups() if not group_prefix or g[0].startswith(group_prefix))
        committed = {group: await admin.list_consumer_group_offsets(group) for group in groups}
    finally:
        await admin.close()
    partitions = sorted({tp for offsets in committed.values() for tp in offsets})
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(**client_kwargs(target), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        end = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return [
        Lag(group, tp.topic, tp.partition, meta.offset if meta.offset >= 0 else 0, end[tp])
        for group in groups
        for tp, meta in sorted(committed[group].items())
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="extranet-ops", description="The operator's commands: dead letters, consumer lag.")
    parser.add_argument("--bootstrap", default=os.environ.get("EXTRANET_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    commands = parser.add_subparsers(dest="command", required=True)
    dlq = commands.add_parser("dlq", help="a dead-letter topic").add_subparsers(dest="action", required=True)
    dlq_list = dlq.add_parser("list", help="type, key, cause and time of each dead letter (never the event's data)")
    dlq_list.add_argument("topic", help="the original topic, e.g. legacy.memberships")
    dlq_replay = dlq.add_parser("replay", help="republish the dead letters to their original topic, each once")
    dlq_replay.add_argument("topic", help="the original topic, e.g. legacy.memberships")
    dlq_replay.add_argument("--group", default="dlq-replayer", help="consumer group that remembers what was replayed")
    dlq_replay.add_argument("--dry-run", action="store_true")
    lag = commands.add_parser("lag", help="committed vs end offsets per partition, per consumer group")
    lag.add_argument("--group", default=None, help="only the groups whose name starts with this")
    args = parser.parse_args(argv)

    if args.command == "dlq" and args.action == "list":
        for letter in asyncio.run(list_dead_letters(args.bootstrap, args.topic)):
            print(json.dumps(asdict(letter), ensure_ascii=False))
    elif args.command == "dlq":
        count = asyncio.run(replay(args.bootstrap, dlq_topic(args.topic), group_id=args.group, dry_run=args.dry_run))
        print(json.dumps({"replayed": count, "dry_run": args.dry_run}), file=sys.stderr)
    else:
        rows = asyncio.run(consumer_lag(args.bootstrap, args.group))
        print(f"{'group':<40} {'topic':<36} {'part':>4} {'committed':>10} {'end':>10} {'lag':>8}")
        for row in rows:
            print(f"{row.group:<40} {row.topic:<36} {row.partition:>4} {row.committed:>10} {row.end:>10} {row.lag:>8}")
        print(f"total lag: {sum(r.lag for r in rows)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
