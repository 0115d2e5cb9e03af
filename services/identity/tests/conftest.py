"""The identity service on a real Kafka broker and PostgreSQL, called over HTTP in-process, with a
clock the tests can move; notification requests are read back from Kafka as notifications would."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from extranet_contracts import Envelope
from extranet_contracts.notifications import NotificationRequested
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.testing import GATEWAY_HEADERS, opened, publish_event, read_topic, wait_until
from identity.adapters.captcha import TEST_SOLUTION, TestCaptchaVerifier
from identity.bootstrap import bootstrap
from identity.settings import IdentitySettings


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Identity:
    def __init__(self, service, client: httpx.AsyncClient, infra, prefix: str, clock: Clock) -> None:
        self.service, self.client, self.infra, self.prefix, self.clock = service, client, infra, prefix, clock
        self.seen: set = set()

    def headers(self, tenant: str = "mbtp", token: str | None = None, ip: str = "203.0.113.7") -> dict:
        headers = {"x-tenant": tenant, "x-client-ip": ip, **GATEWAY_HEADERS}  # as the gateway calls
        if token:
            headers["authorization"] = f"Bearer {token}"
        return headers

    async def post(self, path: str, body: dict | None = None, **kwargs) -> httpx.Response:
        return await self.client.post(path, json=body or {}, headers=self.headers(**kwargs))

    async def legacy(self, producer, event, tenant: str = "mbtp") -> None:
        """Publish a legacy event and wait until identity has applied it."""
        envelope = await publish_event(producer, self.prefix + event.STREAM, event, tenant=tenant)
        pool = self.service.pool

        async def applied() -> bool:
            return bool(await pool.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", envelope.id))

        await wait_until(applied)

    async def notifications(self, expected: int, timeout: float = 10.0) -> list[tuple[Envelope, NotificationRequested]]:
        """The notification requests published since the last call (through the outbox relay), in key order."""
        topic = self.prefix + "notifications.requests"
        records = await read_topic(self.infra.kafka_bootstrap, topic, expected=len(self.seen) + expected, timeout=timeout)
        fresh = [(Envelope.from_headers(r.headers), r) for r in sorted(records, key=lambda r: r.timestamp)]
        fresh = [(envelope, r) for envelope, r in fresh if envelope.id not in self.seen]
        self.seen |= {envelope.id for envelope, _ in fresh}
        # As the notifications service reads them: sealed codes and links opened (and checked absent in clear).
        return [(envelope, opened(NotificationRequested.model_validate_json(r.value), self.seal_keys)) for envelope, r in fresh]

    async def no_new_notification(self) -> None:
        assert await self.notifications(1, timeout=1.5) == []


@pytest.fixture
def identity_overrides() -> dict:
    """Settings a test module changes for its identity service (override this fixture)."""
    return {}


@pytest.fixture
async def identity(infra, service_env, jwt_keys, seal_keys, identity_overrides):
    clock = Clock()
    settings = IdentitySettings(**{**service_env, "jwt_private_key_file": jwt_keys.private_file, **identity_overrides})
    service = bootstrap(settings, verifier=TokenVerifier(jwt_keys.public_pem), captcha=TestCaptchaVerifier(), clock=clock)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(service.running())
        client = await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(service.app), base_url="http://identity"))
        found = Identity(service, client, infra, service_env["topic_prefix"], clock)
        found.jwt_public_pem = jwt_keys.public_pem
        found.seal_keys = seal_keys
        yield found
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {service_env['db_schema']} CASCADE")
    finally:
        await conn.close()


CAPTCHA = TEST_SOLUTION
