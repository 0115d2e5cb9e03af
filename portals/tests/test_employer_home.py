"""The employer's home (guide 003 « Accueil ») in front of a fake gateway: the previous login, the contract and insured
group selector with only what the gateway answers for the correspondent, the tenant's information block, the guide's quick
links (carrying the contract and group selected), the requests sent in the last 90 days newest first (older ones and drafts
left out, each linked), the guide's wording when there is none, and the contact block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from portals.testing import logged_in, tokens_answer

from extranet_contracts.calendar import PARIS

BASE = "/mbtp/entreprise"
ACCOUNT = {
    "identifier": "C12345678",
    "kind": "employer",
    "tenant": "mbtp",
    "email": "marc.roux@btp-rhone.fr",
    "phone": None,
    "display_name": "Marc Roux",
    "mail_preference": None,
    "notification_email": None,
    "last_login_at": "2026-11-21T08:30:00+00:00",
    "activated_at": None,
}
CONTRACTS = {
    "company_code": "C12345678",
    "legal_name": "BTP Rhône",
    "contracts": [
        {
            "contract_number": "W1-000123",
            "name": "BTP Rhône",
            "product": "Santé BTP",
            "category": "Cadres",
            "effective_date": "2026-01-01",
            "insured_groups": [{"code": "A", "label": "Actif"}, {"code": "P", "label": "Portabilité"}],
        },
        {
            "contract_number": "W1-000456",
            "name": "BTP Rhône",
            "product": "Santé BTP",
            "category": "Non cadres",
            "effective_date": "2026-01-01",
            "insured_groups": [{"code": "E", "label": "Evin"}],
        },
    ],
}


def _request(identifier: str, label: str, status: str, status_label: str, days_ago: int | None) -> dict:
    sent = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat() if days_ago is not None else None
    return {
        "id": identifier,
        "kind": "employee_termination",
        "kind_label": label,
        "status": status,
        "status_label": status_label,
        "subject": None,
        "contract_number": "W1-000123",
        "submitted_at": sent,
        "decided_at": None,
        "refusal_reason": None,
        "awaiting_advisor": False,
    }


RECENT = _request("11111111-1111-4111-8111-111111111111", "Radiation d'un salarié", "submitted", "Envoyée", 3)
OLDER = _request("22222222-2222-4222-8222-222222222222", "Affiliation par l'employeur", "accepted", "Acceptée", 60)
TOO_OLD = _request("33333333-3333-4333-8333-333333333333", "Carte de tiers payant", "accepted", "Acceptée", 120)
DRAFT = _request("44444444-4444-4444-8444-444444444444", "Affiliation d'un salarié", "draft", "Brouillon", None)


class FakeGateway:
    def __init__(self, requests: list[dict]) -> None:
        self.requests = requests

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/auth/login":
            return tokens_answer()
        if path == "/api/me":
            return httpx.Response(200, json=ACCOUNT)
        if path == "/api/employer/contracts":
            return httpx.Response(200, json=CONTRACTS)
        if path == "/api/employer/requests" and not request.url.params:
            return httpx.Response(200, json={"year": None, "kind": None, "items": self.requests})
        return httpx.Response(404, json={"status": 404})


@pytest.fixture
def home(portals_behind):
    async def open_home(requests: list[dict], query: str = "") -> httpx.Response:
        service = await portals_behind(FakeGateway(requests))
        async with logged_in(service, BASE, "C12345678") as client:
            page = await client.get(BASE + "/accueil" + query)
            assert page.status_code == 200
            return page

    return open_home


async def test_the_home_shows_each_block_and_the_requests_of_the_last_90_days(home):
    page = await home([TOO_OLD, OLDER, DRAFT, RECENT])  # not in order: the portal sorts them
    text = page.text
    assert "Dernière connexion" in text and "21/11/2026" in text
    # The selector: the correspondent's contracts and groups, as the gateway scoped them, the first selected
    assert '<option value="W1-000123" selected>' in text and '<option value="W1-000456" >' in text
    assert "A – Actif" in text and "P – Portabilité" in text and "E – Evin" in text and "M – Maintien" not in text
    assert "A : Actif, P : Portabilité, E : Evin, M : Maintien" in text
    for title in ("Information", "Accès rapides", "Historique des demandes", "Contact", "Ma situation change"):
        assert f">{title}</h2>" in text
    assert "vous suivez ici les contrats collectifs de votre entreprise" in text  # mbtp's employer content
    assert f'href="{BASE}/mon-compte">Mon profil correspondant' in text
    assert f'href="{BASE}/salaries">Rechercher un salarié' in text
    assert f'href="{BASE}/cotisations?contrat=W1-000123&amp;groupe=A">Cotisations' in text
    # The last 90 days only, newest first, each linked; neither the 120-day-old one nor the draft
    history = text[text.index('id="history-title"') : text.index('id="contact-title"')]
    assert f'href="{BASE}/mes-demandes/{RECENT["id"]}">Radiation d&#39;un salarié' in history
    assert history.index(RECENT["id"]) < history.index(OLDER["id"])
    assert "Envoyée" in history and "Acceptée" in history
    assert TOO_OLD["id"] not in history and DRAFT["id"] not in history
    assert (datetime.now(PARIS) - timedelta(days=3)).strftime("%d/%m/%Y") in history  # shown in France's time
    assert "Aucune opération réalisée sur les 90 derniers jours" not in history


async def test_the_home_keeps_the_group_selected_and_says_when_no_request_was_sent_in_90_days(home):
    page = await home([TOO_OLD, DRAFT], query="?contrat=W1-000456&groupe=E")
    assert '<option value="W1-000456" selected>' in page.text and '<option value="E" selected>' in page.text
    assert f'href="{BASE}/cotisations?contrat=W1-000456&amp;groupe=E">Cotisations' in page.text
    assert "Aucune opération réalisée sur les 90 derniers jours" in page.text
    assert 'id="demandes-recentes"' not in page.text


async def test_a_contract_the_gateway_did_not_answer_is_not_selected(home):
    page = await home([], query="?contrat=W9-999999&groupe=A")
    assert "W9-999999" not in page.text and '<option value="W1-000123" selected>' in page.text
