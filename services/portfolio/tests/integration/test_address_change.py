"""The broker's profile and address change on a real Kafka and PostgreSQL: the profile as the legacy
system published it, the Kbis kept under a random id, the request recorded and read back from
portal.requests with the file's reference, and a broker kept out of another broker's profile."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import timedelta

import asyncpg
import httpx
import jwt
import pytest

from extranet_contracts.envelope import Envelope
from extranet_contracts.requests import PORTAL_REQUESTS, BrokerAddressChangeRequested
from extranet_contracts.testing import broker_registered
from extranet_plumbing.testing import GATEWAY_HEADERS, publish_event, read_topic, wait_until
from portfolio.bootstrap import bootstrap
from portfolio.domain.periods import today_in_france
from portfolio.settings import PortfolioSettings

MINE, THEIRS = "M12345", "M67890"
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200 + b"%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."


@pytest.fixture
async def portfolio(service_env, infra, tmp_path):
    service = bootstrap(PortfolioSettings(**service_env, documents_dir=tmp_path / "documents"))
    async with service.running():
        yield service
    conn = await asyncpg.connect(infra.database_url)  # once stopped: its outbox relay reads the schema until then
    try:
        await conn.execute(f"DROP SCHEMA {service.schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def client(portfolio):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(portfolio.app), base_url="http://portfolio", headers=GATEWAY_HEADERS) as c:
        yield c


@pytest.fixture
async def registered(portfolio, kafka_producer, service_env):
    """Both brokers, as the legacy system registered them, in the read model."""
    topic = service_env["topic_prefix"] + "legacy.brokers"
    await publish_event(kafka_producer, topic, broker_registered(broker_code=MINE, phone="04 78 00 00 00"))
    await publish_event(kafka_producer, topic, broker_registered(broker_code=THEIRS, name="Courtage Durand", orias_number="07067890"))
    await wait_until(lambda: portfolio.pool.fetchval("SELECT count(*) = 2 FROM brokers"))


def bearer(jwt_keys, broker_code: str) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": "extranet-identity",
        "aud": "extranet",
        "sub": f"account-of-{broker_code}",
        "typ": "access",
        "kind": "broker",
        "tenant": "mbtp",
        "scope": {"broker_code": broker_code},
        "iat": now,
        "exp": now + 600,
        "terms_ok": True,
    }
    return {"authorization": f"Bearer {jwt.encode(claims, jwt_keys.private_pem, algorithm='EdDSA')}"}


def form(effective_in_days: int = 30, **changes) -> dict[str, str]:
    effective = today_in_france() + timedelta(days=effective_in_days)
    values = {"line1": "8 place Bellecour", "line2": "Bâtiment B", "locality": "", "postal_code": "69002", "city": "Lyon"}
    return {**values, "effective_date": effective.isoformat(), **changes}


async def test_the_profile_is_the_brokers_as_the_legacy_system_published_it(client, registered, jwt_keys):
    response = await client.get(f"/internal/brokers/{MINE}/profile", headers=bearer(jwt_keys, MINE))
    assert response.status_code == 200, response.text
    profile = response.json()
    assert {
        k: profile[k] for k in ("broker_code", "name", "orias_number", "contact_last_name", "contact_first_name", "email", "phone")
    } == {
        "broker_code": MINE,
        "name": "Cabinet Martin Courtage",
        "orias_number": "07012345",
        "contact_last_name": "Martin",
        "contact_first_name": "Claire",
        "email": "claire.martin@cabinet-martin.fr",
        "phone": "04 78 00 00 00",
    }
    assert profile["address"]["city"] == "Grenoble" and profile["changed_at"] is not None
    assert profile["pending_address_change"] is None


async def test_an_address_change_keeps_the_kbis_and_reaches_kafka_with_its_reference(
    client, registered, portfolio, jwt_keys, infra, service_env, tmp_path
):
    auth = bearer(jwt_keys, MINE)
    sent = await client.post(
        f"/internal/brokers/{MINE}/address-change", data=form(), files={"kbis": ("Kbis cabinet.pdf", PDF, "application/pdf")}, headers=auth
    )
    assert sent.status_code == 202, sent.text
    answer = sent.json()
    assert answer["status"] == "submitted" and "service gestion" in answer["message"]
    request_id = uuid.UUID(answer["request_id"])

    [record] = await read_topic(infra.kafka_bootstrap, service_env["topic_prefix"] + PORTAL_REQUESTS, expected=1)
    envelope = Envelope.from_headers(record.headers)
    event = BrokerAddressChangeRequested.model_validate_json(record.value)
    assert (envelope.type, envelope.tenant, envelope.source, record.key) == (
        "BrokerAddressChangeRequested",
        "mbtp",
        "urn:extranet:portfolio",
        b"M12345",
    )
    assert (event.request_id, event.broker_code, event.effective_date.isoformat()) == (request_id, MINE, form()["effective_date"])
    assert event.address.model_dump() == {
        "line1": "8 place Bellecour",
        "line2": "Bâtiment B",
        "locality": None,
        "postal_code": "69002",
        "city": "Lyon",
        "country": "FR",
    }
    assert (event.kbis.media_type, event.kbis.size, event.kbis.sha256) == ("application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    assert b"%PDF" not in record.value and b"Kbis cabinet" not in record.value  # a reference, never the file

    # The file is kept under its random id, never under the broker's name for it.
    stored = tmp_path / "documents" / "mbtp" / event.kbis.file_id.hex
    assert stored.read_bytes() == PDF
    assert [p.name for p in (tmp_path / "documents" / "mbtp").iterdir()] == [event.kbis.file_id.hex]
    row = await portfolio.pool.fetchrow("SELECT * FROM broker_requests WHERE id = $1", request_id)
    assert (row["broker_code"], row["kind"], row["status"], row["created_by"]) == (MINE, "address_change", "submitted", "account-of-M12345")
    assert (row["document_file_id"], row["document_name"], row["document_sha256"]) == (
        event.kbis.file_id,
        "Kbis cabinet.pdf",
        event.kbis.sha256,
    )

    pending = (await client.get(f"/internal/brokers/{MINE}/profile", headers=auth)).json()["pending_address_change"]
    assert pending["request_id"] == str(request_id) and pending["address"]["city"] == "Lyon"
    assert pending["kbis"] == {"name": "Kbis cabinet.pdf", "media_type": "application/pdf", "size": len(PDF)}
    assert pending["effective_date"] == form()["effective_date"]


async def test_a_refused_form_keeps_nothing_and_names_each_field(client, registered, portfolio, jwt_keys, tmp_path):
    auth = bearer(jwt_keys, MINE)
    refused = await client.post(
        f"/internal/brokers/{MINE}/address-change",
        data=form(effective_in_days=-1, postal_code="690"),
        files={"kbis": ("kbis.pdf", EXE, "application/pdf")},
        headers=auth,
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert {e["field"]: e["message"] for e in refused.json()["errors"]} == {
        "postal_code": "Le code postal doit compter 5 chiffres.",
        "effective_date": "La date d'effet souhaitée ne peut pas être dans le passé.",
        "kbis": "Le Kbis doit être un fichier PDF, PNG ou JPEG.",
    }
    not_a_form = await client.post(f"/internal/brokers/{MINE}/address-change", json=form(), headers=auth)
    assert not_a_form.status_code == 422 and not_a_form.json()["detail"] == "Le formulaire doit être envoyé en multipart/form-data."
    assert await portfolio.pool.fetchval("SELECT count(*) FROM broker_requests") == 0
    assert await portfolio.pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert not (tmp_path / "documents").exists() or not any((tmp_path / "documents").rglob("*"))


async def test_only_the_upload_takes_a_large_body(client, registered, jwt_keys):
    auth = bearer(jwt_keys, MINE)
    too_large = await client.post(
        f"/internal/brokers/{MINE}/address-change",
        data=form(),
        files={"kbis": ("kbis.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf")},
        headers=auth,
    )
    assert too_large.status_code == 413 and too_large.json()["errors"] == [
        {"field": "kbis", "in": "body", "message": "Le fichier dépasse 4 Mo."}
    ]
    elsewhere = await client.post(f"/internal/brokers/{MINE}/profile", content=b"0" * (200 * 1024), headers=auth)
    assert elsewhere.status_code == 413


async def test_a_broker_never_reads_nor_changes_another_brokers_profile(client, registered, portfolio, jwt_keys, tmp_path):
    mine, theirs = bearer(jwt_keys, MINE), bearer(jwt_keys, THEIRS)
    sent = await client.post(
        f"/internal/brokers/{MINE}/address-change", data=form(), files={"kbis": ("kbis.pdf", PDF, "application/pdf")}, headers=mine
    )
    assert sent.status_code == 202
    for response in (
        await client.get(f"/internal/brokers/{MINE}/profile", headers=theirs),
        await client.post(
            f"/internal/brokers/{MINE}/address-change", data=form(), files={"kbis": ("kbis.pdf", PDF, "application/pdf")}, headers=theirs
        ),
    ):
        assert response.status_code == 403 and response.headers["content-type"] == "application/problem+json"
        assert "Martin" not in response.text and "kbis" not in response.text.lower()
    own = (await client.get(f"/internal/brokers/{THEIRS}/profile", headers=theirs)).json()
    assert own["name"] == "Courtage Durand" and own["pending_address_change"] is None
    assert await portfolio.pool.fetchval("SELECT count(*) FROM broker_requests") == 1
    assert len(list((tmp_path / "documents" / "mbtp").iterdir())) == 1


async def test_a_broker_the_legacy_system_has_not_registered_has_no_profile_yet(client, portfolio, jwt_keys):
    response = await client.get("/internal/brokers/M99999/profile", headers=bearer(jwt_keys, "M99999"))
    assert response.status_code == 404 and "pas encore" in response.json()["detail"]
