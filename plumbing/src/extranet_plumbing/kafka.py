"""Kafka helpers shared by publishers and consumers: the clients' connection and credentials, the
idempotent producer, topic creation.

Every Kafka client of the platform gets its connection from `client_kwargs` (aiokafka) or
`broker_security` (FastStream), built from `KafkaSettings` (`EXTRANET_KAFKA_*`): the broker
authenticates each client with SASL/SCRAM and authorises each principal for its own topics only.
A bare bootstrap address given instead of settings takes the credentials of the environment.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

from extranet_plumbing.logging import get_logger
from extranet_plumbing.settings import KafkaSettings

DLQ_SUFFIX = ".dlq"
log = get_logger(__name__)

# What a client connects with: settings, or a bootstrap address (credentials from the environment).
KafkaTarget = KafkaSettings | str
_TOPIC_ALREADY_EXISTS = 36


class KafkaConfigError(RuntimeError):
    """The settings cannot make a client (credentials missing), or a topic cannot be created."""


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def kafka_settings(target: KafkaTarget) -> KafkaSettings:
    """`target` itself, or for a bootstrap address the environment's settings with that address."""
    if isinstance(target, KafkaSettings):
        return target
    return KafkaSettings(kafka_bootstrap=target)


def _credentials(settings: KafkaSettings) -> tuple[str, str]:
    if not settings.kafka_username or settings.kafka_password is None:
        raise KafkaConfigError(
            f"Kafka with {settings.kafka_security_protocol} needs a principal: set EXTRANET_KAFKA_USERNAME and "
            f"EXTRANET_KAFKA_PASSWORD (EXTRANET_KAFKA_SECURITY_PROTOCOL=PLAINTEXT only for a broker without authentication)"
        )
    return settings.kafka_username, settings.kafka_password.get_secret_value()


def client_kwargs(target: KafkaTarget) -> dict[str, Any]:
    """The connection arguments of an aiokafka client (producer, consumer, admin): address,
    security protocol and SASL credentials. Written once, here."""
    settings = kafka_settings(target)
    kwargs: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap, "security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol == "SASL_SSL":
        kwargs["ssl_context"] = create_ssl_context()
    if settings.kafka_security_protocol != "PLAINTEXT":
        username, password = _credentials(settings)
        kwargs.update(sasl_mechanism=settings.kafka_sasl_mechanism, sasl_plain_username=username, sasl_plain_password=password)
    return kwargs


def broker_security(target: KafkaTarget) -> BaseSecurity | None:
    """The same credentials for FastStream's `KafkaBroker(security=...)`."""
    settings = kafka_settings(target)
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    username, password = _credentials(settings)
    use_ssl = settings.kafka_security_protocol == "SASL_SSL"
    scram = SASLScram512 if settings.kafka_sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
    return scram(username, password, ssl_context=create_ssl_context() if use_ssl else None, use_ssl=use_ssl)


def new_producer(target: KafkaTarget, *, client_id: str = "extranet") -> AIOKafkaProducer:
    """A producer that never duplicates nor reorders a partition's messages on retry."""
    return AIOKafkaProducer(
        **client_kwargs(target),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )


def new_admin(target: KafkaTarget, *, client_id: str = "extranet") -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**client_kwargs(target), client_id=client_id)


async def ensure_topics(
    target: KafkaTarget, topics: list[str], *, partitions: int = 3, replication_factor: int = 1, with_dlq: bool = True
) -> None:
    """Create the topics (and their dead-letter topics) that do not exist yet.

    A service principal sees only the topics it may describe and creates none: its topics are made
    beforehand (devstack from deploy/services.toml, KafkaTopic resources in k8s). A topic that is
    missing all the same is reported with the broker's refusal."""
    wanted = set(topics) | ({dlq_topic(t) for t in topics} if with_dlq else set())
    admin = new_admin(target)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(wanted - existing)
        if missing:
            response = await admin.create_topics(
                [NewTopic(name=t, num_partitions=partitions, replication_factor=replication_factor) for t in missing]
            )
            refused = {name: code for name, code, *_ in response.topic_errors if code not in (0, _TOPIC_ALREADY_EXISTS)}
            if refused:
                raise KafkaConfigError(
                    f"cannot create the topics {sorted(refused)} (Kafka error codes {sorted(set(refused.values()))}): "
                    f"is each declared in deploy/services.toml for principal {kafka_settings(target).kafka_username!r}?"
                )
            log.info("topics created", topics=missing)
            # Metadata takes a moment to reach every listener.
            for _ in range(50):
                if wanted <= set(await admin.list_topics()):
                    break
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def partitions_of(target: KafkaTarget, topic: str) -> list[int]:
    """The partition numbers of `topic`; empty if it does not exist."""
    admin = new_admin(target)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for d in described if d.get("error_code", 0) == 0 for p in d["partitions"])
