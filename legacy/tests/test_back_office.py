"""`legacy-back-office`, the legacy system's back office as a process of `devstack run`: it decides the
portals' requests with the policy of its environment (a termination left to an advisor, anything else
accepted), reads its Kafka password from a file, and says it is ready on its health port while it runs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import httpx

from extranet_contracts.decisions import DECISIONS, RequestAccepted, RequestReferredToAdvisor
from extranet_contracts.households import HOUSEHOLDS
from extranet_contracts.legacy import MEMBERSHIPS
from extranet_contracts.requests import PORTAL_REQUESTS
from extranet_contracts.testing import affiliation_requested, employee_termination_requested
from extranet_plumbing.kafka import ensure_topics
from extranet_plumbing.testing import free_port, publish_event, read_topic, wait_until
from legacy_simulator import back_office


async def _ready(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_the_back_office_decides_by_its_policy_and_says_it_is_ready(
    infra, kafka_settings, topic_prefix, kafka_producer, tmp_path, monkeypatch
):
    await ensure_topics(kafka_settings, [topic_prefix + t for t in (PORTAL_REQUESTS, DECISIONS, MEMBERSHIPS, HOUSEHOLDS)], with_dlq=False)
    password = tmp_path / "kafka-password"
    password.write_text((os.environ.get("EXTRANET_KAFKA_PASSWORD") or "") + "\n")
    port = free_port()
    monkeypatch.delenv("EXTRANET_KAFKA_PASSWORD", raising=False)
    for name, value in {
        "EXTRANET_KAFKA_PASSWORD_FILE": str(password),
        "EXTRANET_HTTP_PORT": str(port),
        "EXTRANET_TOPIC_PREFIX": topic_prefix,
        "EXTRANET_BACK_OFFICE_POLICY": "accept,EmployeeTerminationRequested=advisor",
        "EXTRANET_BACK_OFFICE_STATE": str(tmp_path / "state.json"),
    }.items():
        monkeypatch.setenv(name, value)
    stop = asyncio.Event()
    running = asyncio.create_task(back_office.main_async(stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_until(lambda: _ready(client))
            assert (await client.get("/elsewhere")).status_code == 404
        termination, affiliation = employee_termination_requested(), affiliation_requested()
        await publish_event(kafka_producer, topic_prefix + PORTAL_REQUESTS, termination)
        await publish_event(kafka_producer, topic_prefix + PORTAL_REQUESTS, affiliation)
        decisions = await read_topic(infra.kafka_bootstrap, topic_prefix + DECISIONS, expected=2)
    finally:
        stop.set()
        assert await running == 0
    by_request = {d.key.decode(): d.value for d in decisions}
    assert RequestReferredToAdvisor.model_validate_json(by_request[str(termination.request_id)]).request_id == termination.request_id
    assert RequestAccepted.model_validate_json(by_request[str(affiliation.request_id)]).request_id == affiliation.request_id


async def test_the_back_office_process_logs_as_the_services_do(infra, kafka_settings, topic_prefix):
    """Its process configures the platform's logging: JSON lines naming the process, on stdout (devstack's log file)."""
    await ensure_topics(kafka_settings, [topic_prefix + t for t in (PORTAL_REQUESTS, DECISIONS, MEMBERSHIPS, HOUSEHOLDS)], with_dlq=False)
    port = free_port()
    environment = {**os.environ, "EXTRANET_HTTP_PORT": str(port), "EXTRANET_TOPIC_PREFIX": topic_prefix, "EXTRANET_LOG_FORMAT": "json"}
    environment.pop("EXTRANET_BACK_OFFICE_STATE", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from legacy_simulator.back_office import main; main()",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_until(lambda: _ready(client), timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    started = [line for line in lines if line["event"] == "legacy back office deciding the portals' requests"]
    assert started and started[0]["service"] == "legacy-back-office" and started[0]["level"] == "info"
