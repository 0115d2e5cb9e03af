"""The member's situation changes on real Kafka and PostgreSQL (guide 004, « Modifications »): each sent at once to
portal.requests with the change whole for the legacy system, kept with the IBAN masked, sent once read back and
decided; a change another producer published tracked masked; the tenant's window and lists, a member of a collective
contract sent to their employer for a change of the contract, one change of a kind at a time. The clock is fixed at
1 December 2026."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import date

import pytest
from structlog.testing import capture_logs

from extranet_contracts.decisions import DECISIONS
from extranet_contracts.envelope import Envelope
from extranet_contracts.households import HOUSEHOLDS, beneficiary_id
from extranet_contracts.requests import PORTAL_REQUESTS, BenefitsIbanChangeRequested
from extranet_contracts.testing import household_beneficiaries_recorded, member_affiliated, request_decided
from extranet_plumbing.kafka import dlq_topic
from extranet_plumbing.testing import publish_event, read_topic, wait_until

SOLO = "73000077"  # an individual contract's household (no collective membership)
LEA = member_affiliated()  # 73000042, an employee covered by her company's collective contract
IBAN = "FR7630006000011234567890189"
ACCOUNT = {"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP882", "holder": "Paul Moreau", "effective_date": "2026-12-15"}


@pytest.fixture
def member(tokens):
    return tokens("member", {"member_number": SOLO}, subject="member-solo")


@pytest.fixture
def topics(service_env) -> dict[str, str]:
    prefix = service_env["topic_prefix"]
    return {
        "requests": prefix + PORTAL_REQUESTS,
        "decisions": prefix + DECISIONS,
        "memberships": prefix + "legacy.memberships",
        "households": prefix + HOUSEHOLDS,
    }


@pytest.fixture
async def household(enrollment, kafka_producer, topics):
    """Paul's household as the legacy system publishes it: Paul (the primary insured), his children Jules and Lina."""
    file = household_beneficiaries_recorded(member_number=SOLO)
    primary = next(b for b in file.beneficiaries if b.role.value == "ASSURE").model_dump(mode="json")
    children = [{**JULES, "civility": "M"}, {**JULES, "civility": "MME", "first_name": "Lina", "birth_date": "2018-06-01"}]
    await publish_event(
        kafka_producer, topics["households"], type(file).model_validate({**file.model_dump(), "beneficiaries": [primary, *children]})
    )
    await wait_until(lambda: enrollment.pool.fetchval("SELECT count(*) FROM household_beneficiaries WHERE member_number = $1", SOLO))
    return primary


async def test_a_benefits_iban_goes_whole_to_the_legacy_system_and_stays_masked_here(enrollment, api, member, kafka_producer, topics):
    sent = await api.post("/internal/requests/benefits-iban", json=ACCOUNT, headers=member)
    assert sent.status_code == 201, sent.text
    request = sent.json()
    assert (request["kind"], request["kind_label"], request["status"]) == ("benefits_iban", "Changement d'IBAN prestation", "submitted")
    assert request["payload"]["account"] == {"iban": "FR76 **** **** **** **** ***0 189", "bic": "AGRIFRPP882", "holder": "Paul Moreau"}
    assert request["subject"] == "IBAN FR76 **** **** **** **** ***0 189"
    assert request["window"] == {"earliest": "2026-12-01", "latest": "2027-02-01"}
    stored = await enrollment.pool.fetchval(
        "SELECT payload::text || attachments::text FROM requests WHERE id = $1", uuid.UUID(request["id"])
    )
    assert IBAN not in stored and "30006000011234567890" not in stored

    [record] = await read_topic(enrollment.settings.kafka_bootstrap, topics["requests"], expected=1)
    event = BenefitsIbanChangeRequested.model_validate_json(record.value)
    assert (event.account.iban, event.member_number, str(event.request_id), record.key.decode()) == (IBAN, SOLO, request["id"], SOLO)
    await wait_until(lambda: _status_is(enrollment, request["id"], "sent"))
    await publish_event(kafka_producer, topics["decisions"], request_decided("accepted", uuid.UUID(request["id"])))
    await wait_until(lambda: _status_is(enrollment, request["id"], "accepted"))

    again = await api.post("/internal/requests/benefits-iban", json=ACCOUNT, headers=member)
    assert again.status_code == 201  # the first is decided: a new change may be asked


async def test_a_change_published_elsewhere_is_tracked_with_its_iban_masked(enrollment, api, member, kafka_producer, topics):
    change = BenefitsIbanChangeRequested(
        request_id=uuid.uuid4(),
        requested_by={"portal": "member", "account": "member-solo", "reference": SOLO},
        member_number=SOLO,
        effective_date="2026-12-15",
        account={"iban": IBAN, "bic": "AGRIFRPP882", "holder": "Paul Moreau"},
    )
    await publish_event(kafka_producer, topics["requests"], change)
    await wait_until(lambda: _status_is(enrollment, change.request_id, "sent"))
    detail = (await api.get(f"/internal/requests/{change.request_id}", headers=member)).json()
    assert detail["kind"] == "benefits_iban" and detail["payload"]["account"]["iban"] == "FR76 **** **** **** **** ***0 189"
    assert IBAN not in json.dumps(detail)


async def test_a_malformed_iban_change_is_dead_lettered_without_the_iban_in_its_cause_or_any_log(
    enrollment, kafka_producer, topics, caplog
):
    caplog.set_level(logging.DEBUG)
    for quiet in ("aiokafka", "kafka"):  # as configure_logging sets them (their debug lines print every record sent)
        caplog.set_level(logging.WARNING, logger=quiet)
    wrong = "FR7630006000011234567890188"  # the account's check digits are wrong
    value = {
        "request_id": str(uuid.uuid4()),
        "requested_by": {"portal": "member", "account": "member-solo", "reference": SOLO},
        "member_number": SOLO,
        "effective_date": "2026-12-15",
        "account": {"iban": wrong, "bic": "AGRIFRPP882", "holder": "Paul Moreau"},
    }
    envelope = Envelope(type="BenefitsIbanChangeRequested", version=1, source="urn:test", tenant="mbtp", key=SOLO)
    with capture_logs() as logged:
        await kafka_producer.send_and_wait(
            topics["requests"], value=json.dumps(value).encode(), key=SOLO.encode(), headers=envelope.to_headers()
        )
        [dead] = await read_topic(enrollment.settings.kafka_bootstrap, dlq_topic(topics["requests"]), expected=1)
    headers = dict(dead.headers)
    assert headers["x-dlq-exception-class"] == b"ValidationError" and b"account.iban" in headers["x-dlq-exception-message"]
    assert b"3000600001123456789" not in b"".join(headers.values())
    assert [e for e in logged if e.get("log_level") in ("warning", "error")], "the dead-lettering is logged"
    assert not [e for e in logged if "3000600001123456789" in str(e)]
    assert "3000600001123456789" not in caplog.text
    assert await enrollment.pool.fetchval("SELECT count(*) FROM requests") == 0


ADDRESS = {"line1": "3 rue Longue", "postal_code": "13400", "city": "Aubagne"}
JULES = {"role": "ENFANT", "last_name": "Moreau", "first_name": "Jules", "birth_date": "2015-03-02"}
JULES_ID = beneficiary_id(SOLO, "Jules", date(2015, 3, 2))
REFUSALS = [
    ("benefits-iban", {"iban": "FR7630006000011234567890188"}, "iban", "Cet IBAN n'est pas valide"),  # its check digits are wrong
    ("benefits-iban", {"bic": "DEUTDEFF"}, "bic", "ne correspond pas au pays de l'IBAN"),  # a German bank for a French account
    ("benefits-iban", {"bic": "AGRI"}, "bic", "Le code BIC compte 8 ou 11 caractères"),
    ("benefits-iban", {"effective_date": "2026-11-30"}, "effective_date", "entre le 01/12/2026 et le 01/02/2027"),
    ("benefits-iban", {"holder": "1234"}, "holder", "Indiquez le nom du titulaire"),
    ("debit-day", {"debit_day": 7}, "debit_day", "Choisissez un jour de prélèvement"),  # not one of the tenant's days
    ("debit-day", {"effective_date": "2027-03-04"}, "effective_date", "entre le 01/12/2026 et le 03/03/2027"),
    ("remove-beneficiary", {"reason": "LUNE"}, "reason", "Choisissez un motif"),
    ("remove-beneficiary", {"beneficiary_id": "Jules 2015-03-02"}, "beneficiary_id", "Choisissez le bénéficiaire dans la liste"),
    ("change-guarantee", {"guarantee_code": "SANTE-OR"}, "guarantee_code", "Choisissez une garantie"),
    ("change-guarantee", {"callback_phone": "12"}, "callback_phone", "numéro de téléphone n'est pas valide"),
    ("address", {"address": {**ADDRESS, "postal_code": "134"}}, "address.postal_code", "Le code postal doit compter 5 chiffres"),
    ("address", {"effective_date": "2026-10-30"}, "effective_date", "entre le 31/10/2026 et le 03/03/2027"),
    ("address", {"address_kind": "VACANCES"}, "address_kind", "adresse personnelle ou l'adresse professionnelle"),
    ("contact-details", {"mobile_phone": None, "email": None}, "mobile_phone", "Indiquez au moins un numéro"),
    ("contact-details", {"mobile_phone": "04 91 23 41 16"}, "mobile_phone", "téléphone portable valide"),  # a landline
    ("contact-details", {"email": "pas-une-adresse"}, "email", "adresse e-mail n'est pas valide"),
    ("communication-choices", {"commercial": {"email": "NON_DEFINI"}}, "commercial.email", "Choisissez « Accepté » ou « Refusé »"),
    ("communication-choices", {"commercial": None, "partners": {}}, "technical", "Choisissez au moins un mode d'envoi"),
    ("communication-choices", {"effective_date": "2027-01-02"}, "effective_date", "entre le 01/12/2026 et le 01/01/2027"),
    ("sponsorship", {"email": None}, "email", "Indiquez l'adresse e-mail ou le téléphone"),
    ("sponsorship", {"phone": "0491"}, "phone", "numéro de téléphone n'est pas valide"),
]
GOOD = {
    "benefits-iban": ACCOUNT,
    "contribution-iban": ACCOUNT,
    "debit-day": {"debit_day": 10, "effective_date": "2027-01-01"},
    "remove-beneficiary": {"beneficiary_id": JULES_ID, "reason": "AUTRE_MUTUELLE", "effective_date": "2027-01-01"},
    "change-guarantee": {"guarantee_code": "BTP-SANTE-CONFORT", "effective_date": "2027-01-01", "callback_phone": "04 91 23 41 16"},
    "address": {"address": ADDRESS, "effective_date": "2026-12-01"},
    "contact-details": {"mobile_phone": "06 12 34 56 78", "email": "paul.moreau@example.org", "effective_date": "2026-12-01"},
    "communication-choices": {"commercial": {"email": "ACCEPTE", "sms": "REFUSE"}, "partners": {"post": "REFUSE"}},
    "sponsorship": {"civility": "MME", "last_name": "Martin", "first_name": "Sophie", "email": "sophie.martin@example.org"},
}


async def test_a_change_outside_the_rules_is_refused_in_french_naming_its_field(enrollment, api, member):
    for path, wrong, field, message in REFUSALS:
        refused = await api.post(f"/internal/requests/{path}", json={**GOOD[path], **wrong}, headers=member)
        assert refused.status_code == 422, refused.text
        assert [(e["field"], message in e["message"]) for e in refused.json()["errors"]] == [(field, True)], (path, refused.text)
        assert "30006000011234567890" not in refused.text and "0491234116" not in refused.text  # what was typed is never repeated
    assert await enrollment.pool.fetchval("SELECT count(*) FROM requests") == 0


async def test_each_change_is_sent_with_its_form_and_followed_in_mes_demandes(enrollment, api, member, topics, household):
    form = (await api.get("/internal/requests/forms/debit_day", headers=member)).json()
    assert {"code": "10", "label": "Le 10 du mois"} in form["choices"]["debit_day"]  # the tenant's days (its affiliation's list)
    guarantees = (await api.get("/internal/requests/forms/change_guarantee", headers=member)).json()["choices"]["guarantee_code"]
    assert {"code": "BTP-SANTE-CONFORT", "label": "BTP Santé Confort"} in guarantees  # the tenant's range
    reasons = (await api.get("/internal/requests/forms/remove_beneficiary", headers=member)).json()["choices"]["reason"]
    assert {"code": "DIVORCE", "label": "Divorce ou séparation"} in reasons

    changes = {
        "debit-day": (GOOD["debit-day"], "Le 10 du mois"),
        "remove-beneficiary": (GOOD["remove-beneficiary"], "MOREAU Jules"),
        "change-guarantee": (GOOD["change-guarantee"], "BTP Santé Confort"),
        "address": (GOOD["address"], "13400 AUBAGNE"),
        "contact-details": (GOOD["contact-details"], "Téléphone portable, e-mail"),
        "contribution-iban": (ACCOUNT, "IBAN FR76 **** **** **** **** ***0 189"),
        "communication-choices": (GOOD["communication-choices"], "Informations commerciales, Informations partenaires"),
    }
    for path, (body, subject) in changes.items():
        sent = await api.post(f"/internal/requests/{path}", json=body, headers=member)
        assert sent.status_code == 201, (path, sent.text)
        assert sent.json()["subject"] == subject
        again = await api.post(f"/internal/requests/{path}", json=body, headers=member)
        assert again.status_code == 409, path  # one at a time (the same dependant once)
    lina = {"beneficiary_id": beneficiary_id(SOLO, "Lina", date(2018, 6, 1)), "reason": "AUTRE", "effective_date": "2027-01-01"}
    other = await api.post("/internal/requests/remove-beneficiary", json=lina, headers=member)
    assert other.status_code == 201, other.text
    assert other.json()["subject"] == "MOREAU Lina"
    for not_theirs in (
        beneficiary_id(SOLO, household["first_name"], date.fromisoformat(household["birth_date"])),
        beneficiary_id("73000099", "Jules", date(2015, 3, 2)),
        "0123456789ab",
    ):
        unknown = await api.post("/internal/requests/remove-beneficiary", json={**lina, "beneficiary_id": not_theirs}, headers=member)
        assert unknown.status_code == 404 and unknown.json()["detail"] == "Bénéficiaire introuvable.", unknown.text

    office = await api.post("/internal/requests/address", json={**GOOD["address"], "address_kind": "WORK"}, headers=member)
    assert office.status_code == 409  # one address change at a time
    for _twice in range(2):  # several people may be proposed, the same one again too (the mutuelle sorts it out)
        friend = await api.post("/internal/requests/sponsorship", json=GOOD["sponsorship"], headers=member)
        assert friend.status_code == 201 and friend.json()["subject"] == "MARTIN Sophie", friend.text
    assert friend.json()["window"] == {"earliest": "2026-12-01", "latest": "2026-12-01"}  # dated the day it is made

    records = await read_topic(enrollment.settings.kafka_bootstrap, topics["requests"], expected=len(changes) + 3)
    types = [Envelope.from_headers(r.headers).type for r in records]
    assert sorted(types) == sorted(
        [
            "DebitDayChangeRequested",
            "BeneficiaryRemovalRequested",
            "BeneficiaryRemovalRequested",
            "GuaranteeChangeRequested",
            "MemberAddressChangeRequested",
            "MemberContactDetailsChangeRequested",
            "ContributionIbanChangeRequested",
            "CommunicationChoicesChangeRequested",
            "SponsorshipProposed",
            "SponsorshipProposed",
        ]
    )
    contact = next(json.loads(r.value) for r, t in zip(records, types, strict=True) if t == "MemberContactDetailsChangeRequested")
    assert (contact["mobile_phone"], contact["email"], contact.get("home_phone")) == ("+33612345678", "paul.moreau@example.org", None)
    listed = (await api.get("/internal/requests", params={"kind": "change_guarantee"}, headers=member)).json()["items"]
    assert [(r["kind_label"], r["subject"]) for r in listed] == [("Changement de garantie", "BTP Santé Confort")]


async def test_an_employee_asks_their_employer_for_a_change_of_the_contract(enrollment, api, tokens, kafka_producer, topics):
    await publish_event(kafka_producer, topics["memberships"], LEA)
    await wait_until(lambda: enrollment.pool.fetchval("SELECT count(*) FROM memberships WHERE start_date IS NOT NULL"))
    lea = tokens("member", {"member_number": LEA.member_number}, subject="member-lea")
    for path in ("change-guarantee", "debit-day", "contribution-iban", "remove-beneficiary"):
        refused = await api.post(f"/internal/requests/{path}", json=GOOD[path], headers=lea)
        assert refused.status_code == 409 and "employeur" in refused.json()["detail"], path
    # Her own file is hers to change.
    assert (await api.post("/internal/requests/address", json=GOOD["address"], headers=lea)).status_code == 201
    assert (await api.post("/internal/requests/benefits-iban", json=ACCOUNT, headers=lea)).status_code == 201


async def test_only_a_member_asks_for_a_change(enrollment, api, tokens):
    broker = tokens("broker", {"broker_code": "M12345"})
    pending_terms = tokens("member", {"member_number": SOLO}, terms_ok=False)
    for path, body in GOOD.items():
        for headers, status in ((tokens.correspondent(), 403), (broker, 403), (pending_terms, 403), ({}, 401)):
            answer = await api.post(f"/internal/requests/{path}", json=body, headers=headers)
            assert answer.status_code == status, (path, answer.text)
    for kind in (
        "benefits_iban",
        "contribution_iban",
        "debit_day",
        "remove_beneficiary",
        "change_guarantee",
        "address_change",
        "contact_details",
    ):
        assert (await api.get(f"/internal/requests/forms/{kind}", headers=tokens.correspondent())).status_code == 404, kind
        assert (await api.get(f"/internal/requests/forms/{kind}", headers=broker)).status_code == 404, kind
    assert await enrollment.pool.fetchval("SELECT count(*) FROM requests") == 0


async def _status_is(enrollment, request_id, status: str) -> bool:
    return await enrollment.pool.fetchval("SELECT status FROM requests WHERE id = $1", uuid.UUID(str(request_id))) == status
