"""Print the messages of a topic as they come: `.venv/bin/python -m devstack.watch <topic> [...]`.

Each message: topic/partition/offset, key, headers, then the value (indented JSON when it is JSON).
Reads without a consumer group, so it commits nothing and disturbs no service. Connects as
EXTRANET_KAFKA_USERNAME / EXTRANET_KAFKA_PASSWORD if set, else as the embedded stack's super user
(`admin`, password in .stack/secrets/kafka-admin-password)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime


def _text(raw: bytes | None) -> str:
    if raw is None:
        return "null"
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.hex()


def render(msg) -> str:
    when = datetime.fromtimestamp(msg.timestamp / 1000, tz=UTC).isoformat(timespec="milliseconds")
    lines = [f"── {msg.topic}[{msg.partition}]@{msg.offset}  {when}  key={_text(msg.key)}"]
    for name, value in msg.headers or ():
        lines.append(f"   {name}: {_text(value)}")
    value = _text(msg.value)
    try:
        value = json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    lines.append(value)
    return "\n".join(lines)


def connection(bootstrap: str) -> dict:
    """aiokafka's connection arguments: the environment's principal, else the stack's super user."""
    from extranet_plumbing.kafka import client_kwargs
    from extranet_plumbing.settings import KafkaSettings

    settings = KafkaSettings(kafka_bootstrap=bootstrap)
    if settings.kafka_username is None and settings.kafka_security_protocol != "PLAINTEXT":
        from devstack.config import Layout, find_root
        from devstack.kafka import admin_credentials

        username, password = admin_credentials(Layout(find_root()))
        settings = KafkaSettings(kafka_bootstrap=bootstrap, kafka_username=username, kafka_password=password)
    return client_kwargs(settings)


async def watch(topics: list[str], bootstrap: str, from_beginning: bool, limit: int | None) -> int:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        *topics,
        **connection(bootstrap),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    seen = 0
    try:
        print(
            f"watching {', '.join(topics)} on {bootstrap} ({'from the beginning' if from_beginning else 'new messages'}; Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )
        async for msg in consumer:
            print(render(msg), flush=True)
            seen += 1
            if limit and seen >= limit:
                break
    finally:
        await consumer.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.watch", description=__doc__.splitlines()[0])
    parser.add_argument("topics", nargs="+", help="topic names, e.g. legacy.brokers legacy.brokers.dlq")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("EXTRANET_KAFKA_BOOTSTRAP") or f"127.0.0.1:{os.environ.get('EXTRANET_KAFKA_PORT', '9092')}"
    )
    parser.add_argument("--from-beginning", action="store_true", help="print the messages already there too")
    parser.add_argument("--limit", type=int, default=None, help="stop after this many messages")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(watch(args.topics, args.bootstrap, args.from_beginning, args.limit))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
