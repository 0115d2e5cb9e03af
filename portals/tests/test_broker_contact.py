"""The broker's « Modifier mes points de contact » page (guide 000 §2.4) in front of a fake gateway: the form filled
with the office's contact as the legacy system knows it, the current email shown; a missing field said without asking
the gateway; the gateway's French refusals next to their field; a change on its way said above the form; a change sent
goes back to « Mon compte » with the confirmation."""

from __future__ import annotations

import json

import httpx
import pytest
from portals.testing import BROKER_ACCOUNT, csrf_of, logged_in, tokens_answer

BASE = "/mbtp/courtier"
PAGE = BASE + "/mon-compte/points-de-contact"
OFFICE = {
    "broker_code": "M12345",
    "name": "Cabinet Martin Courtage",
    "orias_number": "07012345",
    "contact_last_name": "Martin",
    "contact_first_name": "Claire",
    "email": "claire.martin@cabinet-martin.fr",
    "phone": "04 78 12 34 56",
    "address": {"line1": "12 route de Paris", "line2": None, "locality": None, "postal_code": "38040", "city": "Grenoble", "country": "FR"},
    "changed_at": None,
    "pending_address_change": None,
}
FORM = {
    "contact_last_name": "Durand",
    "contact_first_name": "Sophie",
    "email": "sophie.durand@cabinet-martin.fr",
    "email_confirmation": "sophie.durand@cabinet-martin.fr",
    "phone": "04 72 10 20 30",
}


class FakeGateway:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.answer: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/auth/login":
            return tokens_answer()
        if path == "/api/me":
            return httpx.Response(200, json=BROKER_ACCOUNT)
        if path == "/api/broker/profile":
            return httpx.Response(200, json=OFFICE)
        if path == "/api/broker/contact-change":
            self.sent.append(json.loads(request.content))
            return self.answer
        return httpx.Response(404, json={"status": 404})


@pytest.fixture
async def portal(portals_behind):
    gateway = FakeGateway()
    return await portals_behind(gateway), gateway


def _problem(status: int, detail: str, errors: list | None = None) -> httpx.Response:
    body = {"status": status, "detail": detail, **({"errors": errors} if errors else {})}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


async def test_the_broker_changes_the_offices_contact_through_a_request(portal):
    service, gateway = portal
    async with logged_in(service, BASE, "M12345") as client:
        page = await client.get(PAGE)
        assert page.status_code == 200
        assert 'value="Martin"' in page.text and 'value="Claire"' in page.text and 'value="04 78 12 34 56"' in page.text
        assert "Adresse e-mail actuelle : claire.martin@cabinet-martin.fr" in page.text
        csrf = csrf_of(page)

        missing = await client.post(PAGE, data={"csrf": csrf, **FORM, "email_confirmation": ""})
        assert missing.status_code == 422 and "Confirmez la nouvelle adresse e-mail." in missing.text and gateway.sent == []

        gateway.answer = _problem(
            422,
            "Certains champs sont à corriger.",
            [{"field": "email_confirmation", "in": "body", "message": "Les deux adresses e-mail ne sont pas identiques."}],
        )
        differs = await client.post(PAGE, data={"csrf": csrf, **FORM, "email_confirmation": "sophie@ailleurs.fr"})
        assert (
            differs.status_code == 422 and 'id="email_confirmation-error">Les deux adresses e-mail ne sont pas identiques.' in differs.text
        )
        assert 'value="sophie@ailleurs.fr"' in differs.text  # what was typed stays

        gateway.answer = _problem(409, "Une modification de vos points de contact est déjà en cours de validation par nos services.")
        busy = await client.post(PAGE, data={"csrf": csrf, **FORM})
        assert busy.status_code == 422 and "déjà en cours de validation" in busy.text

        gateway.answer = httpx.Response(201, json=_request())
        done = await client.post(PAGE, data={"csrf": csrf, **FORM})
        assert done.status_code == 303 and done.headers["location"] == BASE + "/mon-compte"
        assert gateway.sent[-1] == FORM
        account = await client.get(BASE + "/mon-compte")
        assert "Suivez-la dans « Mes demandes »" in account.text and f'href="{PAGE}"' in account.text

        assert (await client.post(PAGE, data=FORM)).status_code in (403, 422)  # no CSRF token: nothing sent
        assert len(gateway.sent) == 3


def _request() -> dict:
    return {
        "id": "6f1c2b1e-7d7a-4c1e-9a2b-0c1d2e3f4a5b",
        "kind": "broker_contact_change",
        "kind_label": "Changement des points de contact du cabinet",
        "status": "submitted",
        "status_label": "Envoyée",
        "subject": "Sophie DURAND",
        "contract_number": None,
        "submitted_at": "2026-12-01T10:00:00+00:00",
        "decided_at": None,
        "refusal_reason": None,
        "awaiting_advisor": False,
        "portal": "broker",
        "reference": "M12345",
        "created_at": "2026-12-01T10:00:00+00:00",
        "sent_at": None,
        "payload": {},
        "attachments": [],
        "window": None,
        "missing_steps": [],
        "history": [],
    }
