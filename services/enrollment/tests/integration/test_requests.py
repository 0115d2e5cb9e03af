"""The request engine on real Kafka and PostgreSQL: a correspondent's termination checked, drafted,
submitted through the outbox, sent once read back, decided by the legacy system (accepted, refused, left
to an advisor then decided by an operator); the requests other services publish tracked; decisions for
an unknown request, twice, or out of order, handled without loss."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from enrollment.service_layer.handlers import REQUESTS_GROUP
from extranet_contracts.decisions import DECISIONS
from extranet_contracts.envelope import Envelope
from extranet_contracts.requests import (
    PORTAL_REQUESTS,
    AdvisorDecisionRecorded,
    ContactChangeRequested,
    EmployeeTerminationRequested,
    TpCardOrdered,
)
from extranet_contracts.testing import broker_address_change_requested, member_affiliated, member_radiated, request_decided
from extranet_plumbing.kafka import dlq_topic
from extranet_plumbing.testing import publish_event, read_topic, wait_until

COMPANY, CONTRACT, OTHER_CONTRACT = "12345678", "W1-000123", "W1-000999"
LEA = member_affiliated()  # 73000042 on W1-000123 of 12345678, from 1 January 2026
TERMINATION = {"contract_number": CONTRACT, "member_number": "73000042", "effective_date": "2026-12-31", "reason": "DEMISSION"}


@pytest.fixture
def topics(service_env) -> dict[str, str]:
    prefix = service_env["topic_prefix"]
    return {"requests": prefix + PORTAL_REQUESTS, "decisions": prefix + DECISIONS, "memberships": prefix + "legacy.memberships"}


@pytest.fixture
async def lea(enrollment, kafka_producer, topics):
    """Léa Durand's membership, as the legacy system published it."""
    await publish_event(kafka_producer, topics["memberships"], LEA)
    await wait_until(lambda: enrollment.pool.fetchval("SELECT count(*) FROM memberships WHERE start_date IS NOT NULL"))
    return LEA


async def status_of(enrollment, request_id) -> str | None:
    return await enrollment.pool.fetchval("SELECT status FROM requests WHERE id = $1", uuid.UUID(str(request_id)))


async def submitted_termination(api, tokens, **changes) -> dict:
    draft = await api.post("/internal/requests/employee-termination", json={**TERMINATION, **changes}, headers=tokens.correspondent())
    assert draft.status_code == 201, draft.text
    sent = await api.post(f"/internal/requests/{draft.json()['id']}/submit", headers=tokens.correspondent())
    assert sent.status_code == 200, sent.text
    return sent.json()


async def test_the_form_shows_the_tenants_window_and_reasons(api, tokens):
    form = (await api.get("/internal/requests/forms/employee_termination", headers=tokens.correspondent())).json()
    assert form["window"] == {"earliest": "2026-10-31", "latest": "2027-03-03"}  # mbtp: 31 days back, 92 ahead of 1 December 2026
    assert {"code": "DEMISSION", "label": "Démission"} in form["choices"]["reason"]
    member = tokens("member", {"member_number": "73000042"})
    assert (await api.get("/internal/requests/forms/employee_termination", headers=member)).status_code == 404


async def test_a_termination_goes_to_the_legacy_system_and_its_acceptance_comes_back(enrollment, api, tokens, lea, kafka_producer, topics):
    draft = await api.post("/internal/requests/employee-termination", json=TERMINATION, headers=tokens.correspondent())
    assert draft.status_code == 201, draft.text
    request = draft.json()
    assert (request["status"], request["subject"], request["window"]) == (
        "draft",
        "DURAND Léa (73000042)",
        {"earliest": "2026-10-31", "latest": "2027-03-03"},
    )
    assert await read_topic(enrollment.settings.kafka_bootstrap, topics["requests"], expected=1, timeout=2) == []  # a draft stays here

    sent = (await api.post(f"/internal/requests/{request['id']}/submit", headers=tokens.correspondent())).json()
    assert sent["status"] == "submitted"
    [record] = await read_topic(enrollment.settings.kafka_bootstrap, topics["requests"], expected=1)
    event = EmployeeTerminationRequested.model_validate_json(record.value)
    assert (str(event.request_id), event.membership_id, event.effective_date, event.reason, event.requested_by.account) == (
        request["id"],
        "ADH-0000042",
        date(2026, 12, 31),
        "DEMISSION",
        "corr-1",
    )
    await wait_until(lambda: _is(enrollment, request["id"], "sent"))  # read back from Kafka

    await publish_event(kafka_producer, topics["decisions"], request_decided("accepted", event.request_id))
    await wait_until(lambda: _is(enrollment, request["id"], "accepted"))
    mine = (await api.get(f"/internal/requests/{request['id']}", headers=tokens.correspondent())).json()
    assert [(s["status"], s["actor"]) for s in mine["history"]] == [
        ("draft", "requester"),
        ("submitted", "requester"),
        ("sent", "platform"),
        ("accepted", "legacy"),
    ]
    listed = (
        await api.get("/internal/requests", params={"year": 2026, "kind": "employee_termination"}, headers=tokens.correspondent())
    ).json()
    assert [(r["id"], r["status_label"]) for r in listed["items"]] == [(request["id"], "Acceptée")]
    assert (await api.get("/internal/requests", params={"year": 2025}, headers=tokens.correspondent())).json()["items"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"effective_date": "2027-03-04"}, "effective_date"),  # a day after the window
        ({"effective_date": "2026-10-30"}, "effective_date"),  # a day before
        ({"reason": "CONVENANCE"}, "reason"),  # not in the tenant's list
    ],
)
async def test_a_termination_outside_the_rules_is_refused_naming_the_field(api, tokens, lea, changes, field):
    refused = await api.post("/internal/requests/employee-termination", json={**TERMINATION, **changes}, headers=tokens.correspondent())
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [field]


async def test_a_correspondent_terminates_only_on_the_contracts_granted_of_their_company(enrollment, api, tokens, lea):
    not_granted = await api.post(
        "/internal/requests/employee-termination", json=TERMINATION, headers=tokens.correspondent([OTHER_CONTRACT])
    )
    assert not_granted.status_code == 403
    another_company = await api.post(
        "/internal/requests/employee-termination", json=TERMINATION, headers=tokens.correspondent(company="87654321", subject="corr-9")
    )
    assert another_company.status_code == 404  # not one of their employees: nothing told about her
    assert await enrollment.pool.fetchval("SELECT count(*) FROM requests") == 0


async def test_an_employee_already_leaving_or_radiated_is_not_terminated_twice(enrollment, api, tokens, lea, kafka_producer, topics):
    await submitted_termination(api, tokens)
    again = await api.post("/internal/requests/employee-termination", json=TERMINATION, headers=tokens.correspondent())
    assert again.status_code == 409
    await publish_event(kafka_producer, topics["memberships"], member_radiated(effective_date=date(2026, 11, 30)))
    await wait_until(lambda: enrollment.pool.fetchval("SELECT end_date FROM memberships"))
    radiated = await api.post("/internal/requests/employee-termination", json=TERMINATION, headers=tokens.correspondent())
    assert radiated.status_code == 422 and "déjà radié" in radiated.json()["errors"][0]["message"]


async def test_others_never_see_a_request(api, tokens, lea):
    request = await submitted_termination(api, tokens)
    others = [
        tokens.correspondent(company="87654321", subject="corr-9"),  # another company's correspondent
        tokens.correspondent([OTHER_CONTRACT], subject="corr-2"),  # a secondary correspondent without the contract
        tokens("member", {"member_number": "73000042"}, subject="member-1"),  # the employee herself
        tokens("broker", {"broker_code": "M12345"}, subject="broker-1"),
    ]
    for headers in others:
        assert (await api.get(f"/internal/requests/{request['id']}", headers=headers)).status_code == 404
        assert (await api.get("/internal/requests", headers=headers)).json()["items"] == []
        assert (await api.post(f"/internal/requests/{request['id']}/cancel", headers=headers)).status_code == 404
    assert (await api.get(f"/internal/requests/{request['id']}")).status_code == 401
    unaccepted = tokens("correspondent", {"company_code": COMPANY, "contracts": "all"}, terms_ok=False)
    assert (await api.get("/internal/requests", headers=unaccepted)).status_code == 403
    assert (await api.get("/internal/backoffice/requests", headers=tokens.correspondent())).status_code == 403


async def test_only_a_draft_can_be_cancelled(enrollment, api, tokens, lea):
    draft = (await api.post("/internal/requests/employee-termination", json=TERMINATION, headers=tokens.correspondent())).json()
    cancelled = await api.post(f"/internal/requests/{draft['id']}/cancel", headers=tokens.correspondent())
    assert cancelled.json()["status"] == "cancelled"
    assert (await api.post(f"/internal/requests/{draft['id']}/submit", headers=tokens.correspondent())).status_code == 409
    sent = await submitted_termination(api, tokens)
    assert (await api.post(f"/internal/requests/{sent['id']}/cancel", headers=tokens.correspondent())).status_code == 409


async def test_a_request_left_to_an_advisor_is_decided_in_the_back_office(enrollment, api, tokens, lea, kafka_producer, topics):
    request = await submitted_termination(api, tokens)
    request_id = uuid.UUID(request["id"])
    await publish_event(kafka_producer, topics["decisions"], request_decided("advisor", request_id, note="Date à vérifier"))
    await wait_until(lambda: enrollment.pool.fetchval("SELECT awaiting_advisor FROM requests WHERE id = $1", request_id))

    operator = tokens("operator", {"operator": True}, subject="op-1")
    waiting = (await api.get("/internal/backoffice/requests", params={"awaiting_advisor": True}, headers=operator)).json()
    assert [r["id"] for r in waiting["items"]] == [request["id"]] and waiting["total"] == 1
    assert (await api.get("/internal/backoffice/requests", params={"kind": "contact_change"}, headers=operator)).json()["total"] == 0
    no_reason = await api.post(f"/internal/backoffice/requests/{request_id}/decision", json={"accepted": False}, headers=operator)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"

    refused = await api.post(
        f"/internal/backoffice/requests/{request_id}/decision",
        json={"accepted": False, "reason": "Date de sortie non justifiée."},
        headers=operator,
    )
    assert refused.status_code == 200 and refused.json()["awaiting_advisor"] is False
    records = await read_topic(enrollment.settings.kafka_bootstrap, topics["requests"], expected=2)
    advisor = AdvisorDecisionRecorded.model_validate_json(records[-1].value)
    assert (advisor.request_id, advisor.accepted, advisor.reason, advisor.operator, advisor.key()) == (
        request_id,
        False,
        "Date de sortie non justifiée.",
        "op-1",
        COMPANY,
    )
    again = await api.post(f"/internal/backoffice/requests/{request_id}/decision", json={"accepted": True}, headers=operator)
    assert again.status_code == 409  # decided already: waiting for the legacy system's outcome

    await publish_event(kafka_producer, topics["decisions"], request_decided("refused", request_id, reason="Date de sortie non justifiée."))
    await wait_until(lambda: _is(enrollment, request_id, "refused"))
    mine = (await api.get(f"/internal/requests/{request_id}", headers=tokens.correspondent())).json()
    assert mine["refusal_reason"] == "Date de sortie non justifiée."
    assert [s["actor"] for s in mine["history"]][-3:] == ["legacy", "advisor", "legacy"]


async def test_decisions_twice_out_of_order_or_before_their_request_lose_nothing(enrollment, api, tokens, lea, kafka_producer, topics):
    request = await submitted_termination(api, tokens)
    request_id = uuid.UUID(request["id"])
    first = datetime(2026, 12, 2, 10, tzinfo=UTC)
    accepted = request_decided("accepted", request_id, decided_at=first)
    envelope = await publish_event(kafka_producer, topics["decisions"], accepted)
    await publish_event(kafka_producer, topics["decisions"], accepted, envelope=envelope)  # the same event again
    await publish_event(
        kafka_producer, topics["decisions"], request_decided("accepted", request_id, decided_at=first)
    )  # the same decision, new id
    await publish_event(
        kafka_producer, topics["decisions"], request_decided("advisor", request_id, decided_at=first - timedelta(hours=1))
    )  # late
    refused_before = request_decided("refused", request_id, decided_at=first - timedelta(hours=2))  # older than the acceptance
    await publish_event(kafka_producer, topics["decisions"], refused_before)
    await wait_until(lambda: _applied(enrollment, 4))  # four events: the copy of the first is the same event
    mine = (await api.get(f"/internal/requests/{request_id}", headers=tokens.correspondent())).json()
    assert mine["status"] == "accepted" and not mine["awaiting_advisor"]
    assert [s["status"] for s in mine["history"] if s["actor"] == "legacy"] == ["accepted"]

    # A contact change from identity whose decision arrives first: kept, then applied when the request comes.
    change = ContactChangeRequested(requester_kind="member", reference="73000042", email="lea.durand@example.org")
    change_envelope_id = uuid.uuid4()
    change_envelope = Envelope(
        id=change_envelope_id, type=change.TYPE, version=1, source="urn:extranet:identity", tenant="mbtp", key=change.key()
    )
    await publish_event(
        kafka_producer, topics["decisions"], request_decided("refused", change_envelope_id, reason="Adresse déjà utilisée.")
    )
    await wait_until(lambda: enrollment.pool.fetchval("SELECT count(*) FROM early_decisions"))
    await publish_event(kafka_producer, topics["requests"], change, envelope=change_envelope)
    await wait_until(lambda: _is(enrollment, change_envelope_id, "refused"))
    member = tokens("member", {"member_number": "73000042"}, subject="member-1")
    [tracked] = (await api.get("/internal/requests", headers=member)).json()["items"]
    assert (tracked["kind"], tracked["refusal_reason"]) == ("contact_change", "Adresse déjà utilisée.")
    assert await enrollment.pool.fetchval("SELECT count(*) FROM early_decisions") == 0


async def test_a_brokers_address_change_from_portfolio_shows_in_the_brokers_history(enrollment, api, tokens, kafka_producer, topics):
    change = broker_address_change_requested()
    envelope = await publish_event(kafka_producer, topics["requests"], change)
    await publish_event(kafka_producer, topics["requests"], change, envelope=envelope)
    await wait_until(lambda: _is(enrollment, change.request_id, "sent"))
    broker = tokens("broker", {"broker_code": "M12345"}, subject="broker-1")
    [tracked] = (await api.get("/internal/requests", headers=broker)).json()["items"]
    assert (tracked["kind"], tracked["status"], tracked["kind_label"]) == (
        "broker_address_change",
        "sent",
        "Changement d'adresse postale du cabinet",
    )
    detail = (await api.get(f"/internal/requests/{change.request_id}", headers=broker)).json()
    assert detail["payload"]["address"]["city"] == "Lyon" and detail["attachments"][0]["media_type"] == "application/pdf"
    other = tokens("broker", {"broker_code": "M54321"}, subject="broker-2")
    assert (await api.get("/internal/requests", headers=other)).json()["items"] == []


async def _is(enrollment, request_id, status: str) -> bool:
    return await status_of(enrollment, request_id) == status


async def _applied(enrollment, count: int) -> bool:
    group = enrollment.group_id(REQUESTS_GROUP)
    return (
        await enrollment.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer_group = $1 AND topic LIKE '%legacy.decisions'", group)
        >= count
    )


async def test_a_malformed_decision_is_dead_lettered_with_its_cause_and_the_request_waits(
    enrollment, api, tokens, lea, kafka_producer, topics
):
    request = await submitted_termination(api, tokens)
    refusal = request_decided("refused", uuid.UUID(request["id"]))
    envelope = Envelope(type=refusal.TYPE, version=1, source="urn:test", tenant="mbtp", key=refusal.key())
    broken = refusal.model_dump(mode="json") | {"decided_at": "NIR 1 85 05 78 006 084 41"}  # no date, and a value that must not leak
    await kafka_producer.send_and_wait(
        topics["decisions"], value=json.dumps(broken).encode(), key=envelope.key.encode(), headers=envelope.to_headers()
    )
    [dead] = await read_topic(enrollment.settings.kafka_bootstrap, dlq_topic(topics["decisions"]), expected=1)
    headers = dict(dead.headers)
    assert headers["x-dlq-exception-class"] == b"ValidationError" and b"decided_at" in headers["x-dlq-exception-message"]
    assert b"85 05 78" not in headers["x-dlq-exception-message"] and dead.value == json.dumps(broken).encode()
    await publish_event(kafka_producer, topics["decisions"], request_decided("accepted", uuid.UUID(request["id"])))  # the consumer goes on
    await wait_until(lambda: _is(enrollment, request["id"], "accepted"))


async def test_a_tp_card_is_ordered_by_the_member_or_by_the_employer_for_an_employee(enrollment, api, tokens, lea, topics):
    member = tokens("member", {"member_number": "73000042"}, subject="member-1")
    mine = await api.post("/internal/requests/tp-card", json={}, headers=member)
    assert mine.status_code == 201, mine.text
    assert (mine.json()["status"], mine.json()["kind_label"]) == ("submitted", "Envoi de la carte de tiers payant")
    assert (await api.post("/internal/requests/tp-card", json={}, headers=member)).status_code == 409  # one on its way already
    employer = {"member_number": "73000042", "contract_number": CONTRACT}
    theirs = await api.post("/internal/requests/tp-card", json=employer, headers=tokens.correspondent())
    assert theirs.status_code == 201 and theirs.json()["subject"] == "DURAND Léa (73000042)"
    records = await read_topic(enrollment.settings.kafka_bootstrap, topics["requests"], expected=2)
    orders = [TpCardOrdered.model_validate_json(r.value) for r in records]
    assert {(o.requested_by.portal, o.member_number, o.contract_number, o.key()) for o in orders} == {
        ("member", "73000042", None, "73000042"),
        ("employer", "73000042", CONTRACT, COMPANY),
    }
    await wait_until(lambda: _is(enrollment, theirs.json()["id"], "sent"))
    # Each sees their own only; a correspondent without the contract, or of another company, orders nothing.
    assert [r["kind"] for r in (await api.get("/internal/requests", headers=member)).json()["items"]] == ["tp_card"]
    not_granted = await api.post(
        "/internal/requests/tp-card", json=employer, headers=tokens.correspondent([OTHER_CONTRACT], subject="corr-2")
    )
    assert not_granted.status_code == 403
    elsewhere = await api.post(
        "/internal/requests/tp-card", json=employer, headers=tokens.correspondent(company="87654321", subject="corr-9")
    )
    assert elsewhere.status_code == 404
    broker = tokens("broker", {"broker_code": "M12345"}, subject="broker-1")
    assert (await api.post("/internal/requests/tp-card", json={}, headers=broker)).status_code == 403
