"""The affiliation wizard on real Kafka and PostgreSQL: a correspondent starts it on a contract of the
company, saves each step (checked: the NIR against the birth date and sex, the IBAN, the tenant's lists, a
guarantee of the contract within the window), resumes it, and sends it once every step is filled; once the
legacy system accepts it, the new member is mailed the recap of the affiliation, once however often the decision
comes."""

from __future__ import annotations

import uuid

import pytest

from extranet_contracts.decisions import DECISIONS
from extranet_contracts.notifications import REQUESTS, NotificationRequested
from extranet_contracts.requests import PORTAL_REQUESTS, AffiliationRequested
from extranet_contracts.testing import affiliation_requested, contract_signed, guarantee_attached, request_decided
from extranet_plumbing.testing import publish_event, read_topic, wait_until

MARC = affiliation_requested()
FAMILY = {
    **MARC.primary.model_dump(mode="json"),
    "social_scheme": "GENERAL",
    "dependants": [d.model_dump(mode="json") for d in MARC.dependants],
}
STEPS = {
    "family": FAMILY,
    "address": {"line1": "12 route de Paris", "postal_code": "38040", "city": "Grenoble"},
    "contact": {"email": "marc.petit@example.org"},
    "coverage": {"guarantee_code": "SANTE-B2", "effective_date": "2027-01-01"},
    "bank": {
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "AGRIFRPP",
        "holder": "Marc Petit",
        "frequency": "MENSUEL",
        "debit_day": 5,
    },
}


@pytest.fixture
async def contract(enrollment, kafka_producer, service_env):
    topic = service_env["topic_prefix"] + "legacy.contracts"
    await publish_event(kafka_producer, topic, contract_signed())
    await publish_event(kafka_producer, topic, guarantee_attached())
    await publish_event(kafka_producer, topic, guarantee_attached(guarantee_code="SANTE-OLD", name="Ancienne", end_date="2024-12-31"))
    await wait_until(lambda: _guarantees(enrollment, 2))


async def started(api, tokens) -> dict:
    draft = await api.post("/internal/requests/affiliation", json={"contract_number": "W1-000123"}, headers=tokens.correspondent())
    assert draft.status_code == 201, draft.text
    return draft.json()


async def step(api, tokens, request_id: str, name: str, body: dict, **options):
    return await api.put(
        f"/internal/requests/{request_id}/steps/{name}", json=body, headers=options.get("headers") or tokens.correspondent()
    )


def errors(answer) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [e["field"] for e in answer.json()["errors"]]


async def test_the_form_offers_the_contracts_open_guarantees_and_the_tenants_lists(api, tokens, contract):
    form = (
        await api.get("/internal/requests/forms/affiliation", params={"contract_number": "W1-000123"}, headers=tokens.correspondent())
    ).json()
    assert form["choices"]["guarantee"] == [{"code": "SANTE-B2", "label": "Santé base niveau 2"}]  # not the closed one
    assert {c["code"] for c in form["choices"]["frequency"]} == {"MENSUEL", "TRIMESTRIEL", "SEMESTRIEL", "ANNUEL"}
    assert {"code": "GENERAL", "label": "Régime général"} in form["choices"]["social_scheme"]
    other = (
        await api.get("/internal/requests/forms/affiliation", params={"contract_number": "W1-000999"}, headers=tokens.correspondent())
    ).json()
    assert "guarantee" not in other["choices"]


async def test_each_step_is_checked_and_kept_then_the_request_leaves(enrollment, api, tokens, contract):
    request = await started(api, tokens)
    assert request["missing_steps"] == ["family", "address", "contact", "coverage", "bank"] and request["status"] == "draft"
    early = await api.post(f"/internal/requests/{request['id']}/submit", headers=tokens.correspondent())
    assert errors(early) == ["steps"] and "Famille" in early.json()["errors"][0]["message"]

    rid = request["id"]
    assert errors(await step(api, tokens, rid, "family", {**FAMILY, "civility": "MME"})) == ["nir"]  # a man's number
    assert errors(await step(api, tokens, rid, "family", {**FAMILY, "birth_date": "1985-05-20"})) == ["nir"]  # another year
    assert errors(await step(api, tokens, rid, "family", {**FAMILY, "nir": "184056912345691"})) == ["nir"]  # its key is wrong
    child = {**FAMILY["dependants"][0], "birth_date": "2015-04-02"}
    assert errors(await step(api, tokens, rid, "family", {**FAMILY, "dependants": [child]})) == ["dependants.0.nir"]
    assert errors(await step(api, tokens, rid, "family", {**FAMILY, "social_scheme": "LUNAIRE"})) == ["social_scheme"]
    saved = await step(api, tokens, rid, "family", FAMILY)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["subject"], saved.json()["missing_steps"]) == ("PETIT Marc", ["address", "contact", "coverage", "bank"])

    assert errors(await step(api, tokens, rid, "coverage", {**STEPS["coverage"], "guarantee_code": "SANTE-OLD"})) == ["guarantee_code"]
    assert errors(await step(api, tokens, rid, "coverage", {**STEPS["coverage"], "effective_date": "2027-03-04"})) == ["effective_date"]
    assert errors(await step(api, tokens, rid, "bank", {**STEPS["bank"], "iban": "FR7630006000011234567890188"})) == ["iban"]
    assert errors(await step(api, tokens, rid, "bank", {**STEPS["bank"], "debit_day": 7})) == ["debit_day"]
    assert errors(await step(api, tokens, rid, "contact", {"email": "pas-une-adresse"})) == ["email"]
    for name in ("address", "contact", "coverage", "bank"):
        assert (await step(api, tokens, rid, name, STEPS[name])).status_code == 200

    resumed = (await api.get(f"/internal/requests/{rid}", headers=tokens.correspondent())).json()
    assert resumed["missing_steps"] == [] and resumed["payload"]["bank"]["iban"] == "FR7630006000011234567890189"
    sent = await api.post(f"/internal/requests/{rid}/submit", headers=tokens.correspondent())
    assert sent.status_code == 200, sent.text
    [record] = await read_topic(enrollment.settings.kafka_bootstrap, enrollment.settings.topic(PORTAL_REQUESTS), expected=1)
    event = AffiliationRequested.model_validate_json(record.value)
    assert event == MARC.model_copy(update={"request_id": event.request_id, "requested_by": event.requested_by})
    assert str(event.request_id) == rid and event.requested_by.account == "corr-1"
    await wait_until(lambda: _status(enrollment, rid, "sent"))
    assert (await step(api, tokens, rid, "contact", STEPS["contact"])).status_code == 409  # sent: no more changes


async def test_only_the_companys_correspondents_granted_the_contract_affiliate(api, tokens, contract):
    refused = await api.post(
        "/internal/requests/affiliation", json={"contract_number": "W1-000123"}, headers=tokens.correspondent(["W1-000999"])
    )
    assert refused.status_code == 403
    unknown = await api.post("/internal/requests/affiliation", json={"contract_number": "W1-000999"}, headers=tokens.correspondent())
    assert unknown.status_code == 404
    request = await started(api, tokens)
    other = tokens.correspondent(company="87654321", subject="corr-9")
    assert (await step(api, tokens, request["id"], "family", FAMILY, headers=other)).status_code == 404
    member = tokens("member", {"member_number": "73000042"})
    assert (await step(api, tokens, request["id"], "family", FAMILY, headers=member)).status_code == 403


async def test_an_accepted_affiliation_mails_its_recap_to_the_new_member_once(enrollment, api, tokens, contract, kafka_producer):
    rid = (await started(api, tokens))["id"]
    for name, body in STEPS.items():
        assert (await step(api, tokens, rid, name, body)).status_code == 200
    assert (await api.post(f"/internal/requests/{rid}/submit", headers=tokens.correspondent())).status_code == 200
    decisions = enrollment.settings.topic(DECISIONS)
    accepted = request_decided("accepted", uuid.UUID(rid))
    envelope = await publish_event(kafka_producer, decisions, accepted)
    await publish_event(kafka_producer, decisions, accepted, envelope=envelope)  # redelivered
    await publish_event(kafka_producer, decisions, request_decided("accepted", uuid.UUID(rid)))  # the same decision, again
    await wait_until(lambda: _status(enrollment, rid, "accepted"))
    await wait_until(lambda: enrollment.pool.fetchval("SELECT count(*) = 2 FROM inbox WHERE event_type = 'RequestAccepted'"))

    records = await read_topic(enrollment.settings.kafka_bootstrap, enrollment.settings.topic(REQUESTS), expected=2, timeout=5)
    [recap] = [NotificationRequested.model_validate_json(r.value) for r in records]
    assert (recap.template, recap.recipient.email, recap.recipient.display_name) == (
        "affiliation_accepted",
        "marc.petit@example.org",
        "Marc Petit",
    )
    assert recap.data == {
        "company_name": "l'entreprise 12345678",  # its name not received from legacy.companies in this test
        "contract_number": "W1-000123",
        "product": "Santé base niveau 2",
        "effective_date": "2027-01-01",
        "beneficiaries": [
            {"first_name": "Marc", "last_name": "Petit", "role": "assuré principal"},
            {"first_name": "Hugo", "last_name": "Petit", "role": "enfant"},
        ],
    }


async def _status(enrollment, rid, expected) -> bool:
    return await enrollment.pool.fetchval("SELECT status FROM requests WHERE id = $1::uuid", rid) == expected


async def _guarantees(enrollment, count: int) -> bool:
    return await enrollment.pool.fetchval("SELECT count(*) FROM guarantees WHERE contract_number = 'W1-000123'") == count


def _nir(civility: str, birth: str) -> str:
    digits13 = f"{1 if civility == 'M' else 2}{birth[2:4]}{birth[5:7]}69123456"
    return f"{digits13}{97 - int(digits13) % 97:02d}"


async def test_the_family_step_takes_an_adult_dependant_of_age_and_a_child_younger_than_28(api, tokens, contract):
    """Guide 003: « Conjoint, Adulte, Enfant ». The clock is at 1 December 2026 and no coverage is chosen yet: the ages
    are those of today; once the coverage is chosen, of its date of effect (checked again when the request is sent)."""
    rid = (await started(api, tokens))["id"]

    def dependant(role: str, birth: str) -> dict:
        return {
            "role": role,
            "civility": "MME",
            "last_name": "Petit",
            "first_name": "Jeanne",
            "birth_date": birth,
            "nir": _nir("MME", birth),
        }

    seventeen, eighteen = dependant("ADULTE", "2008-12-02"), dependant("ADULTE", "2008-12-01")
    answer = await step(api, tokens, rid, "family", {**FAMILY, "dependants": [seventeen]})
    assert errors(answer) == ["dependants.0.birth_date"] and "au moins 18 ans" in answer.json()["errors"][0]["message"]
    answer = await step(api, tokens, rid, "family", {**FAMILY, "dependants": [eighteen, dependant("ENFANT", "1998-12-01")]})
    assert errors(answer) == ["dependants.1.birth_date"] and "moins de 28 ans" in answer.json()["errors"][0]["message"]
    saved = await step(api, tokens, rid, "family", {**FAMILY, "dependants": [eighteen, dependant("ENFANT", "1998-12-02")]})
    assert saved.status_code == 200, saved.text
    assert [d["role"] for d in saved.json()["payload"]["family"]["dependants"]] == ["ADULTE", "ENFANT"]
    # From 1 January 2027 the child is 28: once the coverage says so, the family is refused when sent.
    for name in ("address", "contact", "coverage", "bank"):
        assert (await step(api, tokens, rid, name, STEPS[name])).status_code == 200
    sent = await api.post(f"/internal/requests/{rid}/submit", headers=tokens.correspondent())
    assert errors(sent) == ["dependants.1.birth_date"]
