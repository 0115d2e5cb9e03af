"""A household's file on the real Kafka and PostgreSQL: the contract page, the benefits table, the
beneficiaries (NIR and IBAN masked, never stored whole), the preferences matrix, snapshots kept by
revision in any order, and the paperless option deciding which statements are online."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pypdf
import pytest

from claims.domain.payments import beneficiary_id
from extranet_contracts.envelope import Envelope
from extranet_contracts.notifications import Channel, NotificationRequested
from extranet_contracts.testing import (
    communication_preferences_recorded,
    household_beneficiaries_recorded,
    member_contract_recorded,
    reimbursement_paid,
)
from extranet_plumbing.kafka import dlq_topic
from extranet_plumbing.testing import GATEWAY_HEADERS, publish_event, read_topic, wait_until

MINE, THEIRS = "73000042", "73000043"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))  # the clock of `claims_on_23_november`
HOUSEHOLDS, CLAIMS = "legacy.households", "legacy.claims"


@pytest.fixture
def claims(claims_on_23_november):
    return claims_on_23_november


@pytest.fixture
async def send(claims, kafka_producer, service_env):
    async def publish(stream: str, *events) -> None:
        for event in events:
            await publish_event(kafka_producer, service_env["topic_prefix"] + stream, event)

    return publish


@pytest.fixture
async def client(claims):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(claims.app), base_url="http://claims", headers=GATEWAY_HEADERS) as c:
        yield c


async def applied(claims, count: int) -> None:
    group = claims.group_id("claims-read-model")
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) >= $2 FROM inbox WHERE consumer_group = $1", group, count))


async def test_the_contract_page_and_its_benefits_table(claims, send, client, bearer):
    await send(HOUSEHOLDS, member_contract_recorded())
    await applied(claims, 1)
    answer = await client.get(f"/internal/members/{MINE}/contract", headers=bearer())
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert (page["contract_number"], page["kind"], page["subscription_date"]) == ("W1-000123", "collective", "2024-01-01")
    assert "adresser à votre employeur" in page["collective_notice"] and "BTP Isère Construction SARL" in page["collective_notice"]
    assert [(g["name"], g["start_date"], g["end_date"], g["current"]) for g in page["guarantees"]] == [
        ("SANTE SOCLE 2026", "2026-01-01", None, True),
        ("SANTE SOCLE", "2024-01-01", "2025-12-31", False),
    ]
    current = page["current_guarantee"]
    assert current["brochure_url"].endswith("sante-socle-2026.pdf") and len(current["benefits"]) == 2
    contribution = page["contribution"]
    assert contribution["payment"] == "Prélèvement sur salaire, tous les mois"
    assert contribution["last_payment"] == {"paid_on": "2026-10-31", "amount": "38.50"}
    assert contribution["last_payment_text"] == "38,50\u00a0€ le 31/10/2026" and "participation employeur" in contribution["note"]

    table = await client.get(f"/internal/members/{MINE}/contract/benefits-table", headers=bearer())
    assert table.status_code == 200 and table.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(table.content)).pages).replace("\u00a0", " ")
    assert "Tableau des prestations - SANTE SOCLE 2026" in text and "Mutuelle MBTP" in text
    assert "Consultation médecin généraliste" in text and "100 % BR" in text and "200 € par an" in text


async def test_no_payment_recorded_and_an_individual_contract(claims, send, client, bearer):
    contract = member_contract_recorded(
        kind="INDIVIDUEL",
        company_code=None,
        company_name=None,
        contribution={"payment_mode": "PRELEVEMENT", "frequency": "TRIMESTRIELLE"},
    )
    await send(HOUSEHOLDS, contract)
    await applied(claims, 1)
    page = (await client.get(f"/internal/members/{MINE}/contract", headers=bearer())).json()
    assert page["kind"] == "individual" and page["collective_notice"] is None
    assert page["contribution"]["last_payment"] is None
    assert page["contribution"]["last_payment_text"] == "Nous n'avons enregistré aucun règlement de votre part."


async def test_beneficiaries_with_their_nir_and_iban_masked(claims, send, client, bearer):
    await send(HOUSEHOLDS, household_beneficiaries_recorded())
    await applied(claims, 1)
    answer = await client.get(f"/internal/members/{MINE}/beneficiaries", headers=bearer())
    assert answer.status_code == 200, answer.text
    lea, hugo = answer.json()["items"]
    assert (lea["first_name"], lea["role_label"], hugo["first_name"], hugo["role_label"]) == ("Léa", "adhérent", "Hugo", "ayant droit")
    assert lea["id"] == beneficiary_id(MINE, "Léa", date(1985, 5, 12))  # as the reimbursements' search knows her
    assert lea["nir"] == "2 85 05 ** *** *** 41" and lea["phones"] == {"mobile": "06 12 34 56 78", "home": "04 76 12 34 56", "work": None}
    assert lea["benefits_account"] == {
        "iban": "FR76 **** **** **** **** ***0 189",
        "bic": "AGRIFRPP882",
        "bank_name": "Crédit Agricole",
        "holder": "Léa DURAND",
    }
    assert lea["home_address"]["city"] == "Grenoble" and lea["work_address"] is None and hugo["benefits_account"] is None
    stored = await claims.pool.fetchval("SELECT beneficiaries::text FROM household_beneficiaries")
    assert "285057800608441" not in stored and "30006000011234567890" not in stored  # never stored whole


async def test_the_preferences_matrix_and_snapshots_kept_by_revision(claims, send, client, bearer):
    empty = (await client.get(f"/internal/members/{MINE}/preferences", headers=bearer())).json()
    assert {row[c]["value"] for row in empty["rows"] for c in ("email", "post", "sms")} == {"undefined"} and not empty["paperless"]
    newer = communication_preferences_recorded(
        revision=3, paperless=True, paperless_since=date(2026, 2, 1), technical={"email": "ACCEPTE", "post": "REFUSE", "sms": "REFUSE"}
    )
    older = communication_preferences_recorded(revision=2)
    await send(HOUSEHOLDS, newer, older, newer)  # late, and twice
    await applied(claims, 2)
    page = (await client.get(f"/internal/members/{MINE}/preferences", headers=bearer())).json()
    technical, commercial = page["rows"][:2]
    assert (technical["label"], technical["email"], technical["post"]["label"]) == (
        "Informations techniques",
        {"value": "accepted", "label": "Accepté"},
        "Refusé",
    )
    assert commercial["email"]["label"] == "Non défini" and commercial["sms"]["label"] == "Refusé"
    assert page["paperless"] is True and page["paperless_since"] == "2026-02-01"
    assert [row["kind"] for row in page["rows"]] == ["technical", "commercial", "partners", "other"]


def payment(n: int, paid_on: date):
    return reimbursement_paid(reference=f"4400{n:04d}", paid_on=paid_on, received_on=paid_on - timedelta(days=2))


async def test_paperless_a_year_of_statements_online_otherwise_the_last_ten(claims, send, client, bearer):
    # Fourteen payments, one a month back from November 2026: the last ten are of February to November 2026.
    payments = [payment(n, date(2026, 11, 10) - timedelta(days=30 * n)) for n in range(14)]
    await send(CLAIMS, *payments)
    await applied(claims, 14)
    listed = (await client.get(f"/internal/members/{MINE}/statements", headers=bearer())).json()
    assert not listed["paperless"] and listed["rule"].startswith("Vos 10 derniers relevés")
    assert [r["reference"] for r in listed["items"]] == [f"4400{n:04d}" for n in range(10)]
    old = await client.get(f"/internal/members/{MINE}/statements/44000011", headers=bearer())
    assert old.status_code == 404 and old.json()["detail"] == "Ce relevé n'est plus disponible en ligne."

    await send(HOUSEHOLDS, communication_preferences_recorded(paperless=True, paperless_since=date(2026, 1, 1)))
    await applied(claims, 15)
    listed = (await client.get(f"/internal/members/{MINE}/statements", headers=bearer())).json()
    a_year_ago = NOW.date() - timedelta(days=365)
    expected = [p.reference for p in payments if p.paid_on >= a_year_ago]
    assert listed["paperless"] and "douze derniers mois" in listed["rule"] and len(expected) == 12
    assert [r["reference"] for r in listed["items"]] == expected
    assert (await client.get(f"/internal/members/{MINE}/statements/44000011", headers=bearer())).status_code == 200
    assert (await client.get(f"/internal/members/{MINE}/statements/44000013", headers=bearer())).status_code == 404

    archive = await client.get(f"/internal/members/{MINE}/statements/archive", params={"from": "2025-01-01"}, headers=bearer())
    assert zipfile.ZipFile(io.BytesIO(archive.content)).namelist() == [f"releve-{reference}.pdf" for reference in expected]


async def test_a_member_reads_only_their_households_file(claims, send, client, bearer):
    await send(HOUSEHOLDS, member_contract_recorded(member_number=THEIRS), household_beneficiaries_recorded(member_number=THEIRS))
    await applied(claims, 2)
    for path in ("contract", "contract/benefits-table", "beneficiaries"):
        mine = await client.get(f"/internal/members/{MINE}/{path}", headers=bearer())
        assert mine.status_code == 404 and "votre foyer" in mine.json()["detail"]
    for path in ("contract", "contract/benefits-table", "beneficiaries", "preferences", "statements"):
        assert (await client.get(f"/internal/members/{THEIRS}/{path}", headers=bearer())).status_code == 403
        assert (await client.get(f"/internal/members/{MINE}/{path}")).status_code == 401
        assert (await client.get(f"/internal/members/{MINE}/{path}", headers=bearer(terms_ok=False))).status_code == 403
        broker = bearer(kind="broker", scope={"broker_code": "M12345", "member_number": MINE})
        assert (await client.get(f"/internal/members/{MINE}/{path}", headers=broker)).status_code == 403
    theirs = bearer(scope={"member_number": THEIRS})
    assert (await client.get(f"/internal/members/{THEIRS}/contract", headers=theirs)).json()["contract_number"] == "W1-000123"


async def test_a_bad_household_event_is_dead_lettered_with_its_cause(claims, kafka_producer, service_env, infra):
    bad = member_contract_recorded().model_dump(mode="json")
    bad["kind"] = "INDIVIDUEL"  # with its company: cannot be right
    envelope = Envelope(type="MemberContractRecorded", version=1, source="urn:test", tenant="mbtp", key=MINE)
    topic = service_env["topic_prefix"] + HOUSEHOLDS
    await kafka_producer.send_and_wait(topic, value=json.dumps(bad).encode(), key=MINE.encode(), headers=envelope.to_headers())
    records = await read_topic(infra.kafka_bootstrap, dlq_topic(topic), expected=1)
    headers = dict(records[0].headers)
    assert b"company" in headers["x-dlq-exception-message"] and b"W1-000123" not in headers["x-dlq-exception-message"]
    assert await claims.pool.fetchval("SELECT count(*) FROM member_contracts") == 0


# --- the "new document online" email of a paperless member ---------------------------------------------


async def requests_sent(service_env, infra, expected: int) -> list:
    records = await read_topic(infra.kafka_bootstrap, service_env["topic_prefix"] + "notifications.requests", expected=expected, timeout=5)
    return [NotificationRequested.model_validate_json(r.value) for r in records]


async def test_each_new_statement_of_a_paperless_member_is_announced_once(claims, send, service_env, infra):
    await send(
        HOUSEHOLDS,
        household_beneficiaries_recorded(),
        communication_preferences_recorded(paperless=True, paperless_since=date(2026, 1, 1)),
        household_beneficiaries_recorded(member_number=THEIRS),
        communication_preferences_recorded(member_number=THEIRS),  # paper statements
    )
    await applied(claims, 4)
    fresh = payment(1, NOW.date() - timedelta(days=2))
    corrected = reimbursement_paid(**{**fresh.model_dump(), "revision": 2})
    old = payment(2, NOW.date() - timedelta(days=40))  # history arriving late: no email
    theirs = reimbursement_paid(reference="44009999", member_number=THEIRS, paid_on=NOW.date() - timedelta(days=1))
    await send(CLAIMS, fresh, fresh, corrected, old, theirs)
    group = claims.group_id("claims-read-model")
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) >= 4 FROM inbox WHERE consumer_group = $1", group))
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))

    (request,) = await requests_sent(service_env, infra, 2)
    assert request.template == "document_available" and request.channels == [Channel.EMAIL]
    assert (request.recipient.email, request.recipient.display_name) == ("lea.durand@orange.fr", "Léa Durand")
    assert request.data == {"document_title": f"Relevé de prestations n° {fresh.reference}", "document_date": fresh.paid_on.isoformat()}
    assert await claims.pool.fetchval("SELECT count(*) FROM documents_announced") == 1


async def test_only_the_recent_statements_of_a_paperless_insured_with_an_email_are_announced_never_again(claims, send, service_env, infra):
    no_email = household_beneficiaries_recorded(member_number=THEIRS).model_dump()
    no_email["beneficiaries"][0]["email"] = None
    paperless = {"paperless": True, "paperless_since": date(2026, 1, 1)}
    await send(
        HOUSEHOLDS,
        household_beneficiaries_recorded(),
        communication_preferences_recorded(**paperless),
        household_beneficiaries_recorded(**no_email),
        communication_preferences_recorded(member_number=THEIRS, **paperless),
    )
    await applied(claims, 4)
    a_week_ago = payment(1, NOW.date() - timedelta(days=7))
    eight_days_ago = payment(2, NOW.date() - timedelta(days=8))
    theirs = reimbursement_paid(reference="44009999", member_number=THEIRS, paid_on=NOW.date())  # paperless, but no email on file
    await send(CLAIMS, a_week_ago, eight_days_ago, theirs)
    group = claims.group_id("claims-read-model")
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) >= 3 FROM inbox WHERE consumer_group = $1", group))
    await send(CLAIMS, reimbursement_paid(**{**a_week_ago.model_dump(), "revision": 3}))  # corrected later, in a batch of its own
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) >= 4 FROM inbox WHERE consumer_group = $1", group))
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))

    requests = await requests_sent(service_env, infra, 2)
    assert [(r.recipient.email, r.data["document_title"]) for r in requests] == [
        ("lea.durand@orange.fr", f"Relevé de prestations n° {a_week_ago.reference}")
    ]
    assert await claims.pool.fetchval("SELECT array_agg(reference) FROM documents_announced") == [a_week_ago.reference]


async def test_a_statement_arrived_before_its_households_file_is_announced_when_the_file_comes(claims, send, service_env, infra):
    # The legacy system's payments and households' files are on separate topics: a statement may come first.
    fresh = payment(1, NOW.date() - timedelta(days=2))
    theirs_before = reimbursement_paid(reference="44009998", member_number=THEIRS, paid_on=NOW.date() - timedelta(days=3))
    theirs_after = reimbursement_paid(reference="44009999", member_number=THEIRS, paid_on=NOW.date())
    await send(CLAIMS, fresh, theirs_before, theirs_after)
    await applied(claims, 3)
    # Mine: preferences first (paperless since January), then the beneficiaries with the email: the last one tells.
    await send(HOUSEHOLDS, communication_preferences_recorded(paperless=True, paperless_since=date(2026, 1, 1)))
    await applied(claims, 4)
    assert await claims.pool.fetchval("SELECT count(*) FROM documents_announced") == 0  # no email on file yet
    await send(HOUSEHOLDS, household_beneficiaries_recorded())
    # Theirs: beneficiaries first, then paperless since yesterday: the statement paid before went by post.
    await send(HOUSEHOLDS, household_beneficiaries_recorded(member_number=THEIRS))
    await applied(claims, 6)
    await send(
        HOUSEHOLDS, communication_preferences_recorded(member_number=THEIRS, paperless=True, paperless_since=NOW.date() - timedelta(days=1))
    )
    await applied(claims, 7)
    # Told again by a newer revision of the same preferences: nothing more.
    await send(HOUSEHOLDS, communication_preferences_recorded(revision=9, paperless=True, paperless_since=date(2026, 1, 1)))
    await applied(claims, 8)
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))

    requests = await requests_sent(service_env, infra, 3)
    assert sorted((r.recipient.reference, r.data["document_title"]) for r in requests) == [
        (f"member:{MINE}", f"Relevé de prestations n° {fresh.reference}"),
        (f"member:{THEIRS}", f"Relevé de prestations n° {theirs_after.reference}"),
    ]
    assert sorted(await claims.pool.fetchval("SELECT array_agg(reference) FROM documents_announced")) == [
        fresh.reference,
        theirs_after.reference,
    ]


async def test_a_statement_both_concurrent_transactions_missed_is_announced_by_the_sweep(claims, send, service_env, infra):
    # What two transactions applied at once leave: the payment and the household's file kept, neither announcing
    # (each ran before the other committed). Made here by removing what was announced, as if it never had been.
    await send(HOUSEHOLDS, household_beneficiaries_recorded(), communication_preferences_recorded(paperless=True))
    await send(HOUSEHOLDS, household_beneficiaries_recorded(member_number=THEIRS))
    await send(HOUSEHOLDS, communication_preferences_recorded(member_number=THEIRS, paperless=True))
    await applied(claims, 4)
    fresh = payment(1, NOW.date() - timedelta(days=1))
    theirs = reimbursement_paid(reference="44009999", member_number=THEIRS, paid_on=NOW.date())
    await send(CLAIMS, fresh, theirs)
    await applied(claims, 6)
    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) = 2 FROM documents_announced"))
    async with claims.pool.acquire() as conn, conn.transaction():
        # Their household's file was written long ago: not the sweep's to look at; mine a moment ago.
        await conn.execute("UPDATE communication_preferences SET recorded_at = now() - interval '1 hour'")
        await conn.execute("UPDATE household_beneficiaries SET recorded_at = now() - interval '1 hour' WHERE member_number = $1", THEIRS)
        await conn.execute("DELETE FROM documents_announced")
        await conn.execute("DELETE FROM outbox")

    await wait_until(lambda: claims.pool.fetchval("SELECT count(*) > 0 FROM documents_announced"))
    await asyncio.sleep(1)  # five sweeps more: announced once, theirs never
    assert await claims.pool.fetchval("SELECT array_agg(reference) FROM documents_announced") == [fresh.reference]
    (value,) = await claims.pool.fetchval("SELECT array_agg(value) FROM outbox")  # the one request, sent or not yet
    request = NotificationRequested.model_validate_json(value)
    assert request.recipient.reference == f"member:{MINE}" and request.data["document_title"].endswith(fresh.reference)
