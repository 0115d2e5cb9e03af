"""The operator's commands (issue 14): dead letters, consumer lag, rebuilding a read model, reconciling it.

    extranet-ops dlq list legacy.memberships          # type, key, cause and time of each dead letter
    extranet-ops dlq replay legacy.memberships        # back to legacy.memberships, once
    extranet-ops dlq replay legacy.memberships --id 2:17   # that dead letter only (its id in `dlq list`), once
    extranet-ops lag [--group portfolio-read-model]   # committed vs end offsets, per partition
    extranet-ops rebuild portfolio                    # the service stopped: its read model again from offset zero
    extranet-ops reconcile portfolio                  # read-model counts against the legacy topics' (exit 1 if they differ)

A rebuild empties the read-model tables (TRUNCATE: the tables its migrations made stay, and so do the
service's own data, e.g. portfolio's broker_requests, claims' documents_announced, the outbox), forgets
the inbox rows of its consumer groups, starts a new read-model epoch (kept answers are dropped) and sets
the groups' offsets to zero; it refuses while a member of one of the groups is connected. The offsets
are reset first: if the database step fails, the service rereads everything and finds it in its inbox.

A dead letter is listed by its headers (the envelope's type, id and time, the `x-dlq-*` cause, which
never carries the offending values) and its key; nothing of its value, the event's data, is shown. A key
that is the event's member number (memberships, households) is shown as "(member number)"; the others
go through the redaction of values (a NIR or an IBAN is masked). The principal comes from EXTRANET_KAFKA_USERNAME /
EXTRANET_KAFKA_PASSWORD (an operator's, e.g. admin).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from extranet_plumbing.deadletter import (
    H_EXC_CLASS,
    H_EXC_MESSAGE,
    H_FAILED_AT,
    H_GROUP,
    H_OFFSET,
    H_PARTITION,
    H_REPLAYED_FROM,
    _restore,
    replay,
)
from extranet_plumbing.kafka import KafkaTarget, client_kwargs, dlq_topic, new_admin, new_producer, partitions_of
from extranet_plumbing.redaction import redact_values
from extranet_plumbing.settings import ServiceSettings


@dataclass(frozen=True)
class DeadLetter:
    id: str  # <partition>:<offset> in the dead-letter topic
    event_id: str
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


async def read_to_end(target: KafkaTarget, topic: str) -> AsyncIterator[Any]:
    """Every record of `topic`, from its beginning to its end as it is now (none if it does not exist)."""
    partitions = [TopicPartition(topic, p) for p in await partitions_of(target, topic)]
    if not partitions:
        return
    consumer = AIOKafkaConsumer(**client_kwargs(target), group_id=None, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if end[tp] > 0}
        while pending:
            for tp, records in (await consumer.getmany(*pending, timeout_ms=1000, max_records=2000)).items():
                for record in records:
                    if record.offset < end[tp]:
                        yield record
            pending = {tp for tp in pending if await consumer.position(tp) < end[tp]}
    finally:
        await consumer.stop()


async def list_dead_letters(target: KafkaTarget, topic: str) -> list[DeadLetter]:
    """Every message of `<topic>.dlq` from the beginning, described by its headers."""
    letters = [_describe(record) async for record in read_to_end(target, dlq_topic(topic))]
    return sorted(letters, key=lambda d: (d.failed_at, d.id))


async def replay_ids(target: KafkaTarget, topic: str, ids: set[str], *, dry_run: bool = False) -> dict[str, str]:
    """Republish the dead letters `ids` (<partition>:<offset> in `<topic>.dlq`) to their original topic,
    each unless the original topic already holds a copy replayed from it (its `x-dlq-replayed-from`):
    what each became, "replayed", "already replayed" or "unknown"."""
    dlq = dlq_topic(topic)
    selected = [record async for record in read_to_end(target, dlq) if f"{record.partition}:{record.offset}" in ids]
    replayed_from = {
        value.decode() async for record in read_to_end(target, topic) for name, value in (record.headers or ()) if name == H_REPLAYED_FROM
    }
    outcome = dict.fromkeys(ids, "unknown")
    producer = new_producer(target, client_id="extranet-ops")
    await producer.start()
    try:
        for record in selected:
            letter = f"{record.partition}:{record.offset}"
            if f"{dlq}:{letter}" in replayed_from:
                outcome[letter] = "already replayed"
                continue
            original_topic, headers = _restore(record, dlq)
            if not dry_run:
                await producer.send_and_wait(original_topic, value=record.value, key=record.key, headers=headers)
            outcome[letter] = "replayed"
    finally:
        await producer.stop()
    return outcome


MEMBER_NUMBER_KEY = "(member number)"


def _shown_key(record: Any) -> str:
    """The key, unless it is the member number of the event's data (memberships, households): personal data."""
    if not record.key:
        return ""
    key = record.key.decode(errors="replace")
    try:
        data = json.loads(record.value)
    except (ValueError, TypeError):
        data = None
    if isinstance(data, dict) and str(data.get("member_number")) == key:
        return MEMBER_NUMBER_KEY
    return redact_values(key)


def _describe(record: Any) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in (record.headers or ())}
    cause = headers.get(H_EXC_CLASS, "")
    if headers.get(H_EXC_MESSAGE):
        cause = f"{cause}: {headers[H_EXC_MESSAGE]}"
    return DeadLetter(
        id=f"{record.partition}:{record.offset}",
        event_id=headers.get("ce_id", ""),
        type=headers.get("ce_type", "(no envelope)"),
        key=_shown_key(record),
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


@dataclass(frozen=True)
class Count:
    """Rows of `table` against the distinct (tenant, `field`) of the events of `types` on `stream`."""

    table: str
    stream: str
    types: tuple[str, ...]
    field: str


@dataclass(frozen=True)
class ReadModel:
    schema: str
    groups: tuple[str, ...]
    tables: tuple[str, ...]  # what the consumer writes from events, and nothing else
    counts: tuple[Count, ...]


READ_MODELS = {
    "portfolio": ReadModel(
        schema="portfolio",
        groups=("portfolio-read-model",),
        tables=(
            "brokers",
            "broker_company_movements",
            "companies",
            "contracts",
            "guarantees",
            "memberships",
            "contribution_payers",
            "contribution_schedules",
            "contribution_payments",
            "company_documents",
        ),
        counts=(
            Count("companies", "legacy.companies", ("CompanyRegistered",), "company_code"),
            Count("contracts", "legacy.contracts", ("CollectiveContractSigned",), "contract_number"),
            Count("memberships", "legacy.memberships", ("MemberAffiliated", "MemberRadiated"), "membership_id"),
        ),
    ),
    "claims": ReadModel(
        schema="claims",
        groups=("claims-read-model",),
        tables=("payments", "member_contracts", "household_beneficiaries", "communication_preferences"),
        counts=(Count("payments", "legacy.claims", ("ReimbursementPaid",), "reference"),),
    ),
}


class ConsumersActive(RuntimeError):
    pass


async def active_members(target: KafkaTarget, groups: list[str]) -> dict[str, int]:
    """The groups among `groups` that have members connected, with their number."""
    admin = new_admin(target, client_id="extranet-ops")
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups(groups)
    finally:
        await admin.close()
    # Each response's groups: (error_code, group_id, state, protocol_type, protocol, members[, authorized_operations]).
    return {group[1]: len(group[5]) for response in responses for group in response.groups if group[5]}


async def reset_offsets(target: KafkaTarget, group: str, topics: list[str]) -> None:
    """Commit offset 0 on every partition of `topics` for `group` (which has no member)."""
    partitions = [TopicPartition(topic, p) for topic in topics for p in await partitions_of(target, topic)]
    if not partitions:
        return
    consumer = AIOKafkaConsumer(**client_kwargs(target), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit({tp: 0 for tp in partitions})
    finally:
        await consumer.stop()


async def rebuild(settings: ServiceSettings, model: ReadModel, schema: str) -> dict[str, Any]:
    """Empty `model`'s read model in `schema` and have its consumers read everything again (see the module)."""
    groups = [settings.group_id(g) for g in model.groups]
    active = await active_members(settings, groups)
    if active:
        raise ConsumersActive(f"consumers still connected {active}: stop the service first")
    admin = new_admin(settings, client_id="extranet-ops")
    await admin.start()
    try:
        committed = {group: await admin.list_consumer_group_offsets(group) for group in groups}
    finally:
        await admin.close()
    for group in groups:
        await reset_offsets(settings, group, sorted({tp.topic for tp in committed[group]}))
    conn = await asyncpg.connect(settings.database_url.get_secret_value(), server_settings={"search_path": schema})
    try:
        async with conn.transaction():
            await conn.execute(f"TRUNCATE {', '.join(model.tables)}")
            forgotten = await conn.fetchval(
                "WITH d AS (DELETE FROM inbox WHERE consumer_group = ANY($1) RETURNING 1) SELECT count(*) FROM d", groups
            )
            epoch = await conn.fetchval("UPDATE read_model_version SET epoch = gen_random_uuid(), version = 0 RETURNING epoch::text")
    finally:
        await conn.close()
    return {"schema": schema, "groups": groups, "tables": list(model.tables), "inbox_rows_forgotten": forgotten, "epoch": epoch}


async def legacy_counts(target: KafkaTarget, prefix: str, counts: tuple[Count, ...]) -> dict[str, int]:
    """Distinct (tenant, field) of each count's events, read from its topic's beginning to its end now."""
    seen: dict[str, set[tuple[str, str]]] = {c.table: set() for c in counts}
    for count in counts:
        async for record in read_to_end(target, prefix + count.stream):
            _count(record, count, seen[count.table])
    return {table: len(keys) for table, keys in seen.items()}


def _count(record: Any, count: Count, seen: set[tuple[str, str]]) -> None:
    headers = dict(record.headers or ())
    if headers.get("ce_type", b"").decode() not in count.types:
        return
    try:
        value = json.loads(record.value)[count.field]
    except (ValueError, TypeError, KeyError):
        return  # unreadable: the consumer dead-lettered it; it shows as a difference
    seen.add((headers.get("ce_tenant", b"").decode(), str(value)))


async def reconcile(settings: ServiceSettings, model: ReadModel, schema: str) -> list[dict[str, Any]]:
    """Each count: the read model's rows, the legacy system's, and the difference."""
    legacy = await legacy_counts(settings, settings.topic_prefix, model.counts)
    conn = await asyncpg.connect(settings.database_url.get_secret_value(), server_settings={"search_path": schema})
    try:
        rows = {c.table: await conn.fetchval(f"SELECT count(*) FROM {c.table}") for c in model.counts}
    finally:
        await conn.close()
    return [
        {"table": c.table, "read_model": rows[c.table], "legacy": legacy[c.table], "difference": rows[c.table] - legacy[c.table]}
        for c in model.counts
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="extranet-ops", description="The operator's commands: dead letters, lag, read models.")
    parser.add_argument("--bootstrap", default=os.environ.get("EXTRANET_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    commands = parser.add_subparsers(dest="command", required=True)
    dlq = commands.add_parser("dlq", help="a dead-letter topic").add_subparsers(dest="action", required=True)
    dlq_list = dlq.add_parser("list", help="type, key, cause and time of each dead letter (never the event's data)")
    dlq_list.add_argument("topic", help="the original topic, e.g. legacy.memberships")
    dlq_replay = dlq.add_parser("replay", help="republish the dead letters to their original topic, each once")
    dlq_replay.add_argument("topic", help="the original topic, e.g. legacy.memberships")
    dlq_replay.add_argument("--group", default="dlq-replayer", help="consumer group that remembers what was replayed")
    dlq_replay.add_argument("--id", action="append", default=[], help="only this dead letter (<partition>:<offset>, from dlq list)")
    dlq_replay.add_argument("--dry-run", action="store_true")
    lag = commands.add_parser("lag", help="committed vs end offsets per partition, per consumer group")
    lag.add_argument("--group", default=None, help="only the groups whose name starts with this")
    for name, text in (("rebuild", "the read model again from offset zero (the service stopped)"), ("reconcile", "counts vs legacy")):
        command = commands.add_parser(name, help=text)
        command.add_argument("service", choices=sorted(READ_MODELS))
        command.add_argument("--schema", default=None, help="the service's schema (default: its name)")
        command.add_argument("--topic-prefix", default=os.environ.get("EXTRANET_TOPIC_PREFIX", ""))
    args = parser.parse_args(argv)

    if args.command == "dlq" and args.action == "list":
        for letter in asyncio.run(list_dead_letters(args.bootstrap, args.topic)):
            print(json.dumps(asdict(letter), ensure_ascii=False))
    elif args.command == "dlq" and args.id:
        outcome = asyncio.run(replay_ids(args.bootstrap, args.topic, set(args.id), dry_run=args.dry_run))
        print(
            json.dumps({"replayed": sum(o == "replayed" for o in outcome.values()), "dry_run": args.dry_run, "ids": outcome}),
            file=sys.stderr,
        )
        return 1 if "unknown" in outcome.values() else 0
    elif args.command == "dlq":
        count = asyncio.run(replay(args.bootstrap, dlq_topic(args.topic), group_id=args.group, dry_run=args.dry_run))
        print(json.dumps({"replayed": count, "dry_run": args.dry_run}), file=sys.stderr)
    elif args.command in ("rebuild", "reconcile"):
        model = READ_MODELS[args.service]
        settings = ServiceSettings(kafka_bootstrap=args.bootstrap, topic_prefix=args.topic_prefix)
        if args.command == "rebuild":
            try:
                print(json.dumps(asyncio.run(rebuild(settings, model, args.schema or model.schema))))
            except ConsumersActive as exc:
                print(f"refused: {exc}", file=sys.stderr)
                return 2
            return 0
        differences = asyncio.run(reconcile(settings, model, args.schema or model.schema))
        for line in differences:
            print(json.dumps(line))
        return 1 if any(line["difference"] for line in differences) else 0
    else:
        rows = asyncio.run(consumer_lag(args.bootstrap, args.group))
        print(f"{'group':<40} {'topic':<36} {'part':>4} {'committed':>10} {'end':>10} {'lag':>8}")
        for row in rows:
            print(f"{row.group:<40} {row.topic:<36} {row.partition:>4} {row.committed:>10} {row.end:>10} {row.lag:>8}")
        print(f"total lag: {sum(r.lag for r in rows)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
