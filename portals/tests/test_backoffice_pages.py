"""The back office's pages in front of a fake gateway: the operator logs in on the back-office portal, the filters
that hold become the gateway's query (the others are dropped), a request's files stream through the portal with
the session's token added here, a refusal without its reason never reaches the gateway, every decision needs the
session's CSRF token, and the pages of the other portals do not exist here."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from portals.testing import csrf_of, logged_in, tokens_answer

BASE = "/mbtp/gestion"
REQUEST_ID = str(uuid.uuid4())
FILE_ID = str(uuid.uuid4())
PDF = b"%PDF-1.7\n" + b"x" * 70_000
SENT = "2026-12-01T09:30:00+00:00"


def _request(**overrides) -> dict:
    values = {
        "id": REQUEST_ID,
        "kind": "affiliation",
        "kind_label": "Affiliation d'un salarié",
        "status": "sent",
        "status_label": "Transmise à la gestion",
        "subject": "MARTIN Julie",
        "contract_number": "W1-000123",
        "submitted_at": SENT,
        "decided_at": None,
        "refusal_reason": None,
        "awaiting_advisor": True,
        "portal": "employer",
        "reference": "12345678",
        "created_at": SENT,
        "sent_at": SENT,
        "payload": {"contact": {"email": "julie.martin@exemple.fr"}},
        "attachments": [
            {"file_id": FILE_ID, "name": "livret-de-famille.pdf", "media_type": "application/pdf", "size": len(PDF), "sha256": "0" * 64}
        ],
        "window": None,
        "missing_steps": [],
        "history": [
            {"at": SENT, "actor": "requester", "actor_label": "Vous", "status": "submitted", "status_label": "Envoyée", "note": None}
        ],
    }
    return {**values, **overrides}


class FakeGateway:
    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path == "/api/auth/login":
            return tokens_answer()
        if path == "/api/backoffice/requests":
            return httpx.Response(200, json={"total": 1, "page": 1, "page_size": 50, "items": [_request()]})
        if path == f"/api/backoffice/requests/{REQUEST_ID}":
            return httpx.Response(200, json=_request())
        if path == f"/api/backoffice/requests/{REQUEST_ID}/decision":
            return httpx.Response(200, json=_request(awaiting_advisor=False))
        if path == f"/api/backoffice/requests/{REQUEST_ID}/attachments/{FILE_ID}":
            return httpx.Response(
                200, content=PDF, headers={"content-type": "application/pdf", "content-disposition": 'attachment; filename="piece.pdf"'}
            )
        return httpx.Response(404, json={"status": 404})

    def called(self, path: str) -> list[httpx.Request]:
        return [call for call in self.calls if call.url.path == path]


@pytest.fixture
async def portal(portals_behind):
    gateway = FakeGateway()
    return await portals_behind(gateway), gateway


def _operator(service):
    return logged_in(service, BASE, "j.conseil")


async def test_the_operator_logs_in_on_the_back_office_and_filters_the_requests(portal):
    service, gateway = portal
    async with _operator(service) as client:
        [login] = gateway.called("/api/auth/login")
        assert json.loads(login.content)["portal"] == "backoffice" and login.url.params["tenant"] == "mbtp"

        home = await client.get(BASE + "/accueil")
        assert home.status_code == 200 and "Demandes à décider" in home.text and "MARTIN Julie" in home.text
        assert dict(gateway.called("/api/backoffice/requests")[-1].url.params) == {"awaiting_advisor": "true"}
        assert gateway.called("/api/backoffice/requests")[-1].headers["authorization"] == "Bearer access-1"

        listed = await client.get(BASE + "/demandes?annee=1999&type=inconnu&statut=draft&portail=member&conseiller=non&page=2")
        assert listed.status_code == 200
        assert dict(gateway.called("/api/backoffice/requests")[-1].url.params) == {
            "portal": "member",
            "awaiting_advisor": "false",
            "page": "2",
        }

        for elsewhere in ("/mes-demandes", "/ecrivez-nous", "/beneficiaires/ajouter", "/radiation"):
            assert (await client.get(BASE + elsewhere)).status_code == 404, elsewhere


async def test_a_request_its_files_and_the_decision(portal):
    service, gateway = portal
    async with _operator(service) as client:
        page = await client.get(f"{BASE}/demandes/{REQUEST_ID}")
        assert page.status_code == 200
        assert "Code entreprise" in page.text and "julie.martin@exemple.fr" in page.text
        assert f'href="{BASE}/demandes/{REQUEST_ID}/pieces/{FILE_ID}"' in page.text and "livret-de-famille.pdf" in page.text

        file = await client.get(f"{BASE}/demandes/{REQUEST_ID}/pieces/{FILE_ID}")
        assert file.status_code == 200 and file.content == PDF and file.headers["content-type"] == "application/pdf"
        assert "access-1" not in str(file.headers)
        missing = await client.get(f"{BASE}/demandes/{REQUEST_ID}/pieces/{uuid.uuid4()}")
        assert missing.status_code == 303 and missing.headers["location"] == f"{BASE}/demandes/{REQUEST_ID}"

        csrf = csrf_of(page)
        decision = f"{BASE}/demandes/{REQUEST_ID}"
        assert (await client.post(decision, data={"decision": "refuser", "reason": "Pièce illisible."})).status_code == 403
        unexplained = await client.post(decision, data={"csrf": csrf, "decision": "refuser", "reason": "  "})
        assert unexplained.status_code == 422 and 'id="reason-error"' in unexplained.text
        assert gateway.called(f"/api/backoffice/requests/{REQUEST_ID}/decision") == []

        refused = await client.post(decision, data={"csrf": csrf, "decision": "refuser", "reason": "Pièce illisible."})
        assert refused.status_code == 303 and refused.headers["location"] == decision
        accepted = await client.post(decision, data={"csrf": csrf, "decision": "accepter", "reason": "ignoré"})
        assert accepted.status_code == 303
        sent = [json.loads(call.content) for call in gateway.called(f"/api/backoffice/requests/{REQUEST_ID}/decision")]
        assert sent == [{"accepted": False, "reason": "Pièce illisible."}, {"accepted": True, "reason": None}]


async def test_the_back_office_at_its_production_address_shows_what_is_asked_masked(portals_behind):
    """[mbtp.portals] backoffice = "https://gestion.mutuelle-mbtp.com": the back office at that host's root; a request's
    page says what is asked in French, the NIR and the IBAN masked (never whole in the page)."""
    gateway = FakeGateway()
    payload = {
        "family": {"civility": "MME", "last_name": "Martin", "first_name": "Julie", "birth_date": "1990-04-12", "nir": "290047800608433"},
        "bank": {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "holder": "Julie Martin", "frequency": "MENSUEL"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/api/backoffice/requests/{REQUEST_ID}":
            gateway.calls.append(request)
            return httpx.Response(200, json=_request(payload=payload))
        return gateway(request)

    service = await portals_behind(handler)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(service.app), base_url="https://gestion.mutuelle-mbtp.com") as client:
        login = await client.get("/connexion")
        assert login.status_code == 200 and "<title>Connexion – Espace gestion MBTP</title>" in login.text
        answer = await client.post(
            "/connexion", data={"csrf": csrf_of(login), "identifier": "j.conseil", "password": "Bon-mot-de-passe-1!"}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/accueil"
        assert json.loads(gateway.called("/api/auth/login")[0].content)["portal"] == "backoffice"
        page = await client.get(f"/demandes/{REQUEST_ID}")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert 'N° de sécurité sociale</dt> <dd><span class="asked-value">2 90 04 ** *** *** 33</span>' in text
    assert 'IBAN</dt> <dd><span class="asked-value">FR76 **** **** **** **** ***0 189</span>' in text
    assert 'Périodicité</dt> <dd><span class="asked-value">Mensuelle</span>' in text
    assert "290047800608433" not in page.text and "1234567890189" not in page.text.replace(" ", "")
    # The requesters' portals keep their own addresses; the back office's host serves nothing else
    async with httpx.AsyncClient(transport=httpx.ASGITransport(service.app), base_url="https://courtier.mutuelle-mbtp.com") as client:
        assert "Espace courtier" in (await client.get("/connexion")).text
