"""Kafka accepts nobody it does not know, and each service principal only at its topics: on a
throw-away embedded broker (free ports, its own root) set up by devstack from deploy/services.toml,
an anonymous client and a wrong password are refused, the portfolio principal may not read
`notifications.requests` (one-time codes, link tokens) while the notifications principal may, and
the portfolio service run as its principal consumes the legacy streams and dead-letters what it
cannot read."""

from __future__ import annotations

import os

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError
from pydantic import SecretStr

from devstack import declaration, kafka, kafka_access, keys
from devstack.config import Layout, Ports, find_root
from extranet_contracts import Envelope
from extranet_contracts.testing import broker_registered
from extranet_plumbing.kafka import client_kwargs
from extranet_plumbing.settings import KafkaSettings
from extranet_plumbing.testing import publish_event, read_topic, wait_until

REQUESTS = "notifications.requests"


class Broker:
    def __init__(self, layout: Layout, bootstrap: str) -> None:
        self.layout, self.bootstrap = layout, bootstrap

    def settings(self, principal: str, password: str | None = None) -> KafkaSettings:
        password = password if password is not None else keys.kafka_password(self.layout, principal)
        return KafkaSettings(kafka_bootstrap=self.bootstrap, kafka_username=principal, kafka_password=SecretStr(password))


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """An embedded Kafka of its own, with the users, topics and ACLs of deploy/services.toml."""
    if not kafka.libs_ready(Layout(find_root())):
        pytest.skip("no Kafka jars in .stack/kafka/libs: run `make setup`")
    import socket

    def free() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    layout = Layout(tmp_path_factory.mktemp("secured-kafka"))
    layout.kafka.mkdir(parents=True)
    os.symlink(Layout(find_root()).kafka_libs, layout.kafka_libs)
    ports = Ports(kafka=free(), kafka_controller=free(), postgres=1)
    proc = kafka.start(layout, ports)
    try:
        kafka.wait_ready(layout, ports, proc)
        assert kafka_access.apply(layout, f"127.0.0.1:{ports.kafka}", declaration.load(find_root()))
        yield Broker(layout, f"127.0.0.1:{ports.kafka}")
    finally:
        kafka.stop(layout, proc.pid)
        proc.wait(timeout=10)


async def _read(kwargs: dict, topic: str = REQUESTS, group: str | None = None) -> list:
    consumer = AIOKafkaConsumer(topic, **kwargs, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=3000)
        return [record for records in batch.values() for record in records]
    finally:
        await consumer.stop()


@pytest_asyncio.fixture(scope="module")
async def a_request(broker):
    producer = AIOKafkaProducer(**client_kwargs(broker.settings("admin")), enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(REQUESTS, b'{"code": "123456"}', key=b"k")
    finally:
        await producer.stop()


async def test_an_anonymous_client_is_refused(broker, a_request):
    with pytest.raises(KafkaConnectionError):
        await _read({"bootstrap_servers": broker.bootstrap})
    with pytest.raises(KafkaConnectionError):  # nor does the controller listener take anonymous clients
        await _read({"bootstrap_servers": _controller(broker)})


def _controller(broker: Broker) -> str:
    props = (broker.layout.kafka / "server.properties").read_text()
    return next(line.split("=", 1)[1] for line in props.splitlines() if line.startswith("controller.quorum.bootstrap.servers="))


async def test_a_wrong_password_is_refused(broker, a_request):
    with pytest.raises(KafkaConnectionError):
        await _read(client_kwargs(broker.settings("notifications", password="not-the-password")))


async def test_the_portfolio_principal_cannot_read_notification_requests(broker, a_request):
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(client_kwargs(broker.settings("portfolio")))
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(client_kwargs(broker.settings("portfolio")), group="portfolio-read-model")
    producer = AIOKafkaProducer(**client_kwargs(broker.settings("portfolio")), enable_idempotence=True)
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(REQUESTS, b"forged")
    finally:
        await producer.stop()


async def test_the_notifications_principal_reads_them_in_its_group(broker, a_request):
    records = await _read(client_kwargs(broker.settings("notifications")), group="notifications-intake")
    assert [r.value for r in records] == [b'{"code": "123456"}']


async def test_a_service_runs_as_its_principal(broker, infra, db_schema, jwt_keys, monkeypatch):
    """portfolio, as `portfolio`: consumes legacy.brokers (published by `legacy-simulator`) and writes
    what it cannot read to legacy.brokers.dlq."""
    from portfolio.bootstrap import bootstrap
    from portfolio.settings import PortfolioSettings

    for name in ("EXTRANET_KAFKA_USERNAME", "EXTRANET_KAFKA_PASSWORD"):  # nothing of the tests' super user
        monkeypatch.delenv(name, raising=False)
    own = broker.settings("portfolio")
    settings = PortfolioSettings(
        **own.model_dump(),
        service_name="portfolio",
        database_url=SecretStr(infra.database_url),
        db_schema=db_schema,
        jwt_public_key_file=jwt_keys.public_file,
        log_format="console",
    )
    service = bootstrap(settings)
    simulator = AIOKafkaProducer(**client_kwargs(broker.settings("legacy-simulator")), enable_idempotence=True)
    await simulator.start()
    try:
        async with service.running():
            event = broker_registered(broker_code="M00001")
            await publish_event(simulator, "legacy.brokers", event)
            bad = Envelope(type=event.TYPE, version=event.VERSION, source="urn:test", tenant="mbtp", key="M00002")
            await simulator.send_and_wait("legacy.brokers", b"not json", key=b"M00002", headers=bad.to_headers())
            await wait_until(lambda: service.pool.fetchval("SELECT count(*) FROM inbox"), timeout=30)
            dead = await read_topic(broker.settings("admin"), "legacy.brokers.dlq", expected=1, timeout=30)
            assert [r.key for r in dead] == [b"M00002"]
    finally:
        await simulator.stop()
        await _drop(infra.database_url, db_schema)


async def _drop(url: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


async def test_the_gateway_follows_the_revoked_sessions_that_only_identity_writes(broker, jwt_keys, monkeypatch):
    """The gateway, as `gateway` (no group, no write): ready once it has read identity.sessions, it
    refuses at once a session that `identity` revokes; it may not write there itself."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from extranet_contracts.sessions import SessionsRevoked
    from extranet_plumbing.auth import Principal
    from gateway.bootstrap import bootstrap
    from gateway.settings import GatewaySettings

    for name in ("EXTRANET_KAFKA_USERNAME", "EXTRANET_KAFKA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    settings = GatewaySettings(
        **broker.settings("gateway").model_dump(), gateway_credential="unused", jwt_public_key_file=jwt_keys.public_file
    )
    service = bootstrap(settings)
    session = uuid.uuid4()
    revoked = SessionsRevoked(
        account_id=uuid.uuid4(), session_ids=[session], until=datetime.now(UTC) + timedelta(minutes=11), reason="logout"
    )
    async with service.running():
        await wait_until(service.revocation_follower.ready, timeout=30)
        identity = AIOKafkaProducer(**client_kwargs(broker.settings("identity")), enable_idempotence=True)
        await identity.start()
        try:
            await publish_event(identity, "identity.sessions", revoked)
        finally:
            await identity.stop()
        who = Principal(subject=str(revoked.account_id), kind="broker", tenant="mbtp", session_id=str(session))
        await wait_until(lambda: service.revocations.is_revoked(who), timeout=10)
    intruder = AIOKafkaProducer(**client_kwargs(broker.settings("gateway")))
    await intruder.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await intruder.send_and_wait("identity.sessions", b"{}", key=b"x")
    finally:
        await intruder.stop()
