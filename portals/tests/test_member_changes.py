"""The member's situation changes in front of a fake gateway: what the portal sends is what the member chose (the
dependant removed read again from the household by its id, never from the form; only the communication choices
changed), an id of the beneficiaries page that is not a dependant does not exist, every change needs the session's CSRF
token, a refusal naming a nested field (`address.postal_code`) is shown next to that field; the online payment shows
the amount due and pays it, or says « bientôt disponible » where the mutuelle does not offer it."""

from __future__ import annotations

import contextlib
import json
import uuid

import httpx
import pytest
from portals.testing import csrf_of, logged_in, tokens_answer

BASE = "/mbtp/adherent"
SENT = "2026-12-01T09:30:00+00:00"
WINDOW = {"earliest": "2026-12-01", "latest": "2027-03-03"}
PAUL, HUGO = f"{sum(map(ord, 'Paul')):012x}", f"{sum(map(ord, 'Hugo')):012x}"  # their ids on the beneficiaries page


def _person(role: str, first_name: str, birth_date: str) -> dict:
    return {
        "id": f"{sum(map(ord, first_name)):012x}",
        "role": role,
        "role_label": "adhérent" if role == "ASSURE" else "ayant droit",
        "civility": "M",
        "last_name": "Moreau",
        "first_name": first_name,
        "birth_date": birth_date,
        "nir": None,
        "home_address": None,
        "work_address": None,
        "phones": {"mobile": None, "home": None, "work": None},
        "email": None,
        "benefits_account": None,
    }


def _cell(value: str) -> dict:
    return {"value": value, "label": {"accepted": "Accepté", "refused": "Refusé", "undefined": "Non défini"}[value]}


def _row(kind: str, label: str) -> dict:
    return {"kind": kind, "label": label, "email": _cell("undefined"), "post": _cell("accepted"), "sms": _cell("refused")}


def _request(kind: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "kind_label": "Une demande",
        "status": "sent",
        "status_label": "Transmise",
        "subject": None,
        "contract_number": None,
        "submitted_at": SENT,
        "decided_at": None,
        "refusal_reason": None,
        "awaiting_advisor": False,
        "portal": "member",
        "reference": "73000077",
        "created_at": SENT,
        "sent_at": SENT,
        "payload": {},
        "attachments": [],
        "window": WINDOW,
        "missing_steps": [],
        "history": [],
    }


class FakeGateway:
    def __init__(self) -> None:
        self.sent: dict[str, dict] = {}
        self.payment_offered = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/auth/login":
            return tokens_answer()
        if path == "/api/member/beneficiaries":
            people = [_person("ASSURE", "Paul", "1980-04-02"), _person("ENFANT", "Hugo", "2015-03-02")]
            return httpx.Response(200, json={"items": people})
        if path == "/api/member/preferences":
            rows = [_row("technical", "Informations techniques"), _row("commercial", "Informations commerciales")]
            return httpx.Response(200, json={"rows": rows, "paperless": False, "paperless_since": None})
        if path == "/api/member/requests/contribution-payment" and request.method == "GET":
            if not self.payment_offered:
                return httpx.Response(404, json={"status": 404, "detail": "Le paiement de cotisation en ligne sera bientôt disponible."})
            return httpx.Response(200, json={"contract_number": "I-0088", "amount_due": "58.40", "due_date": "2026-12-01"})
        if path.startswith("/api/member/requests/forms/"):
            reasons = [{"code": "DECES", "label": "Décès"}]
            return httpx.Response(200, json={"kind": "x", "label": "x", "window": WINDOW, "choices": {"reason": reasons}})
        if request.method == "POST" and path.startswith("/api/member/requests/"):
            kind = path.rsplit("/", 1)[1]
            body = json.loads(request.content)
            if kind == "remove-beneficiary" and body["reason"] == "AUTRE":
                errors = [
                    {"field": "beneficiary.birth_date", "message": "La date de naissance ne peut pas être dans le futur."},
                    {"field": "effective_date", "message": "La date d'effet doit être comprise entre le 01/12/2026 et le 03/03/2027."},
                ]
                return httpx.Response(422, json={"status": 422, "detail": "Certains champs sont à corriger.", "errors": errors})
            if kind == "address" and body["address"]["postal_code"] != "13400":
                problem = {"status": 422, "detail": "x", "errors": [{"field": "address.postal_code", "message": "Code postal inconnu."}]}
                return httpx.Response(422, json=problem)
            self.sent[kind] = body
            return httpx.Response(201, json=_request(kind))
        return httpx.Response(404, json={"status": 404})


@pytest.fixture
async def portal(portals_behind):
    gateway = FakeGateway()
    return await portals_behind(gateway), gateway


@contextlib.asynccontextmanager
async def _member(service):
    async with logged_in(service, BASE, "73000077") as client:
        yield client, csrf_of(await client.get(BASE + "/modifications/parrainage"))  # the logged-in session's token


async def test_the_dependant_removed_is_read_from_the_household_not_the_form(portal):
    service, gateway = portal
    async with _member(service) as (client, _):
        page = await client.get(BASE + f"/modifications/retirer-beneficiaire?beneficiaire={HUGO}")
        assert page.status_code == 200 and "Hugo Moreau" in page.text and "01/12/2026" in page.text
        assert f'name="beneficiaire" value="{HUGO}"' in page.text
        for line in (PAUL, "000000000999", "2", "x"):  # the primary insured, no one, a line number, nonsense
            assert (await client.get(BASE + f"/modifications/retirer-beneficiaire?beneficiaire={line}")).status_code == 404
        form = {"csrf": csrf_of(page), "beneficiaire": HUGO, "reason": "DECES", "effective_date": "15/12/2026", "first_name": "Autre"}
        answer = await client.post(BASE + "/modifications/retirer-beneficiaire", data=form)
        assert answer.status_code == 303 and "/mes-demandes/" in answer.headers["location"]
    assert gateway.sent["remove-beneficiary"] == {"reason": "DECES", "beneficiary_id": HUGO, "effective_date": "2026-12-15"}


async def test_only_the_communication_choices_changed_are_sent(portal):
    service, gateway = portal
    async with _member(service) as (client, csrf):
        cells = {
            f"{kind}_{channel}": value
            for kind in ("technical", "commercial")
            for channel, value in zip(("email", "post", "sms"), ("", "ACCEPTE", "REFUSE"), strict=True)
        }
        unchanged = await client.post(BASE + "/modifications/choix-envoi", data={"csrf": csrf, **cells})
        assert unchanged.status_code == 422 and "Modifiez au moins un choix" in unchanged.text and not gateway.sent
        changed = {**cells, "commercial_email": "ACCEPTE", "technical_post": "REFUSE"}
        answer = await client.post(BASE + "/modifications/choix-envoi", data={"csrf": csrf, **changed, "effective_date": "01/12/2026"})
        assert answer.status_code == 303
    assert gateway.sent["communication-choices"] == {
        "technical": {"post": "REFUSE"},
        "commercial": {"email": "ACCEPTE"},
        "effective_date": "2026-12-01",
    }


async def test_a_nested_refusal_is_shown_next_to_its_field_and_csrf_is_required(portal):
    service, gateway = portal
    async with _member(service) as (client, csrf):
        address = {"line1": "3 rue Longue", "postal_code": "99999", "city": "Aubagne", "effective_date": "01/12/2026"}
        assert (await client.post(BASE + "/modifications/adresse", data=address)).status_code == 403
        refused = await client.post(BASE + "/modifications/adresse", data={"csrf": csrf, **address})
        assert refused.status_code == 422
        assert '<p class="error" id="postal_code-error">Code postal inconnu.</p>' in refused.text
        assert 'value="Aubagne"' in refused.text
        assert (await client.get(BASE + "/modifications/inconnue")).status_code == 404
    assert not gateway.sent


async def test_a_refusal_no_field_shows_is_said_above_the_form(portal):
    service, gateway = portal
    async with _member(service) as (client, csrf):
        form = {"csrf": csrf, "beneficiaire": HUGO, "reason": "AUTRE", "effective_date": "01/01/2030"}
        refused = await client.post(BASE + "/modifications/retirer-beneficiaire", data=form)
        assert refused.status_code == 422
        assert 'id="effective_date-error">La date d&#39;effet doit être comprise' in refused.text
        alert = refused.text.split('id="form-message">')[1].split("</div>")[0]
        assert alert == "Certains champs sont à corriger. La date de naissance ne peut pas être dans le futur."
    assert not gateway.sent


async def test_the_contribution_due_is_shown_and_paid_or_said_bientot_disponible(portal):
    service, gateway = portal
    async with _member(service) as (client, _):
        page = await client.get(BASE + "/cotisation/paiement")
        assert page.status_code == 200 and "58,40\u00a0€" in page.text and "01/12/2026" in page.text and "I-0088" in page.text
        paid = await client.post(BASE + "/cotisation/paiement", data={"csrf": csrf_of(page), "amount": "58.40"})
        assert paid.status_code == 303 and "/mes-demandes/" in paid.headers["location"]
        assert (await client.post(BASE + "/cotisation/paiement", data={"amount": "58.40"})).status_code in (400, 403)  # no CSRF token
        gateway.payment_offered = False
        soon = await client.get(BASE + "/cotisation/paiement")
        assert soon.status_code == 200 and "sera bientôt disponible" in soon.text and "Payer" not in soon.text
    assert gateway.sent == {"contribution-payment": {"amount": "58.40"}}
