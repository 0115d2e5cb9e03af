"""A secondary correspondent granted some insured groups of a contract (issue 12, guide 003) acts only on the
employees of those groups: their termination, their card, and, as an affiliation joins the active group, the
affiliation of a new employee only where it manages group A. The others are not found, as in portfolio."""

from __future__ import annotations

import pytest

from extranet_contracts.testing import colleague_affiliated, contract_signed, member_affiliated
from extranet_plumbing.testing import publish_event, wait_until

COMPANY, CONTRACT = "12345678", "W1-000123"
LEA = member_affiliated()  # 73000042, group A (Actif) of W1-000123
JEAN = colleague_affiliated()
TERMINATION = {"contract_number": CONTRACT, "effective_date": "2026-12-31", "reason": "DEMISSION"}


@pytest.fixture
async def employees(enrollment, kafka_producer, service_env):
    prefix = service_env["topic_prefix"]
    await publish_event(kafka_producer, prefix + "legacy.contracts", contract_signed(insured_groups=["A", "P"]))
    for event in (LEA, JEAN):
        await publish_event(kafka_producer, prefix + "legacy.memberships", event)
    await wait_until(lambda: enrollment.pool.fetchval("SELECT count(*) = 2 FROM memberships WHERE insured_group IS NOT NULL"))
    await wait_until(lambda: enrollment.pool.fetchval("SELECT count(*) FROM contracts"))


def granted(tokens, groups: list[str], subject: str) -> dict[str, str]:
    scope = {"company_code": COMPANY, "contracts": [CONTRACT], "contract_groups": {CONTRACT: groups}, "primary": False}
    return tokens("correspondent", scope, subject=subject)


async def test_a_secondary_correspondent_terminates_only_the_employees_of_its_groups(enrollment, api, tokens, employees):
    only_p = granted(tokens, ["P"], "corr-p")
    lea = await api.post("/internal/requests/employee-termination", json={**TERMINATION, "member_number": "73000042"}, headers=only_p)
    assert lea.status_code == 404 and "Aucun salarié" in lea.json()["detail"]
    assert "DURAND" not in lea.text.upper()
    jean = await api.post("/internal/requests/employee-termination", json={**TERMINATION, "member_number": "73000043"}, headers=only_p)
    assert jean.status_code == 201, jean.text
    assert jean.json()["subject"].startswith("LE GALL Jean")
    # The correspondent of group A only: the other way round.
    only_a = granted(tokens, ["A"], "corr-a")
    other = await api.post("/internal/requests/employee-termination", json={**TERMINATION, "member_number": "73000043"}, headers=only_a)
    assert other.status_code == 404
    assert await enrollment.pool.fetchval("SELECT count(*) FROM requests") == 1


async def test_a_secondary_correspondent_orders_cards_for_the_employees_of_its_groups_only(api, tokens, employees):
    only_p = granted(tokens, ["P"], "corr-p")
    lea = await api.post("/internal/requests/tp-card", json={"member_number": "73000042", "contract_number": CONTRACT}, headers=only_p)
    assert lea.status_code == 404
    jean = await api.post("/internal/requests/tp-card", json={"member_number": "73000043", "contract_number": CONTRACT}, headers=only_p)
    assert jean.status_code == 201, jean.text


async def test_only_a_correspondent_of_the_active_group_affiliates_a_new_employee(enrollment, api, tokens, employees):
    refused = await api.post("/internal/requests/affiliation", json={"contract_number": CONTRACT}, headers=granted(tokens, ["P"], "corr-p"))
    assert refused.status_code == 403 and "groupe des actifs" in refused.json()["detail"]
    allowed = await api.post("/internal/requests/affiliation", json={"contract_number": CONTRACT}, headers=granted(tokens, ["A"], "corr-a"))
    assert allowed.status_code == 201, allowed.text
    invited = await api.post(
        "/internal/invitations",
        json={
            "contract_number": CONTRACT,
            "employees": [{"civility": "M", "last_name": "Petit", "first_name": "Marc", "email": "m@example.org"}],
        },
        headers=granted(tokens, ["P"], "corr-p"),
    )
    assert invited.status_code == 403
    assert await enrollment.pool.fetchval("SELECT count(*) FROM requests") == 1


async def test_the_history_of_a_secondary_correspondent_holds_the_requests_of_its_groups_only(api, tokens, employees):
    """« Historique des demandes » (home, 90 days) and « Suivi »: the company's requests about the employees of the groups
    the correspondent manages, an affiliation being about the active group (A); the primary correspondent sees them all."""
    primary = tokens.correspondent()
    jean = await api.post("/internal/requests/employee-termination", json={**TERMINATION, "member_number": "73000043"}, headers=primary)
    lea = await api.post("/internal/requests/tp-card", json={"member_number": "73000042", "contract_number": CONTRACT}, headers=primary)
    newcomer = await api.post("/internal/requests/affiliation", json={"contract_number": CONTRACT}, headers=primary)
    assert {jean.status_code, lea.status_code, newcomer.status_code} == {201}, (jean.text, lea.text, newcomer.text)

    async def seen(headers: dict, **params) -> set[str]:
        answer = await api.get("/internal/requests", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return {item["id"] for item in answer.json()["items"]}

    everything = {jean.json()["id"], lea.json()["id"], newcomer.json()["id"]}
    assert await seen(primary) == everything
    assert await seen(granted(tokens, ["P"], "corr-p")) == {jean.json()["id"]}
    assert await seen(granted(tokens, ["A"], "corr-a")) == {lea.json()["id"], newcomer.json()["id"]}
    assert await seen(granted(tokens, ["A"], "corr-a"), kind="tp_card") == {lea.json()["id"]}
    assert await seen(granted(tokens, ["A", "P"], "corr-ap")) == everything
    # Groups limited for every contract (the scope's insured_groups) rather than contract by contract.
    everywhere_p = tokens("correspondent", {"company_code": COMPANY, "contracts": [CONTRACT], "insured_groups": ["P"]}, subject="corr-x")
    assert await seen(everywhere_p) == {jean.json()["id"]}
    # Another contract's grant says nothing of this one's requests.
    elsewhere = tokens(
        "correspondent", {"company_code": COMPANY, "contracts": ["W1-000999"], "contract_groups": {"W1-000999": ["A"]}}, subject="y"
    )
    assert await seen(elsewhere) == set()
