"""Requests end to end (issue 11): a company correspondent terminates an employee through the gateway, the
request goes to the legacy system on Kafka, the simulated legacy system decides it (at once, or through an
advisor of the back office) and publishes the radiation, and every portal follows its own requests; every
route refused to whoever may not see it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from extranet_contracts.legacy import MEMBERSHIPS
from extranet_contracts.testing import member_affiliated
from extranet_plumbing.testing import publish_event, wait_until

PASSWORD = "Demandes-Test-2026!"
COMPANY, CONTRACT, OTHER_CONTRACT = "12345678", "W1-000123", "W1-000999"
LEA = member_affiliated()  # 73000042, on W1-000123 of company 12345678


async def log_in(platform, portal: str, kind: str, identifier: str, scope: dict) -> dict[str, str]:
    return {"authorization": f"Bearer {await platform.account_token(portal, kind, identifier, PASSWORD, scope)}"}


@pytest.fixture
async def company(platform, kafka_producer, service_env):
    """Léa affiliated to the company's contract; its primary correspondent logged in."""
    await publish_event(kafka_producer, service_env["topic_prefix"] + MEMBERSHIPS, LEA)
    await wait_until(lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM memberships WHERE start_date IS NOT NULL"))
    return await log_in(
        platform, "employer", "correspondent", f"C{COMPANY}", {"company_code": COMPANY, "contracts": "all", "primary": True}
    )


async def terminate(platform, auth: dict, effective: date, reason: str = "DEMISSION"):
    body = {"contract_number": CONTRACT, "member_number": LEA.member_number, "effective_date": effective.isoformat(), "reason": reason}
    return await platform.gateway.post("/api/employer/requests/employee-termination", json=body, headers=auth)


async def status(platform, auth: dict, request_id: str) -> str:
    return (await platform.gateway.get(f"/api/employer/requests/{request_id}", headers=auth)).json()["status"]


async def a_date_in_the_window(platform, auth: dict) -> date:
    form = await platform.gateway.get("/api/employer/requests/forms/employee-termination", headers=auth)
    assert form.status_code == 200, form.text
    window = form.json()["window"]
    assert {"code": "DEMISSION", "label": "Démission"} in form.json()["choices"]["reason"]
    return min(date.fromisoformat(window["earliest"]) + timedelta(days=40), date.fromisoformat(window["latest"]))


async def test_a_termination_accepted_by_the_legacy_system_radiates_the_employee(platform, legacy_system, company):
    effective = await a_date_in_the_window(platform, company)
    async with legacy_system("accept"):
        draft = await terminate(platform, company, effective)
        assert draft.status_code == 201, draft.text
        request = draft.json()
        assert (request["status"], request["subject"], request["kind_label"]) == (
            "draft",
            "DURAND Léa (73000042)",
            "Radiation d'un salarié",
        )
        sent = await platform.gateway.post(f"/api/employer/requests/{request['id']}/submit", headers=company)
        assert sent.status_code == 200 and sent.json()["status"] == "submitted"
        year = int(sent.json()["submitted_at"][:4])
        await wait_until(lambda: _status_is(platform, company, request["id"], "accepted"))
        # The radiation the legacy system published came back: Léa is radiated on that date.
        await wait_until(
            lambda: platform.enrollment.pool.fetchval("SELECT end_date FROM memberships WHERE membership_id = $1", LEA.membership_id)
        )
        again = await terminate(platform, company, effective)
        assert again.status_code == 422 and "déjà radié" in again.json()["errors"][0]["message"]

    history = (await platform.gateway.get("/api/employer/requests", params={"year": year}, headers=company)).json()
    assert [(r["id"], r["status_label"]) for r in history["items"]] == [(request["id"], "Acceptée")]
    assert (await platform.gateway.get("/api/employer/requests", params={"year": year - 1}, headers=company)).json()["items"] == []
    detail = (await platform.gateway.get(f"/api/employer/requests/{request['id']}", headers=company)).json()
    assert [(s["status"], s["actor_label"]) for s in detail["history"]] == [
        ("draft", "Vous"),
        ("submitted", "Vous"),
        ("sent", "Plateforme"),
        ("accepted", "Service gestion"),
    ]
    assert (
        await platform.portfolio.pool.fetchval("SELECT end_date FROM memberships WHERE membership_id = $1", LEA.membership_id) == effective
    )


async def test_a_termination_left_to_an_advisor_is_refused_in_the_back_office(platform, legacy_system, company):
    effective = await a_date_in_the_window(platform, company)
    operator = await log_in(platform, "backoffice", "operator", "j.conseil", {"operator": True})
    async with legacy_system("EmployeeTerminationRequested=advisor"):
        request = (await terminate(platform, company, effective, "MUTATION")).json()
        await platform.gateway.post(f"/api/employer/requests/{request['id']}/submit", headers=company)
        await wait_until(lambda: _awaiting_advisor(platform, operator))
        waiting = (await platform.gateway.get("/api/backoffice/requests", params={"awaiting_advisor": "true"}, headers=operator)).json()
        assert [(r["id"], r["kind"], r["reference"]) for r in waiting["items"]] == [(request["id"], "employee_termination", COMPANY)]
        opened = (await platform.gateway.get(f"/api/backoffice/requests/{request['id']}", headers=operator)).json()
        assert opened["payload"]["reason"] == "MUTATION" and opened["awaiting_advisor"] is True
        refused = await platform.gateway.post(
            f"/api/backoffice/requests/{request['id']}/decision",
            json={"accepted": False, "reason": "Date de sortie non justifiée."},
            headers=operator,
        )
        assert refused.status_code == 200, refused.text
        await wait_until(lambda: _status_is(platform, company, request["id"], "refused"))
    mine = (await platform.gateway.get(f"/api/employer/requests/{request['id']}", headers=company)).json()
    assert mine["refusal_reason"] == "Date de sortie non justifiée."
    assert [s["actor"] for s in mine["history"]][-3:] == ["legacy", "advisor", "legacy"]
    # Refused: no radiation was published, and Léa can be terminated again.
    assert await platform.enrollment.pool.fetchval("SELECT end_date FROM memberships WHERE membership_id = $1", LEA.membership_id) is None
    assert (await terminate(platform, company, effective)).status_code == 201


async def test_every_route_refuses_who_may_not_see_the_request(platform, company):
    effective = await a_date_in_the_window(platform, company)
    request = (await terminate(platform, company, effective)).json()
    rid = request["id"]
    other_company = await log_in(
        platform, "employer", "correspondent", "C87654321", {"company_code": "87654321", "contracts": "all", "primary": True}
    )
    secondary = await log_in(
        platform, "employer", "correspondent", "corr.paie", {"company_code": COMPANY, "contracts": [OTHER_CONTRACT], "primary": False}
    )
    member = await log_in(platform, "member", "member", LEA.member_number, {"member_number": LEA.member_number})
    broker = await log_in(platform, "broker", "broker", "M12345", {"broker_code": "M12345"})

    routes = [
        ("GET", f"/api/employer/requests/{rid}", None),
        ("POST", f"/api/employer/requests/{rid}/submit", None),
        ("POST", f"/api/employer/requests/{rid}/cancel", None),
    ]
    for method, path, body in routes:
        assert (await platform.gateway.request(method, path, json=body)).status_code == 401
        for stranger in (other_company, secondary):  # not theirs, or on a contract not granted: not found alike
            assert (await platform.gateway.request(method, path, json=body, headers=stranger)).status_code == 404
        for other_portal in (member, broker):
            assert (await platform.gateway.request(method, path, json=body, headers=other_portal)).status_code == 403
    assert (await platform.gateway.get("/api/employer/requests", headers=other_company)).json()["items"] == []
    assert (await platform.gateway.get("/api/employer/requests", headers=secondary)).json()["items"] == []
    assert (await terminate(platform, secondary, effective)).status_code == 403  # the contract is not granted to them
    assert (await terminate(platform, other_company, effective)).status_code == 404  # not one of their employees
    assert (await platform.gateway.get("/api/member/requests", headers=member)).json()["items"] == []
    assert (await platform.gateway.get("/api/broker/requests", headers=broker)).json()["items"] == []
    for path in ("/api/backoffice/requests", f"/api/backoffice/requests/{rid}"):
        assert (await platform.gateway.get(path)).status_code == 401
        for not_operator in (company, member, broker):
            assert (await platform.gateway.get(path, headers=not_operator)).status_code == 403
    operator = await log_in(platform, "backoffice", "operator", "j.conseil", {"operator": True})
    assert (
        await platform.gateway.get(f"/api/backoffice/requests/{rid}", headers=operator)
    ).status_code == 404  # a draft stays the requester's
    # The owner: theirs, and a draft only until it is sent.
    assert (await platform.gateway.get(f"/api/employer/requests/{rid}", headers=company)).json()["status"] == "draft"
    assert (await platform.gateway.post(f"/api/employer/requests/{rid}/cancel", headers=company)).json()["status"] == "cancelled"
    assert (await platform.gateway.post(f"/api/employer/requests/{rid}/submit", headers=company)).status_code == 409


async def _status_is(platform, auth, request_id, expected: str) -> bool:
    return await status(platform, auth, request_id) == expected


async def _awaiting_advisor(platform, operator) -> bool:
    listed = await platform.gateway.get("/api/backoffice/requests", params={"awaiting_advisor": "true"}, headers=operator)
    return listed.json()["total"] > 0


async def test_a_member_orders_the_tp_card_and_follows_it_in_their_requests(platform, legacy_system):
    member = await log_in(platform, "member", "member", LEA.member_number, {"member_number": LEA.member_number})
    async with legacy_system("accept"):
        ordered = await platform.gateway.post("/api/member/requests/tp-card", headers=member)
        assert ordered.status_code == 201, ordered.text
        rid = ordered.json()["id"]
        await wait_until(lambda: _member_status_is(platform, member, rid, "accepted"))
    [listed] = (await platform.gateway.get("/api/member/requests", params={"kind": "tp_card"}, headers=member)).json()["items"]
    assert (listed["id"], listed["kind_label"], listed["status_label"]) == (rid, "Envoi de la carte de tiers payant", "Acceptée")
    broker = await log_in(platform, "broker", "broker", "M12345", {"broker_code": "M12345"})
    assert (await platform.gateway.post("/api/member/requests/tp-card", headers=broker)).status_code == 403
    assert (await platform.gateway.get(f"/api/member/requests/{rid}", headers=broker)).status_code == 403
    assert (await platform.gateway.post("/api/member/requests/tp-card")).status_code == 401


async def _member_status_is(platform, auth, request_id, expected: str) -> bool:
    return (await platform.gateway.get(f"/api/member/requests/{request_id}", headers=auth)).json()["status"] == expected


async def test_a_correspondent_adds_a_beneficiary_to_an_employees_cover(platform, legacy_system, company):
    form = (await platform.gateway.get("/api/employer/requests/forms/add-beneficiary", headers=company)).json()
    son = {"role": "ENFANT", "civility": "M", "last_name": "Durand", "first_name": "Noé", "birth_date": "2026-10-02"}
    body = {
        "member_number": LEA.member_number,
        "contract_number": CONTRACT,
        "beneficiary": son,
        "effective_date": form["window"]["earliest"],
    }
    url = "/api/employer/requests/add-beneficiary"
    unknown = await platform.gateway.post(url, json={**body, "member_number": "73009999"}, headers=company)
    assert unknown.status_code == 404 and "Aucun salarié" in unknown.json()["detail"]
    spouse = {**son, "role": "CONJOINT", "first_name": "Sam", "birth_date": "1980-01-01"}
    assert [
        e["field"] for e in (await platform.gateway.post(url, json={**body, "beneficiary": spouse}, headers=company)).json()["errors"]
    ] == ["beneficiary.nir"]
    secondary = await log_in(
        platform,
        "employer",
        "correspondent",
        "C12345678-3",
        {"company_code": COMPANY, "contracts": [OTHER_CONTRACT], "primary": False, "categories": ["NON CADRES"]},
    )
    assert (await platform.gateway.post(url, json=body, headers=secondary)).status_code == 403  # the contract is not granted
    member = await log_in(platform, "member", "member", LEA.member_number, {"member_number": LEA.member_number})
    assert (await platform.gateway.post(url, json=body, headers=member)).status_code == 403
    assert (await platform.gateway.post(url, json=body)).status_code == 401

    async with legacy_system("BeneficiaryAdditionRequested=advisor"):
        added = await platform.gateway.post(url, json=body, headers=company)
        assert added.status_code == 201, added.text
        assert added.json()["subject"] == f"DURAND Noé, bénéficiaire de DURAND Léa ({LEA.member_number})"

        async def referred() -> bool:
            found = (await platform.gateway.get(f"/api/employer/requests/{added.json()['id']}", headers=company)).json()
            return found["awaiting_advisor"]

        await wait_until(referred)
    # The employee herself cannot add one: her employer's contract.
    mine = await platform.gateway.post(
        "/api/member/requests/add-beneficiary", json={"beneficiary": son, "effective_date": form["window"]["earliest"]}, headers=member
    )
    assert mine.status_code == 409
