"""Dead-letter topics: where an event goes when it cannot be parsed, fails validation, is of an
unknown type or keeps failing; and the command that replays them once the cause is fixed.

A dead-lettered message keeps its key, value and headers unchanged; `x-dlq-*` headers say where
it came from and why it failed.

    extranet-dlq-replay --topic legacy.memberships.dlq [--dry-run] [--max 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from extranet_plumbing.kafka import DLQ_SUFFIX, KafkaTarget, client_kwargs, dlq_topic, kafka_settings, new_producer, partitions_of
from extranet_plumbing.logging import get_logger
from extranet_plumbing.redaction import redact_values

log = get_logger(__name__)

H_TOPIC = "x-dlq-original-topic"
H_PARTITION = "x-dlq-original-partition"
H_OFFSET = "x-dlq-original-offset"
H_GROUP = "x-dlq-consumer-group"
H_EXC_CLASS = "x-dlq-exception-class"
H_EXC_MESSAGE = "x-dlq-exception-message"
H_FAILED_AT = "x-dlq-failed-at"
H_REPLAYED_FROM = "x-dlq-replayed-from"


def describe(exc: BaseException) -> str:
    """The cause, without the offending values (they may be personal data)."""
    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '(value)'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        return f"{exc.error_count()} validation error(s): " + "; ".join(problems)
    # Other exceptions (a database error quoting a key, a handler's message) may carry values.
    return redact_values(str(exc)) or type(exc).__name__


def dead_letter_headers(record: Any, group_id: str, exc: BaseException) -> list[tuple[str, bytes]]:
    original = [(name, value) for name, value in (record.headers or ()) if not name.startswith("x-dlq-")]
    return original + [
        (H_TOPIC, record.topic.encode()),
        (H_PARTITION, str(record.partition).encode()),
        (H_OFFSET, str(record.offset).encode()),
        (H_GROUP, group_id.encode()),
        (H_EXC_CLASS, type(exc).__name__.encode()),
        (H_EXC_MESSAGE, describe(exc)[:2000].encode()),
        (H_FAILED_AT, datetime.now(UTC).isoformat().encode()),
    ]


async def send_to_dead_letter(producer: AIOKafkaProducer, record: Any, group_id: str, exc: BaseException) -> None:
    """Publish `record` unchanged to `<topic>.dlq`, and wait for the broker's acknowledgement."""
    await producer.send_and_wait(
        dlq_topic(record.topic),
        value=record.value,
        key=record.key,
        headers=dead_letter_headers(record, group_id, exc),
    )
    log.warning(
        "event dead-lettered",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        consumer_group=group_id,
        error_class=type(exc).__name__,
        reason=describe(exc),
    )


async def replay(
    target: KafkaTarget, topic: str, *, group_id: str = "dlq-replayer", dry_run: bool = False, limit: int | None = None
) -> int:
    """Republish every message of a dead-letter topic to its original topic; return the count.
    `target`: settings, or a bootstrap address (credentials from EXTRANET_KAFKA_*)."""
    if not topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"{topic} is not a dead-letter topic (no {DLQ_SUFFIX} suffix)")
    settings = kafka_settings(target)
    consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=group_id, enable_auto_commit=False, auto_offset_reset="earliest")
    producer = new_producer(settings, client_id="dlq-replayer")
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        partitions = [TopicPartition(topic, p) for p in await partitions_of(settings, topic)]
        if not partitions:
            return 0
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        committed = {tp: (await consumer.committed(tp)) or 0 for tp in partitions}
        for tp in partitions:
            consumer.seek(tp, committed[tp])
        pending = {tp for tp in partitions if committed[tp] < end[tp]}
        while pending and (limit is None or replayed < limit):
            batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=200)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= end[tp] or (limit is not None and replayed >= limit):
                        break
                    original_topic, kept = _restore(record, topic)
                    print(
                        json.dumps(
                            {
                                "from": f"{topic}:{record.partition}:{record.offset}",
                                "to": original_topic,
                                "cause": dict(record.headers or ()).get(H_EXC_CLASS, b"").decode(),
                            }
                        )
                    )
                    if not dry_run:
                        await producer.send_and_wait(original_topic, value=record.value, key=record.key, headers=kept)
                        await consumer.commit({tp: record.offset + 1})
                    replayed += 1
            for tp in list(pending):
                if await consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
    finally:
        await producer.stop()
        await consumer.stop()
    return replayed


def _restore(record: Any, dlq: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The original topic, and the headers as they were before dead-lettering."""
    headers = dict(record.headers or ())
    original_topic = headers.get(H_TOPIC, dlq[: -len(DLQ_SUFFIX)].encode()).decode()
    kept = [(n, v) for n, v in (record.headers or ()) if not n.startswith("x-dlq-")]
    kept.append((H_REPLAYED_FROM, f"{dlq}:{record.partition}:{record.offset}".encode()))
    return original_topic, kept


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="extranet-dlq-replay", description="Replay a dead-letter topic into its original topic.")
    parser.add_argument("--topic", required=True, help="the dead-letter topic, e.g. legacy.memberships.dlq")
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("EXTRANET_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        help="the principal comes from EXTRANET_KAFKA_USERNAME / EXTRANET_KAFKA_PASSWORD (an operator's, e.g. admin)",
    )
    parser.add_argument("--group", default="dlq-replayer", help="consumer group that remembers what was replayed")
    parser.add_argument("--max", type=int, default=None, help="replay at most this many messages")
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed, publish nothing")
    args = parser.parse_args(argv)
    count = asyncio.run(replay(args.bootstrap, args.topic, group_id=args.group, dry_run=args.dry_run, limit=args.max))
    print(json.dumps({"replayed": count, "dry_run": args.dry_run}), file=sys.stderr)
    return 0
