"""The affiliation wizard end to end (issue 11): a company correspondent fills it step by step through the
gateway (each step checked: the NIR against the birth date and sex, the IBAN, the tenant's lists, a guarantee
of the contract), resumes it, sends it; the simulated legacy system accepts it and publishes the new member's
affiliation, who is then one of the company's employees for the platform."""

from __future__ import annotations

from extranet_contracts.legacy import CONTRACTS
from extranet_contracts.testing import affiliation_requested, contract_signed, guarantee_attached
from extranet_plumbing.testing import publish_event, wait_until

PASSWORD = "Affiliation-Test-2026!"
COMPANY, CONTRACT = "12345678", "W1-000123"
MARC = affiliation_requested()


def marc_steps(effective: str, *, dependants: bool = True) -> dict[str, dict]:
    """The wizard's steps filled for Marc Petit (`affiliation_requested`), with his dependants or alone, covered by SANTE-B2
    from `effective`: {step: body}."""
    family = {
        **MARC.primary.model_dump(mode="json"),
        "social_scheme": "GENERAL",
        "dependants": [d.model_dump(mode="json") for d in MARC.dependants] if dependants else [],
    }
    return {
        "family": family,
        "address": MARC.address.model_dump(mode="json", exclude_none=True),
        "contact": {"email": MARC.email},
        "coverage": {"guarantee_code": "SANTE-B2", "effective_date": effective},
        "bank": {"iban": MARC.bank.iban, "bic": "AGRIFRPP", "holder": "Marc Petit", "frequency": "MENSUEL", "debit_day": 5},
    }


async def test_an_affiliation_made_step_by_step_becomes_a_member(platform, legacy_system, service_env, kafka_producer):
    topic = service_env["topic_prefix"] + CONTRACTS
    await publish_event(kafka_producer, topic, contract_signed())
    await publish_event(kafka_producer, topic, guarantee_attached())
    token = await platform.account_token(
        "employer", "correspondent", f"C{COMPANY}", PASSWORD, {"company_code": COMPANY, "contracts": "all", "primary": True}
    )
    auth = {"authorization": f"Bearer {token}"}

    async def offered() -> dict | None:
        form = (
            await platform.gateway.get("/api/employer/requests/forms/affiliation", params={"contract_number": CONTRACT}, headers=auth)
        ).json()
        return form if form["choices"].get("guarantee") else None

    form = await wait_until(offered)
    assert form["choices"]["guarantee"] == [{"code": "SANTE-B2", "label": "Santé base niveau 2"}]
    effective = form["window"]["latest"]

    draft = await platform.gateway.post("/api/employer/requests/affiliation", json={"contract_number": CONTRACT}, headers=auth)
    assert draft.status_code == 201, draft.text
    rid = draft.json()["id"]
    steps = marc_steps(effective)
    family = steps["family"]
    wrong = await platform.gateway.put(f"/api/employer/requests/{rid}/steps/family", json={**family, "civility": "MME"}, headers=auth)
    assert wrong.status_code == 422 and [e["field"] for e in wrong.json()["errors"]] == ["nir"]
    assert "civilité" in wrong.json()["errors"][0]["message"]
    bad_iban = await platform.gateway.put(
        f"/api/employer/requests/{rid}/steps/bank", json={**steps["bank"], "iban": "FR7630006000011234567890188"}, headers=auth
    )
    assert bad_iban.status_code == 422 and [e["field"] for e in bad_iban.json()["errors"]] == ["iban"]
    for name in ("family", "address", "contact"):
        saved = await platform.gateway.put(f"/api/employer/requests/{rid}/steps/{name}", json=steps[name], headers=auth)
        assert saved.status_code == 200, saved.text

    # Resumed later: what was saved is there, and what is missing is said.
    resumed = (await platform.gateway.get(f"/api/employer/requests/{rid}", headers=auth)).json()
    assert resumed["missing_steps"] == ["coverage", "bank"] and resumed["subject"] == "PETIT Marc"
    assert resumed["payload"]["family"]["dependants"][0]["first_name"] == "Hugo"
    assert (await platform.gateway.post(f"/api/employer/requests/{rid}/submit", headers=auth)).status_code == 422
    for name in ("coverage", "bank"):
        assert (await platform.gateway.put(f"/api/employer/requests/{rid}/steps/{name}", json=steps[name], headers=auth)).status_code == 200

    async with legacy_system("accept"):
        sent = await platform.gateway.post(f"/api/employer/requests/{rid}/submit", headers=auth)
        assert sent.status_code == 200, sent.text
        await wait_until(lambda: _accepted(platform, auth, rid))
        new_member = await wait_until(
            lambda: platform.enrollment.pool.fetchval("SELECT member_number FROM memberships WHERE last_name = 'Petit'")
        )

    # The new member is one of the company's employees now: the portfolio has him, and he can be terminated.
    assert (
        await platform.portfolio.pool.fetchval("SELECT contract_number FROM memberships WHERE member_number = $1", new_member) == CONTRACT
    )
    termination = {"contract_number": CONTRACT, "member_number": new_member, "effective_date": effective, "reason": "DEMISSION"}
    assert (await platform.gateway.post("/api/employer/requests/employee-termination", json=termination, headers=auth)).status_code == 201
    kinds = {r["kind"]: r["status"] for r in (await platform.gateway.get("/api/employer/requests", headers=auth)).json()["items"]}
    assert kinds == {"affiliation": "accepted", "employee_termination": "draft"}


async def _accepted(platform, auth, rid) -> bool:
    return (await platform.gateway.get(f"/api/employer/requests/{rid}", headers=auth)).json()["status"] == "accepted"
