"""Login throttling counts failures, not people: one address (a company behind one NAT) logs in as
often as its people do, while guessing from it meets a captcha, then a refusal."""

from __future__ import annotations

import asyncio

import pytest

from identity.adapters.captcha import TEST_SOLUTION
from identity.service_layer.errors import CAPTCHA_REQUIRED, TOO_MANY

from .test_flows import MEMBER_PASSWORD, activate_member

OFFICE = "198.51.100.20"  # the address a whole office logs in from
RIGHT = {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD}
WRONG = {"portal": "member", "identifier": "73999999", "password": "devine-2026!"}


@pytest.fixture
def identity_overrides() -> dict:
    return {"login_failures_before_captcha": 4, "login_failures_per_address": 8, "throttle_per_address": 30}


async def logins(identity, body: dict, count: int, ip: str = OFFICE) -> list[int]:
    answers = []
    for _ in range(count):
        answers.append((await identity.post("/public/auth/login", body, ip=ip)).status_code)
    return answers


async def test_correct_logins_from_one_address_are_not_limited_by_the_failure_counts(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    # Twice the other flows' per-address limit and ten times the failures that call for a captcha.
    answers = await asyncio.gather(*(identity.post("/public/auth/login", RIGHT, ip=OFFICE) for _ in range(80)))
    assert [a.status_code for a in answers] == [200] * 80


async def test_failures_from_an_address_call_for_a_captcha_then_for_a_refusal(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    assert await logins(identity, WRONG, 4) == [401] * 4
    asked = await identity.post("/public/auth/login", RIGHT, ip=OFFICE)  # even the right password: the address is suspect
    assert asked.status_code == 400
    assert asked.json()["errors"] == [{"field": "captcha", "message": CAPTCHA_REQUIRED}]
    forged = await identity.post("/public/auth/login", {**RIGHT, "captcha": "forged"}, ip=OFFICE)
    assert forged.status_code == 400 and forged.json()["errors"][0]["field"] == "captcha"
    solved = await identity.post("/public/auth/login", {**RIGHT, "captcha": TEST_SOLUTION}, ip=OFFICE)
    assert solved.status_code == 200, solved.text
    # Another address is not suspect; the failures of this one keep counting, captcha or not.
    assert (await identity.post("/public/auth/login", RIGHT, ip="203.0.113.99")).status_code == 200
    assert await logins(identity, {**WRONG, "captcha": TEST_SOLUTION}, 4) == [401] * 4
    refused = await identity.post("/public/auth/login", {**RIGHT, "captcha": TEST_SOLUTION}, ip=OFFICE)
    assert refused.status_code == 429 and refused.json()["detail"] == TOO_MANY


async def test_failures_on_one_account_lock_it_whatever_the_addresses(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    wrong_password = {**RIGHT, "password": "mauvais-2026!"}
    for n in range(5):  # five addresses, one failure each: no address is suspect, the account is
        assert (await identity.post("/public/auth/login", wrong_password, ip=f"203.0.113.{n + 1}")).status_code == 401
    assert (await identity.post("/public/auth/login", RIGHT, ip="203.0.113.50")).status_code == 401
