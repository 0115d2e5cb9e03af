"""Fixtures of the notifications tests: the real Kafka and PostgreSQL of the shared plugin, a real SMTP
server and a Twilio-compatible SMS API on loopback (devstack.mailbox, devstack.smsbox), and the
service started in-process with fast retries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from extranet_contracts import Envelope
from extranet_contracts.notifications import OUTCOMES, REQUESTS, NotificationRequested
from extranet_plumbing.testing import publish_event, read_topic, wait_until
from notifications.adapters.sms import TwilioSms
from notifications.bootstrap import bootstrap
from notifications.settings import NotificationsSettings

FAST = {
    "retry_base_delay": 0.2,
    "retry_max_delay": 0.5,
    "max_attempts": 5,
    "poll_interval": 0.1,
    "reconcile_interval": 1.0,
    "stop_grace": 2.0,
    "smtp_timeout": 5.0,
    "sms_timeout": 5.0,
    "log_level": "WARNING",
}


@pytest.fixture
def settings_for(service_env, mailbox, smsbox) -> Callable[..., NotificationsSettings]:
    """Settings pointing at the loopback servers; keyword arguments override."""

    def make(**overrides: Any) -> NotificationsSettings:
        values = {
            **service_env,
            "smtp_host": mailbox.host,
            "smtp_port": mailbox.smtp_port,
            "sms_api_base_url": smsbox.base_url,
            "twilio_account_sid": smsbox.account_sid,
            "twilio_auth_token": smsbox.auth_token,
            **FAST,
        }
        values.update(overrides)
        return NotificationsSettings(**values)

    return make


@pytest.fixture
async def start_service(settings_for, service_env):
    """Start the service in-process (as many times as asked); everything stopped and dropped after."""
    started = []

    async def start(*, wrap_sms: Callable[[TwilioSms], Any] | None = None, **overrides: Any):
        settings = settings_for(**overrides)
        runtime = bootstrap(settings, sms=wrap_sms(TwilioSms(settings)) if wrap_sms else None)
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        if runtime.pool is not None and not runtime.pool.is_closing():
            await runtime.stop()
    conn = await asyncpg.connect(service_env["database_url"].get_secret_value())
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {service_env['db_schema']} CASCADE")
    finally:
        await conn.close()


class Kit:
    """Helpers of a test: build and publish requests, read outcomes, look at the deliveries table."""

    def __init__(self, producer, service_env: dict[str, Any]) -> None:
        self.producer = producer
        self.env = service_env

    @staticmethod
    def notification(
        template: str,
        *,
        email: str | None = "lea.durand@example.fr",
        phone: str | None = None,
        channels: tuple[str, ...] = ("email",),
        preferred: str | None = None,
        reference: str = "member:73000042",
        display_name: str | None = "Léa Durand",
        **data: Any,
    ) -> NotificationRequested:
        return NotificationRequested(
            recipient={"reference": reference, "email": email, "phone": phone, "display_name": display_name},
            channels=list(channels),
            preferred_channel=preferred,
            template=template,
            data=data,
        )

    async def request(self, event: NotificationRequested, *, tenant: str = "mbtp", envelope: Envelope | None = None) -> Envelope:
        return await publish_event(self.producer, self.env["topic_prefix"] + REQUESTS, event, tenant=tenant, envelope=envelope)

    async def outcomes(self, *, expected: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The outcome events so far, as {type, **value}, one per request id (the relay may publish twice)."""
        records = await read_topic(self.env["kafka_bootstrap"], self.env["topic_prefix"] + OUTCOMES, expected=expected, timeout=timeout)
        found: dict[str, dict[str, Any]] = {}
        for record in records:
            value = json.loads(record.value)
            found.setdefault(value["request_id"], {"type": dict(record.headers)["ce_type"].decode(), **value})
        return list(found.values())

    async def dead_letters(self, *, expected: int, timeout: float = 20.0) -> list[dict[str, str]]:
        records = await read_topic(
            self.env["kafka_bootstrap"], self.env["topic_prefix"] + REQUESTS + ".dlq", expected=expected, timeout=timeout
        )
        return [{name: value.decode() for name, value in record.headers} for record in records]

    @staticmethod
    async def row(runtime, request_id: uuid.UUID) -> dict[str, Any] | None:
        row = await runtime.pool.fetchrow("SELECT * FROM deliveries WHERE request_id = $1", request_id)
        return dict(row) if row else None

    async def wait_status(self, runtime, request_id: uuid.UUID, *statuses: str, timeout: float = 20.0) -> dict[str, Any]:
        async def reached():
            row = await self.row(runtime, request_id)
            return row if row and row["status"] in statuses else None

        return await wait_until(reached, timeout=timeout, interval=0.1)


@pytest.fixture
def kit(kafka_producer, service_env) -> Kit:
    return Kit(kafka_producer, service_env)
