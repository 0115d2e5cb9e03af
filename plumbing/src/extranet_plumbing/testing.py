"""pytest plugin shared by every package's tests: the real Kafka broker and PostgreSQL, isolated
per test by a topic prefix and a database schema of their own.

Where they come from is decided once per session by `devstack.infra.ensure_infra`: the
environment (`EXTRANET_KAFKA_BOOTSTRAP` + `EXTRANET_DATABASE_URL`), the embedded stack if it
answers, testcontainers if a Docker engine answers, else the embedded stack started for the run.

Tests run on Kafka as its super user (`admin` on the embedded stack): each test makes topics and
consumer groups of its own prefix, which no service principal may touch. The `infra` fixture puts
those credentials in the session's environment (`EXTRANET_KAFKA_*`), so that clients given a bare
bootstrap address and services started as child processes connect too.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from extranet_contracts import Envelope, Event
from extranet_plumbing.kafka import KafkaTarget, client_kwargs
from extranet_plumbing.serve import server_config
from extranet_plumbing.settings import KafkaSettings, ServiceSettings


@pytest.fixture(scope="session")
def infra():
    """Endpoints of a real Kafka broker and a real PostgreSQL database, and Kafka's super user for
    the session (also in the environment, `EXTRANET_KAFKA_*`, until the session ends)."""
    from devstack.infra import ensure_infra

    started = ensure_infra()
    with pytest.MonkeyPatch.context() as env:
        for name, value in started.kafka_env().items():
            env.setenv(name, value)
        yield started
    started.stop()


@pytest.fixture(scope="session")
def kafka_settings(infra) -> KafkaSettings:
    """How the tests reach Kafka: the infrastructure's address and super user."""
    return KafkaSettings(**infra_kafka(infra))


def infra_kafka(infra) -> dict[str, Any]:
    """The Kafka settings of `infra` as keyword arguments of `KafkaSettings` or a service's settings."""
    from pydantic import SecretStr

    return {
        "kafka_bootstrap": infra.kafka_bootstrap,
        "kafka_security_protocol": infra.kafka_security_protocol,
        "kafka_username": infra.kafka_username,
        "kafka_password": SecretStr(infra.kafka_password) if infra.kafka_password is not None else None,
    }


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest_asyncio.fixture
async def topic_prefix(unique: str, kafka_settings) -> AsyncIterator[str]:
    """A prefix that gives this test topics and consumer groups of its own; its topics are deleted
    after the test, so that the broker of a developer's machine does not grow with every run."""
    prefix = f"t{unique}."
    yield prefix
    await delete_topics(kafka_settings, prefix)


async def delete_topics(kafka_settings, prefix: str) -> None:
    """Delete every topic whose name starts with `prefix` (and, with them, their partitions' files)."""
    from extranet_plumbing.kafka import new_admin

    admin = new_admin(kafka_settings, client_id="tests")
    await admin.start()
    try:
        doomed = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


@pytest.fixture
def db_schema(unique: str) -> str:
    return f"t_{unique}"


@pytest_asyncio.fixture
async def db_pool(infra, db_schema: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh schema, dropped after the test."""
    from extranet_plumbing.db import create_pool

    pool = await create_pool(infra.database_url, db_schema, max_size=5)
    try:
        yield pool
    finally:
        await pool.execute(f"DROP SCHEMA IF EXISTS {db_schema} CASCADE")
        await pool.close()


@pytest_asyncio.fixture
async def kafka_producer(kafka_settings) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(**client_kwargs(kafka_settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def publish_event(
    producer: AIOKafkaProducer, topic: str, event: Event, *, tenant: str = "mbtp", envelope: Envelope | None = None
) -> Envelope:
    """Publish one event as the legacy system would; return its envelope."""
    envelope = envelope or Envelope(type=event.TYPE, version=event.VERSION, source="urn:test", tenant=tenant, key=event.key())
    await producer.send_and_wait(topic, value=event.model_dump_json().encode(), key=envelope.key.encode(), headers=envelope.to_headers())
    return envelope


async def read_topic(target: KafkaTarget, topic: str, *, expected: int, timeout: float = 20.0) -> list[Any]:
    """Every record of `topic` from the beginning, once `expected` have arrived (or the timeout).
    `target`: Kafka settings, or a bootstrap address (credentials from the environment)."""
    consumer = AIOKafkaConsumer(topic, **client_kwargs(target), auto_offset_reset="earliest", enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for partition_records in batch.values():
                records.extend(partition_records)
        if len(records) >= expected:  # anything more that is already there
            for partition_records in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def wait_until(check: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.2) -> Any:
    """Wait until `check()` (sync or async) returns a truthy value; return it, or fail."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def logging_configured(service: str = "test"):
    """The services' logging (JSON lines on stdout, redaction: `configure_logging`) for a block, the root logger's
    handlers and level and structlog's configuration put back after it (a test reads the lines with capsys)."""
    import logging

    import structlog

    from extranet_plumbing.logging import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configured = structlog.get_config()
    # Loggers not cached: one first used in the block would keep its configuration for the rest of the test process
    # (a later `structlog.testing.capture_logs` would not see it).
    configure_logging(service, fmt="json", cache=False)
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, level
        structlog.configure(**configured)


@contextlib.asynccontextmanager
async def served(settings: ServiceSettings, app: Any) -> AsyncIterator[str]:
    """`app` on a real uvicorn server configured as the service runs it (`serve.server_config`: forwarded
    headers, no banner), on a free loopback port; yields its base URL."""
    server = uvicorn.Server(server_config(settings.model_copy(update={"http_port": free_port()}), app))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # the server could not start: say why
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def mailbox(tmp_path):
    """A real SMTP server on loopback that keeps what it receives (devstack's mail viewer)."""
    from devstack.mailbox import Mailbox

    box = Mailbox(tmp_path / "mail").start()
    yield box
    box.stop()


@pytest.fixture
def smsbox():
    """An HTTP server on loopback speaking Twilio's Messages API (devstack's SMS viewer)."""
    from devstack.smsbox import SmsBox

    box = SmsBox().start()
    yield box
    box.stop()


@dataclass(frozen=True)
class JwtKeys:
    private_pem: bytes
    public_pem: bytes
    private_file: Any
    public_file: Any


def new_jwt_keys(directory) -> JwtKeys:
    """A fresh Ed25519 key pair written as PEM files in `directory`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (directory / "jwt-private.pem").write_bytes(private_pem)
    (directory / "jwt-public.pem").write_bytes(public_pem)
    return JwtKeys(private_pem, public_pem, directory / "jwt-private.pem", directory / "jwt-public.pem")


@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory) -> JwtKeys:
    return new_jwt_keys(tmp_path_factory.mktemp("jwt"))


@dataclass(frozen=True)
class SealKeys:
    """The notifications service's sealing key pair, as PEM files (private: notifications; public: requesters)."""

    private_pem: bytes
    private_file: Any
    public_file: Any


@pytest.fixture(scope="session")
def seal_keys(tmp_path_factory) -> SealKeys:
    from extranet_plumbing.sealing import new_key_pair

    directory = tmp_path_factory.mktemp("seal")
    private, public = new_key_pair()
    (directory / "seal-private.pem").write_bytes(private)
    (directory / "seal-public.pem").write_bytes(public)
    return SealKeys(private, directory / "seal-private.pem", directory / "seal-public.pem")


def opened(request: Any, keys: SealKeys) -> Any:
    """A notification request as the notifications service reads it: its sealed values opened and
    merged into `data` (after checking that none of them travelled in clear)."""
    from extranet_plumbing.sealing import Opener

    if not request.sealed_data:
        return request
    secret = Opener(keys.private_pem).open(request.sealed_data, context=request.seal_context())
    raw = request.model_dump_json()
    assert not any(str(value) in raw for value in secret.values()), "a sealed value also travels in clear"
    return request.model_copy(update={"data": {**request.data, **secret}, "sealed_data": None})


# The service-to-service credentials of the services a test starts (service_env): the gateway sends
# the first on every call (`X-Service-Credential`), an operator's tool the second to /internal/*.
GATEWAY_CREDENTIAL = "test-gateway-credential-" + uuid.uuid4().hex
OPERATOR_CREDENTIAL = "test-operator-credential-" + uuid.uuid4().hex
GATEWAY_HEADERS = {"X-Service-Credential": GATEWAY_CREDENTIAL}
OPERATOR_HEADERS = {"X-Service-Credential": OPERATOR_CREDENTIAL}


@pytest.fixture
def service_env(infra, jwt_keys, seal_keys, topic_prefix: str, db_schema: str) -> dict[str, Any]:
    """Settings shared by the services a test starts: real endpoints (Kafka's super user: the test's
    topics have its prefix), its own topics and schema."""
    from pydantic import SecretStr

    return {
        **infra_kafka(infra),
        "database_url": SecretStr(infra.database_url),
        "topic_prefix": topic_prefix,
        "db_schema": db_schema,
        "jwt_public_key_file": jwt_keys.public_file,
        "notifications_seal_key_file": seal_keys.public_file,
        "seal_private_key_file": seal_keys.private_file,
        "log_format": "console",
        "gateway_credential": SecretStr(GATEWAY_CREDENTIAL),
        "operator_credential": SecretStr(OPERATOR_CREDENTIAL),
    }


class FakeUnitOfWork:
    """A unit of work for handler unit tests (no database, no Kafka): repositories are the fakes
    given as keyword arguments; `published` holds (event, tenant) and `commits` counts commits."""

    def __init__(self, settings: Any = None, **repositories: Any) -> None:
        from extranet_plumbing.settings import ServiceSettings

        self.settings = settings or ServiceSettings(service_name="test")
        self.published: list[tuple[Event, str]] = []
        self.commits = 0
        for name, repository in repositories.items():
            setattr(self, name, repository)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        return None

    async def publish(self, event: Event, *, tenant: str, envelope: Envelope | None = None) -> Envelope:
        self.published.append((event, tenant))
        return envelope or Envelope(
            type=event.TYPE, version=event.VERSION, source=self.settings.event_source, tenant=tenant, key=event.key()
        )


@contextlib.asynccontextmanager
async def consuming(
    bootstrap: str, *, group: str, handlers: Any, pool: asyncpg.Pool, producer: AIOKafkaProducer, topic_prefix: str, **options: Any
) -> AsyncIterator[Any]:
    """An `EventConsumer` of `handlers` reading the real Kafka at `bootstrap` for the block (FastStream's broker started,
    stopped after it); `options` go to the consumer (retry, infrastructure_backoff...), `logger` to the broker."""
    from faststream.kafka import KafkaBroker

    from extranet_plumbing.consumer import EventConsumer
    from extranet_plumbing.kafka import broker_security
    from extranet_plumbing.settings import ServiceSettings

    logger = options.pop("logger", None)
    broker = KafkaBroker(bootstrap, security=broker_security(bootstrap), **({"logger": logger} if logger is not None else {}))
    consumer = EventConsumer(
        group=group, handlers=handlers, settings=ServiceSettings(topic_prefix=topic_prefix), pool=pool, producer=producer, **options
    )
    consumer.subscribe(broker)
    await broker.start()
    try:
        yield consumer
    finally:
        await broker.stop()
