"""A secondary correspondent granted some insured groups of a contract (issue 12, guide 003) acts only on the
employees of those groups: their termination, their card, and, as an affiliation joins the active group, the
affiliation of a new employee only where it manages group A. The others are not found, as in portfolio."""

from __future__ import annotations

import pytest

from extranet_contracts.testing import contract_signed, member_affiliated
from extranet_plumbing.testing import publish_event, wait_until

COMPANY, CONTRACT = "12345678", "W1-000123"
LEA = member_affiliated()  # 73000042, group A (Actif) of W1-000123
JEAN = member_affiliated(
    membership_id="ADH-0000043",
    member_number="73000043",
    insured_group="P",
    primary={"civility": "M", "last_name": "Le Gall", "first_name": "Jean", "birth_date": "1985-12-01", "nir": "185127800608409"},
    dependants=[],
)
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
