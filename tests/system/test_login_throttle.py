"""Login throttling through the gateway as it is served (uvicorn, forwarded headers from configured
proxies only): a forged X-Forwarded-For buys no fresh bucket, and an address that logs in correctly
many times (a company behind one NAT) is never refused for it."""

from __future__ import annotations

import asyncio

import httpx

from extranet_plumbing.testing import served
from identity.adapters.captcha import TEST_SOLUTION

BROKER, PASSWORD = "CRT0042", "Ardoise-Marine-2026"


async def test_a_forged_forwarded_address_does_not_escape_the_failure_count(platform):
    await platform.create_broker_login(BROKER, PASSWORD)
    settings = platform.identity.settings
    wrong = {"portal": "broker", "identifier": BROKER, "password": "devine-2026!"}
    async with served(platform.gateway_service.settings, platform.gateway_service.app) as url, httpx.AsyncClient(base_url=url) as client:
        # Every failure claims to come from elsewhere; the per-account lockout is kept out of the way
        # by trying an unknown identifier, which fails the same.
        for n in range(settings.login_failures_before_captcha):
            forged = {"x-forwarded-for": f"198.51.100.{n + 1}", "x-real-ip": f"192.0.2.{n + 1}"}
            answer = await client.post("/api/auth/login", json={**wrong, "identifier": "CRT9999"}, headers=forged)
            assert answer.status_code == 401, answer.text
        right = {"portal": "broker", "identifier": BROKER, "password": PASSWORD}
        asked = await client.post("/api/auth/login", json=right, headers={"x-forwarded-for": "198.51.100.200"})
        assert asked.status_code == 400
        assert [e["field"] for e in asked.json()["errors"]] == ["captcha"]
        solved = await client.post("/api/auth/login", json={**right, "captcha": TEST_SOLUTION})
        assert solved.status_code == 200, solved.text


async def test_an_office_behind_one_address_logs_in_as_often_as_its_people_do(platform):
    await platform.create_broker_login(BROKER, PASSWORD)
    right = {"portal": "broker", "identifier": BROKER, "password": PASSWORD}
    async with served(platform.gateway_service.settings, platform.gateway_service.app) as url, httpx.AsyncClient(base_url=url) as client:
        # Three times the limit the other flows put on one address in a window, a few at a time.
        gate = asyncio.Semaphore(4)

        async def log_in() -> int:
            async with gate:
                return (await client.post("/api/auth/login", json=right)).status_code

        answers = await asyncio.gather(*(log_in() for _ in range(3 * platform.identity.settings.throttle_per_address)))
    assert answers == [200] * len(answers)
