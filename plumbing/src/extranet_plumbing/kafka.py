"""Kafka helpers shared by publishers and consumers: the idempotent producer, topic creation."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from extranet_plumbing.logging import get_logger

DLQ_SUFFIX = ".dlq"
log = get_logger(__name__)


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def new_producer(bootstrap: str, *, client_id: str = "extranet") -> AIOKafkaProducer:
    """A producer that never duplicates nor reorders a partition's messages on retry."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )


async def ensure_topics(
    bootstrap: str, topics: list[str], *, partitions: int = 3, replication_factor: int = 1, with_dlq: bool = True
) -> None:
    """Create the topics (and their dead-letter topics) that do not exist yet."""
    wanted = set(topics) | ({dlq_topic(t) for t in topics} if with_dlq else set())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(wanted - existing)
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(name=t, num_partitions=partitions, replication_factor=replication_factor) for t in missing]
                )
            except TopicAlreadyExistsError:
                pass
            log.info("topics created", topics=missing)
            # Metadata takes a moment to reach every listener.
            for _ in range(50):
                if wanted <= set(await admin.list_topics()):
                    break
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    """The partition numbers of `topic`; empty if it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for d in described if d.get("error_code", 0) == 0 for p in d["partitions"])
