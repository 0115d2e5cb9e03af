"""The broker's contact changes through the request engine (issue 11, guide 000 « Mon profil », « Modifier mes points
de contact »), through the gateway: the contact person, the new email typed twice and the office's phone, each refused
in French naming the field; the request goes to the legacy system at once (one at a time), shows in « Mes demandes »
with its history, and once the simulated legacy system accepts it, its next `BrokerRegistered` of the office carries
the new contact: portfolio's profile shows it and identity's account follows it. Every route x {anonymous, a member, a
correspondent, another broker, the owner}."""

from __future__ import annotations

import httpx

from extranet_plumbing.testing import GATEWAY_HEADERS, wait_until

from .test_broker_profile import MINE, THEIRS, brokers  # noqa: F401 - brokers: two offices on Kafka, each broker logged in
from .test_requests import log_in

CHANGE = "/api/broker/contact-change"
NEW = {
    "contact_last_name": "Durand",
    "contact_first_name": "Sophie",
    "email": "sophie.durand@cabinet-martin.fr",
    "email_confirmation": "sophie.durand@cabinet-martin.fr",
    "phone": "04 72 10 20 30",
}


async def _profile(platform, auth: dict) -> dict:
    return (await platform.gateway.get("/api/broker/profile", headers=auth)).json()


async def test_a_contact_change_accepted_by_the_legacy_system_updates_the_office(platform, brokers, legacy_system):  # noqa: F811
    gateway, mine = platform.gateway, brokers[MINE]
    for wrong, field, message in (
        (
            {"email_confirmation": "sophie.durand@cabinet-martin.com"},
            "email_confirmation",
            "Les deux adresses e-mail ne sont pas identiques.",
        ),
        ({"email": "sophie.durand@", "email_confirmation": "sophie.durand@"}, "email", "Cette adresse e-mail n'est pas valide."),
        ({"phone": "12 34"}, "phone", "Ce numéro de téléphone n'est pas valide."),
        ({"contact_last_name": ""}, "contact_last_name", None),
    ):
        refused = await gateway.post(CHANGE, json={**NEW, **wrong}, headers=mine)
        assert refused.status_code == 422, (field, refused.text)
        error = refused.json()["errors"][0]
        assert error["field"] == field and (message is None or error["message"] == message), error
    assert (await gateway.get("/api/broker/requests", headers=mine)).json()["items"] == []

    sent = await gateway.post(CHANGE, json=NEW, headers=mine)
    assert sent.status_code == 201, sent.text
    request = sent.json()
    assert (request["kind"], request["kind_label"], request["status"]) == (
        "broker_contact_change",
        "Changement des points de contact du cabinet",
        "submitted",
    )
    assert request["payload"] == {
        "broker_code": MINE,
        "contact_last_name": "Durand",
        "contact_first_name": "Sophie",
        "email": "sophie.durand@cabinet-martin.fr",
        "phone": "+33472102030",
    }
    # One at a time: a second change while the first is on its way is refused.
    again = await gateway.post(CHANGE, json={**NEW, "contact_first_name": "Léa"}, headers=mine)
    assert again.status_code == 409 and "déjà en cours" in again.json()["detail"]
    # Nothing changes before the legacy system applies it.
    assert (await _profile(platform, mine))["contact_last_name"] == "Martin"

    async with legacy_system("accept"):

        async def applied() -> dict | None:
            profile = await _profile(platform, mine)
            return profile if profile["contact_last_name"] == "Durand" else None

        profile = await wait_until(applied, timeout=30)
    assert (profile["contact_first_name"], profile["email"], profile["phone"]) == (
        "Sophie",
        "sophie.durand@cabinet-martin.fr",
        "04 72 10 20 30",
    )
    assert profile["name"] == "Cabinet Martin Courtage" and profile["address"]["city"] == "Grenoble"  # the rest of the office kept
    theirs = await _profile(platform, brokers[THEIRS])
    assert (theirs["contact_first_name"], theirs["email"]) == ("Claire", "claire.martin@cabinet-martin.fr")  # another office untouched

    # « Mes demandes »: the request accepted, with its history; identity's account follows the office's new contact.
    listed = (await gateway.get("/api/broker/requests", headers=mine)).json()["items"]
    assert [(r["kind"], r["status"], r["subject"]) for r in listed] == [("broker_contact_change", "accepted", "Sophie DURAND")]
    detail = (await gateway.get(f"/api/broker/requests/{request['id']}", headers=mine)).json()
    assert [step["status"] for step in detail["history"]] == ["submitted", "sent", "accepted"]
    me = await wait_until(
        lambda: _account_if(platform, mine, lambda account: account["email"] == "sophie.durand@cabinet-martin.fr"), timeout=30
    )
    assert me["display_name"] == "Sophie Durand"
    # Applied: another change may be asked now.
    assert (await gateway.post(CHANGE, json={**NEW, "phone": "04 72 10 20 31"}, headers=mine)).status_code == 201


async def _account_if(platform, auth: dict, ok) -> dict | None:
    account = (await platform.gateway.get("/api/me", headers=auth)).json()
    return account if ok(account) else None


async def test_the_contact_change_routes_refuse_whoever_is_not_the_broker(platform, brokers):  # noqa: F811
    gateway = platform.gateway
    sent = await gateway.post(CHANGE, json=NEW, headers=brokers[MINE])
    assert sent.status_code == 201, sent.text
    one = f"/api/broker/requests/{sent.json()['id']}"
    member = await log_in(platform, "member", "member", "73000042", {"member_number": "73000042"})
    correspondent = await log_in(
        platform, "employer", "correspondent", "C12345678", {"company_code": "12345678", "contracts": "all", "primary": True}
    )
    for method, path, body in (("POST", CHANGE, NEW), ("GET", "/api/broker/requests", None), ("GET", one, None)):
        assert (await gateway.request(method, path, json=body)).status_code == 401, (method, path)
        for outsider in (member, correspondent):
            assert (await gateway.request(method, path, json=body, headers=outsider)).status_code == 403, (method, path)
    # Another broker neither sees the request nor is stopped by it: its own office's change is its own.
    assert (await gateway.get(one, headers=brokers[THEIRS])).status_code == 404
    assert (await gateway.get("/api/broker/requests", headers=brokers[THEIRS])).json()["items"] == []
    assert (await gateway.post(CHANGE, json=NEW, headers=brokers[THEIRS])).status_code == 201
    # Enrollment checks who asks too: a member's or correspondent's token straight to its internal route is refused.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(platform.enrollment.app), base_url="http://enrollment") as enrollment:
        for outsider in (member, correspondent):
            direct = await enrollment.post("/internal/requests/broker-contact", json=NEW, headers={**GATEWAY_HEADERS, **outsider})
            assert direct.status_code == 403, direct.text
