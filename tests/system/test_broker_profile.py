"""The broker's profile through the gateway (issue 9): the office as the legacy system published it on
Kafka, a postal address change with its Kbis that reaches portal.requests, the files the portal
refuses with a French sentence naming the field, and a broker who never sees another broker's profile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extranet_contracts.requests import PORTAL_REQUESTS, BrokerAddressChangeRequested
from extranet_contracts.testing import broker_registered
from extranet_plumbing.testing import GATEWAY_HEADERS, publish_event, read_topic, wait_until
from portfolio.domain.periods import today_in_france

PASSWORD = "Courtier-Test-2026"
MINE, THEIRS = "M40201", "M40202"
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" * 100 + b"%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode.\r\r\n$"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
NOT_ACCEPTED = "Le Kbis doit être un fichier PDF, PNG ou JPEG."


@pytest.fixture
async def brokers(platform, kafka_producer, topic_prefix):
    """Two brokers registered by the legacy system (on Kafka), each logged in: {broker code: headers}."""
    topic = topic_prefix + "legacy.brokers"
    await publish_event(kafka_producer, topic, broker_registered(broker_code=MINE, phone="04 78 12 34 56"))
    await publish_event(
        kafka_producer,
        topic,
        broker_registered(broker_code=THEIRS, name="Courtage Durand & Fils", orias_number="07040202", contact_last_name="Durand"),
    )
    await wait_until(lambda: platform.portfolio.pool.fetchval("SELECT count(*) = 2 FROM brokers"), timeout=30)
    logged_in = {}
    for code in (MINE, THEIRS):
        await platform.create_broker_login(code, PASSWORD)
        logged_in[code] = {"authorization": f"Bearer {await platform.login(code, PASSWORD)}"}
    return logged_in


def address_form(**changes) -> dict[str, str]:
    effective = today_in_france() + timedelta(days=45)
    form = {"line1": "24 quai Saint-Antoine", "line2": "3e étage", "locality": "", "postal_code": "69002", "city": "Lyon"}
    return {**form, "effective_date": effective.isoformat(), **changes}


async def send(platform, headers, name: str, data: bytes, media_type: str = "application/pdf", **changes):
    return await platform.gateway.post(
        "/api/broker/address-change", data=address_form(**changes), files={"kbis": (name, data, media_type)}, headers=headers
    )


async def test_the_profile_shows_the_office_as_the_legacy_system_published_it(platform, brokers):
    response = await platform.gateway.get("/api/broker/profile", headers=brokers[MINE])
    assert response.status_code == 200, response.text
    profile = response.json()
    assert (profile["name"], profile["broker_code"], profile["orias_number"]) == ("Cabinet Martin Courtage", MINE, "07012345")
    assert (profile["contact_first_name"], profile["contact_last_name"]) == ("Claire", "Martin")
    assert (profile["email"], profile["phone"]) == ("claire.martin@cabinet-martin.fr", "04 78 12 34 56")
    assert profile["address"] == {
        "line1": "12 route de Paris",
        "line2": None,
        "locality": None,
        "postal_code": "38040",
        "city": "Grenoble",
        "country": "FR",
    }
    assert profile["pending_address_change"] is None


async def test_an_address_change_with_a_pdf_kbis_is_accepted_and_goes_to_the_legacy_system(platform, brokers, infra, topic_prefix):
    accepted = await send(platform, brokers[MINE], "Kbis Martin Courtage.pdf", PDF)
    assert accepted.status_code == 202, accepted.text
    answer = accepted.json()
    assert answer["status"] == "submitted"
    assert answer["message"].startswith("Votre demande de changement d'adresse a bien été transmise.")

    [record] = await read_topic(infra.kafka_bootstrap, topic_prefix + PORTAL_REQUESTS, expected=1)
    request = BrokerAddressChangeRequested.model_validate_json(record.value)
    assert (str(request.request_id), request.broker_code, request.address.line1) == (answer["request_id"], MINE, "24 quai Saint-Antoine")
    assert (request.kbis.media_type, request.kbis.size) == ("application/pdf", len(PDF))

    pending = (await platform.gateway.get("/api/broker/profile", headers=brokers[MINE])).json()["pending_address_change"]
    assert pending["request_id"] == answer["request_id"] and pending["address"]["city"] == "Lyon"
    assert pending["kbis"] == {"name": "Kbis Martin Courtage.pdf", "media_type": "application/pdf", "size": len(PDF)}


@pytest.mark.parametrize(
    ("name", "data", "media_type", "status", "message"),
    [
        ("kbis.pdf", EXE, "application/pdf", 422, NOT_ACCEPTED),  # a program renamed: its content says what it is
        ("kbis.gif", GIF, "image/gif", 422, NOT_ACCEPTED),
        # Refused by the gateway before it reads more than the route's limit: portfolio never sees it.
        ("kbis.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf", 413, "Le fichier dépasse 4 Mo."),
        ("kbis.pdf", b"", "application/pdf", 422, "Le fichier est vide."),
    ],
    ids=["renamed executable", "gif", "5 MB", "empty"],
)
async def test_a_file_the_portal_does_not_take_is_refused_in_french_naming_the_field(
    platform, brokers, name, data, media_type, status, message
):
    refused = await send(platform, brokers[MINE], name, data, media_type)
    assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
    reached_portfolio = ("portfolio", "POST", f"/internal/brokers/{MINE}/address-change") in platform.upstream_calls
    assert reached_portfolio is (status != 413)
    assert refused.json()["detail"] == message
    assert refused.json()["errors"] == [{"field": "kbis", "in": "body", "message": message}]
    profile = (await platform.gateway.get("/api/broker/profile", headers=brokers[MINE])).json()
    assert profile["pending_address_change"] is None
    assert await platform.portfolio.pool.fetchval("SELECT count(*) FROM broker_requests") == 0


async def test_the_address_fields_are_checked_too(platform, brokers):
    refused = await send(platform, brokers[MINE], "kbis.pdf", PDF, line1="", postal_code="6900", effective_date="2020-01-01")
    assert refused.status_code == 422
    assert {e["field"]: e["message"] for e in refused.json()["errors"]} == {
        "line1": "L'adresse est obligatoire.",
        "postal_code": "Le code postal doit compter 5 chiffres.",
        "effective_date": "La date d'effet souhaitée ne peut pas être dans le passé.",
    }


async def test_a_broker_never_sees_another_brokers_profile_nor_request(platform, brokers):
    assert (await send(platform, brokers[MINE], "kbis.pdf", PDF)).status_code == 202
    theirs = (await platform.gateway.get("/api/broker/profile", headers=brokers[THEIRS])).json()
    assert theirs["broker_code"] == THEIRS and theirs["name"] == "Courtage Durand & Fils"
    assert theirs["pending_address_change"] is None and "Martin" not in str(theirs)

    # Asking portfolio directly for the other broker's profile, or changing its address, with my token.
    for response in (
        await platform.portfolio_client.get(f"/internal/brokers/{MINE}/profile", headers={**brokers[THEIRS], **GATEWAY_HEADERS}),
        await platform.portfolio_client.post(
            f"/internal/brokers/{MINE}/address-change",
            data=address_form(),
            files={"kbis": ("kbis.pdf", PDF, "application/pdf")},
            headers={**brokers[THEIRS], **GATEWAY_HEADERS},
        ),
    ):
        assert response.status_code == 403 and response.headers["content-type"] == "application/problem+json"
        assert "Martin" not in response.text and "kbis" not in response.text.lower()
    assert await platform.portfolio.pool.fetchval("SELECT count(*) FROM broker_requests") == 1


async def test_no_profile_without_a_brokers_token(platform, brokers):
    assert (await platform.gateway.get("/api/broker/profile")).status_code == 401
    anonymous = await platform.gateway.post(
        "/api/broker/address-change", data=address_form(), files={"kbis": ("kbis.pdf", PDF, "application/pdf")}
    )
    assert anonymous.status_code == 401
    assert await platform.portfolio.pool.fetchval("SELECT count(*) FROM broker_requests") == 0


async def test_a_body_that_is_no_form_is_refused(platform, brokers):
    for content_type in (b"application/json", "multipart/form-data; boundary=é".encode("latin-1"), b"multipart/form-data; boundary=x"):
        refused = await platform.gateway.post(
            "/api/broker/address-change", content=b'{"line1": "x"}', headers={**brokers[MINE], "content-type": content_type}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "Le formulaire doit être envoyé en multipart/form-data."
