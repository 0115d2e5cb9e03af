"""What an operator reads on a service's /metrics (issue 14), on a real uvicorn, Kafka and PostgreSQL: events handled,
failed and dead-lettered by type, the consumer group's lag, the outbox's backlog and age, the HTTP latency by route
template; and never a path or an id in a label."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import APIRouter
from prometheus_client.parser import text_string_to_metric_families

from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned, BrokerRegistered
from extranet_contracts.testing import broker_registered
from extranet_plumbing import metrics
from extranet_plumbing.dependencies import SERVICE_CREDENTIAL_HEADER
from extranet_plumbing.kafka import dlq_topic
from extranet_plumbing.outbox import add_to_outbox
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.service import Service, Subscription
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import OPERATOR_CREDENTIAL, publish_event, read_topic, served, wait_until

POISON = "M66666"  # a broker code the handler can never apply


class Metrics:
    def __init__(self, url: str) -> None:
        self.url = url

    async def text(self) -> str:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.url}/metrics", headers={SERVICE_CREDENTIAL_HEADER: OPERATOR_CREDENTIAL})
        response.raise_for_status()
        return response.text

    async def value(self, name: str, **labels: str) -> float | None:
        """The sample `name` whose labels include `labels` (None if there is none)."""
        for family in text_string_to_metric_families(await self.text()):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    return sample.value
        return None


@pytest.fixture
async def service(service_env, monkeypatch):
    monkeypatch.setattr(metrics, "LAG_INTERVAL", 0.3)
    settings = ServiceSettings(**service_env, service_name="metrics-test")
    gate = asyncio.Event()
    gate.set()

    async def apply(event: BrokerRegistered, envelope, uow) -> None:
        if event.broker_code == POISON:
            raise RuntimeError("cannot apply this one")
        await gate.wait()  # a test holds the consumer here to see its lag

    router = APIRouter()

    @router.get("/brokers/{broker_code}")
    async def broker(broker_code: str) -> dict:
        return {"broker_code": broker_code}

    svc = Service(
        settings,
        title="metrics test",
        schema=service_env["db_schema"],
        subscriptions=[Subscription("metrics", {BrokerRegistered: apply}, retry=RetryPolicy(attempts=2, base_delay=0.01))],
        routers=[router],
        relay_outbox=True,
    )
    async with served(settings, svc.app) as url:
        svc.gate, svc.metrics, svc.group = gate, Metrics(url), settings.group_id("metrics")
        svc.topic = settings.topic(BrokerRegistered.STREAM)
        yield svc


async def test_events_handled_failed_and_dead_lettered_by_type(service, kafka_producer, infra):
    m, group = service.metrics, service.group
    await publish_event(kafka_producer, service.topic, broker_registered(broker_code="M10001"))
    await publish_event(kafka_producer, service.topic, broker_registered(broker_code=POISON))
    await read_topic(infra.kafka_bootstrap, dlq_topic(service.topic), expected=1)

    by_type = {"consumer_group": group, "event_type": "BrokerRegistered"}
    assert await wait_until(lambda: m.value("extranet_events_handled_total", **by_type)) == 1
    assert await m.value("extranet_events_failed_total", **by_type) == 2  # both attempts of the poison
    assert await m.value("extranet_events_dead_lettered_total", **by_type, topic=service.topic, reason="RuntimeError") == 1


async def test_consumer_lag_rises_while_the_group_is_held_and_falls_once_it_commits(service, kafka_producer):
    m = service.metrics
    service.gate.clear()
    for n in range(3):
        await publish_event(kafka_producer, service.topic, broker_registered(broker_code=f"M2000{n}"))

    async def lag() -> float:
        async def partition(p: int) -> float:
            return await m.value("extranet_consumer_lag", consumer_group=service.group, topic=service.topic, partition=str(p)) or 0

        text = await m.text()
        partitions = {
            s.labels["partition"] for f in text_string_to_metric_families(text) for s in f.samples if s.name == "extranet_consumer_lag"
        }
        return sum([await partition(int(p)) for p in partitions])

    await wait_until(lambda: _equals(lag, 3))
    service.gate.set()
    await wait_until(lambda: _equals(lag, 0))


async def test_outbox_backlog_and_age_of_the_oldest(service, kafka_producer):
    m, labels = service.metrics, {"schema": service.schema}
    event = BrokerPortfolioCompanyAssigned(broker_code="M30001", company_code="87654321", assigned_on="2026-11-02")
    async with service.pool.acquire() as conn, conn.transaction():
        envelope = await add_to_outbox(conn, event, tenant="mbtp", source="urn:test", topic=service.topic)
        # Not due before an hour (as after failed publishes), written a minute ago: pending, and old.
        await conn.execute(
            "UPDATE outbox SET next_attempt_at = now() + interval '1 hour', created_at = now() - interval '60 seconds' WHERE event_id = $1",
            envelope.id,
        )
    assert await wait_until(lambda: m.value("extranet_outbox_pending", **labels)) == 1
    assert await m.value("extranet_outbox_oldest_age_seconds", **labels) >= 60

    await service.pool.execute("UPDATE outbox SET next_attempt_at = now() WHERE event_id = $1", envelope.id)
    await wait_until(lambda: _equals(lambda: m.value("extranet_outbox_pending", **labels), 0))
    assert await m.value("extranet_outbox_oldest_age_seconds", **labels) == 0


async def test_http_latency_by_route_template_never_the_path(service):
    m = service.metrics
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    unmatched_before = await m.value("extranet_http_request_duration_seconds_count", **unmatched) or 0
    async with httpx.AsyncClient(base_url=m.url) as client:
        assert (await client.get("/brokers/M40001")).status_code == 200
        assert (await client.get("/nowhere/M40002")).status_code == 404
    route = {"route": "/brokers/{broker_code}", "method": "GET", "status": "200"}
    assert await m.value("extranet_http_request_duration_seconds_count", **route) == 1
    assert await m.value("extranet_http_request_duration_seconds_count", **unmatched) == unmatched_before + 1
    text = await m.text()
    assert "M40001" not in text and "M40002" not in text and "/nowhere" not in text


async def _equals(read, expected: float) -> bool:
    return await read() == expected
