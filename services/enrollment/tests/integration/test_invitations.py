"""Online enrollment on real Kafka and PostgreSQL, the service's clock in the test's hands: a correspondent
invites employees (typed, or a CSV file checked line by line, all or nothing); each invitation's mail asks the
notifications service for a sealed link; the employee opens it without an account and fills the wizard; the
service's own loop expires links after a month and sends the tenant's automatic reminders; the mails' outcomes
say which invitations did not reach their employee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from extranet_contracts import Envelope
from extranet_contracts.notifications import REQUESTS, NotificationFailed, NotificationRequested
from extranet_contracts.testing import company_registered, contract_signed, guarantee_attached
from extranet_plumbing.testing import GATEWAY_HEADERS, opened, publish_event, read_topic, wait_until

from .conftest import running
from .test_affiliation import STEPS

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONTRACT = "W1-000123"
LEA = {"civility": "MME", "last_name": "Durand", "first_name": "Léa", "email": "lea.durand@example.org"}
MARC = {"civility": "M", "last_name": "Petit", "first_name": "Marc", "email": "marc.petit@example.org"}
PAUL = {"civility": "M", "last_name": "Martin", "first_name": "Paul", "email": "paul.martin@example.org"}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(service_env, infra, clock, kafka_producer):
    async with running(service_env, infra, clock, invitation_sweep_seconds=0.2) as service:
        prefix = service_env["topic_prefix"]
        await publish_event(kafka_producer, prefix + "legacy.companies", company_registered())
        await publish_event(kafka_producer, prefix + "legacy.contracts", contract_signed())
        await publish_event(kafka_producer, prefix + "legacy.contracts", guarantee_attached())
        await wait_until(lambda: service.pool.fetchval("SELECT count(*) FROM companies c, guarantees g"))
        yield service


@pytest.fixture
async def api(service):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(service.app), base_url="http://enrollment", headers=GATEWAY_HEADERS
    ) as client:
        yield client


async def mails(service_env, seal_keys, expected: int, timeout: float = 20.0) -> list[NotificationRequested]:
    """The notification requests on notifications.requests, as the notifications service opens them."""
    topic = service_env["topic_prefix"] + REQUESTS
    records = await read_topic(service_env["kafka_bootstrap"], topic, expected=expected, timeout=timeout)
    return [opened(NotificationRequested.model_validate_json(r.value), seal_keys) for r in records]


def token_of(mail: NotificationRequested) -> str:
    link = mail.data["link"]
    assert link.startswith("https://entreprise.mutuelle-mbtp.com/affiliation-en-ligne?token=")
    return parse_qs(urlparse(link).query)["token"][0]


async def test_a_csv_with_a_bad_line_imports_nothing_and_says_each_line(api, tokens, service):
    content = (
        "MME;Durand;Léa;lea.durand@example.org\nMadame;Martin;Paule\nM;Petit;Marc;pas-une-adresse\nX;Roux;Jean;jean.roux@example.org\n"
    )
    answer = await api.post(
        "/internal/invitations/import", params={"contract_number": CONTRACT}, content=content.encode(), headers=tokens.correspondent()
    )
    assert answer.status_code == 422, answer.text
    errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert set(errors) == {"file.2", "file.3", "file.4"}
    assert "3 colonne(s) au lieu de 4" in errors["file.2"] and "adresse e-mail" in errors["file.3"] and "civilité" in errors["file.4"]
    assert (await api.get("/internal/invitations", headers=tokens.correspondent())).json()["items"] == []


async def test_a_good_csv_invites_everyone_and_a_header_line_is_refused(api, tokens, service, service_env, seal_keys):
    header = "civilite;nom;prenom;email\nMME;Durand;Léa;lea.durand@example.org\n"
    refused = await api.post(
        "/internal/invitations/import", params={"contract_number": CONTRACT}, content=header.encode(), headers=tokens.correspondent()
    )
    assert [e["field"] for e in refused.json()["errors"]] == ["file.1"]
    good = "MME;Durand;Léa;lea.durand@example.org\r\n\r\nM,Martin,Paul,paul.martin@example.org\r\n".replace(",", ";")
    made = await api.post(
        "/internal/invitations/import",
        params={"contract_number": CONTRACT},
        content=good.encode("cp1252"),
        headers=tokens.correspondent(),
    )
    assert made.status_code == 201, made.text
    rows = (await api.get("/internal/invitations", headers=tokens.correspondent())).json()["items"]
    assert [(r["last_name"], r["first_name"], r["status"], r["mail_status"]) for r in rows] == [
        ("Durand", "Léa", "pending", "requested"),
        ("Martin", "Paul", "pending", "requested"),
    ]
    sent = await mails(service_env, seal_keys, 2)
    assert sorted(m.recipient.email for m in sent) == ["lea.durand@example.org", "paul.martin@example.org"]
    assert {m.template for m in sent} == {"enrollment_invitation"}
    assert sent[0].data["company_name"] == "BTP Rhône Construction SAS" and sent[0].data["expires_on"] == "2027-01-01"
    # Only the digest of a token is kept.
    token = token_of(sent[0])
    assert not await service.pool.fetchval("SELECT count(*) FROM invitations WHERE token_digest::text LIKE '%' || $1 || '%'", token)


async def test_the_employee_fills_the_wizard_through_the_link_and_the_invitation_is_completed(api, tokens, service, service_env, seal_keys):
    made = await api.post("/internal/invitations", json={"contract_number": CONTRACT, "employees": [MARC]}, headers=tokens.correspondent())
    assert made.status_code == 201, made.text
    token = token_of((await mails(service_env, seal_keys, 1))[0])
    link = {"X-Invitation-Token": token}

    assert (await api.get("/internal/invitation", headers={"X-Invitation-Token": "x" * 43})).status_code == 404
    view = await api.get("/internal/invitation", headers=link)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["company_name"] == "BTP Rhône Construction SAS" and body["form"]["choices"]["guarantee"][0]["code"] == "SANTE-B2"
    assert body["request"]["missing_steps"] == ["family", "address", "contact", "coverage", "bank"]
    rows = (await api.get("/internal/invitations", headers=tokens.correspondent())).json()["items"]
    assert rows[0]["status"] == "in_progress" and rows[0]["request_id"] == body["request"]["id"]

    wrong = await api.put("/internal/invitation/steps/family", json={**STEPS["family"], "civility": "MME"}, headers=link)
    assert wrong.status_code == 422 and [e["field"] for e in wrong.json()["errors"]] == ["nir"]
    for name, data in STEPS.items():
        saved = await api.put(f"/internal/invitation/steps/{name}", json=data, headers=link)
        assert saved.status_code == 200, (name, saved.text)
    sent = await api.post("/internal/invitation/submit", headers=link)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "submitted" and sent.json()["subject"] == "PETIT Marc"

    rows = (await api.get("/internal/invitations", headers=tokens.correspondent())).json()["items"]
    assert rows[0]["status"] == "completed"
    # The link served its purpose: it opens nothing any more; the company follows the affiliation in its requests.
    assert (await api.get("/internal/invitation", headers=link)).status_code == 404
    history = (await api.get("/internal/requests", headers=tokens.correspondent())).json()["items"]
    assert [(r["kind"], r["status"]) for r in history] == [("affiliation", "submitted")]


async def test_links_expire_after_a_month_and_reminders_follow_the_tenants_schedule(api, tokens, service, service_env, seal_keys, clock):
    made = await api.post(
        "/internal/invitations", json={"contract_number": CONTRACT, "employees": [LEA, PAUL]}, headers=tokens.correspondent()
    )
    assert made.status_code == 201
    first = {m.recipient.email: token_of(m) for m in await mails(service_env, seal_keys, 2)}

    async def statuses() -> dict:
        rows = (await api.get("/internal/invitations", headers=tokens.correspondent())).json()["items"]
        return {r["first_name"]: (r["status"], r["reminders"]) for r in rows}

    # A week later (MBTP: a reminder every 7 days, 3 at most): each gets a new link; the first one no longer works.
    clock.now = START + timedelta(days=7, minutes=1)
    reminders = await wait_until(lambda: _mails_of(service_env, seal_keys, 4))
    assert sorted((m.template, m.recipient.email) for m in reminders[2:]) == [
        ("enrollment_reminder", "lea.durand@example.org"),
        ("enrollment_reminder", "paul.martin@example.org"),
    ]
    assert (await api.get("/internal/invitation", headers={"X-Invitation-Token": first["lea.durand@example.org"]})).status_code == 404
    newest = {m.recipient.email: token_of(m) for m in reminders[2:]}
    assert (await api.get("/internal/invitation", headers={"X-Invitation-Token": newest["lea.durand@example.org"]})).status_code == 200
    assert await statuses() == {"Léa": ("in_progress", 1), "Paul": ("pending", 1)}

    # Three reminders at most; then, a month after the last one, the links expire.
    for week in (14, 21, 28):
        clock.now = START + timedelta(days=week, minutes=2)
        await wait_until(lambda n=min(week // 7, 3): _statuses_reminded(statuses, n))
    clock.now = START + timedelta(days=35, minutes=3)
    assert await _count_mails(service_env, seal_keys) == 8  # no fourth reminder
    clock.now = START + timedelta(days=60)
    assert await wait_until(lambda: _expired(statuses)) == {"Léa": ("expired", 3), "Paul": ("expired", 3)}
    assert (await api.get("/internal/invitation", headers={"X-Invitation-Token": newest["lea.durand@example.org"]})).status_code == 404

    # The correspondent may still remind an expired one: a new link, valid a month from now.
    lea = next(
        r for r in (await api.get("/internal/invitations", headers=tokens.correspondent())).json()["items"] if r["first_name"] == "Léa"
    )
    reminded = await api.post(f"/internal/invitations/{lea['id']}/remind", headers=tokens.correspondent())
    assert reminded.status_code == 200 and reminded.json()["status"] == "in_progress"
    assert reminded.json()["expires_at"].startswith("2027-03-02")


async def _mails_of(service_env, seal_keys, expected):
    found = await mails(service_env, seal_keys, expected)
    return found if len(found) >= expected else None


async def _count_mails(service_env, seal_keys) -> int:
    return len(await mails(service_env, seal_keys, 10**6, timeout=3))


async def _statuses_reminded(statuses, n) -> bool:
    return all(reminders == n for _, reminders in (await statuses()).values())


async def _expired(statuses):
    found = await statuses()
    return found if all(status == "expired" for status, _ in found.values()) else None


async def test_an_undelivered_invitation_is_in_error_and_each_action_is_the_correspondents_alone(
    api, tokens, service, service_env, seal_keys, kafka_producer
):
    made = await api.post(
        "/internal/invitations", json={"contract_number": CONTRACT, "employees": [LEA, PAUL]}, headers=tokens.correspondent()
    )
    ids = {r["first_name"]: r["id"] for r in made.json()["items"]}
    records = await read_topic(service_env["kafka_bootstrap"], service_env["topic_prefix"] + REQUESTS, expected=2)
    to_lea = next(
        Envelope.from_headers(r.headers)
        for r in records
        if NotificationRequested.model_validate_json(r.value).recipient.email == LEA["email"]
    )
    failed = NotificationFailed(
        request_id=str(to_lea.id), channel="email", template="enrollment_invitation", attempts=1, permanent=True, reason="550"
    )
    await publish_event(kafka_producer, service_env["topic_prefix"] + "notifications.outcomes", failed)

    async def lea() -> dict | None:
        rows = (await api.get("/internal/invitations", headers=tokens.correspondent())).json()["items"]
        row = next(r for r in rows if r["first_name"] == "Léa")
        return row if row["status"] == "error" else None

    row = await wait_until(lea)
    assert row["mail_status"] == "bounced" and row["status_label"] == "En erreur"

    other_company = tokens("correspondent", {"company_code": "87654321", "contracts": "all", "primary": True})
    not_granted = tokens.correspondent(["W1-999999"], subject="corr-2")
    member = tokens("member", {"member_number": "73000001"})
    for headers in (other_company, not_granted):
        assert (await api.get(f"/internal/invitations/{ids['Paul']}", headers=headers)).status_code == 404
        assert (await api.post(f"/internal/invitations/{ids['Paul']}/remind", headers=headers)).status_code == 404
        assert (await api.post(f"/internal/invitations/{ids['Paul']}/close", headers=headers)).status_code == 404
        assert (await api.delete(f"/internal/invitations/{ids['Paul']}", headers=headers)).status_code == 404
        assert (await api.get("/internal/invitations", headers=headers)).json()["items"] == []
    assert (await api.get("/internal/invitations", headers=member)).status_code == 403
    assert (await api.get("/internal/invitations")).status_code == 401
    refused = await api.post("/internal/invitations", json={"contract_number": CONTRACT, "employees": [LEA]}, headers=not_granted)
    assert refused.status_code == 403

    # Close Paul, remove Léa, export what is left.
    assert (await api.post(f"/internal/invitations/{ids['Paul']}/close", headers=tokens.correspondent())).json()["status"] == "closed"
    assert (await api.post(f"/internal/invitations/{ids['Paul']}/remind", headers=tokens.correspondent())).status_code == 409
    assert (await api.delete(f"/internal/invitations/{ids['Léa']}", headers=tokens.correspondent())).status_code == 204
    exported = await api.get("/internal/invitations/export", headers=tokens.correspondent())
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Civilité;Nom;Prénom;Adresse e-mail") and len(lines) == 2
    assert lines[1].startswith("Monsieur;Martin;Paul;paul.martin@example.org;W1-000123;Clôturée")


async def test_a_tenant_that_does_not_offer_it_yet_says_so(api, tokens):
    mgen = tokens("correspondent", {"company_code": "12345678", "contracts": "all", "primary": True}, tenant="mgen")
    for answer in (
        await api.get("/internal/invitations", headers=mgen),
        await api.post("/internal/invitations", json={"contract_number": CONTRACT, "employees": [LEA]}, headers=mgen),
    ):
        assert answer.status_code == 404 and "bientôt disponible" in answer.json()["detail"]
