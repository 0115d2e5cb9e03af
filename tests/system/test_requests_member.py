"""The member's online services end to end (issue 11, guide 004): through the gateway a member switches the
paperless option on (the simulated legacy system accepts it and republishes the household's preferences, which
the member portal then shows), writes to the mutuelle with a file attached by reference, and adds a
beneficiary; each checked (a subject of the list, no control characters, a spouse's NIR agreeing with her, a
date within the window, a member of a collective contract sent to the employer) and refused to whoever is not
the household."""

from __future__ import annotations

from datetime import date, timedelta

from extranet_contracts.calendar import today_in_france
from extranet_contracts.households import HOUSEHOLDS
from extranet_contracts.legacy import MEMBERSHIPS
from extranet_contracts.testing import communication_preferences_recorded, member_affiliated
from extranet_plumbing.testing import publish_event, wait_until

from .test_requests import log_in

SOLO = "73000077"  # an individual contract's household
LEA = member_affiliated()  # 73000042: an employee, covered by her company's collective contract
SPOUSE = {"role": "CONJOINT", "civility": "MME", "last_name": "Moreau", "first_name": "Claire", "birth_date": "1988-07-14"}


def _nir(digits13: str) -> str:
    return f"{digits13}{97 - int(digits13) % 97:02d}"


async def test_a_member_switches_paperless_on_and_the_portal_shows_it(platform, legacy_system, service_env, kafka_producer):
    member = await log_in(platform, "member", "member", SOLO, {"member_number": SOLO})
    prefs = communication_preferences_recorded(
        member_number=SOLO, technical={"email": "ACCEPTE", "post": "REFUSE", "sms": "REFUSE"}, revision=4
    )
    await publish_event(kafka_producer, service_env["topic_prefix"] + HOUSEHOLDS, prefs)

    async def shown(paperless: bool):
        answer = await platform.gateway.get("/api/member/preferences", headers=member)
        return answer.json() if answer.status_code == 200 and answer.json()["paperless"] is paperless else None

    assert (await wait_until(lambda: shown(False)))["paperless_since"] is None
    asked = await platform.gateway.post("/api/member/requests/paperless", json={"paperless": True}, headers=member)
    assert asked.status_code == 201, asked.text
    assert (asked.json()["kind"], asked.json()["status"]) == ("paperless", "submitted")
    again = await platform.gateway.post("/api/member/requests/paperless", json={"paperless": False}, headers=member)
    assert again.status_code == 409  # one change at a time
    assert (await platform.gateway.post("/api/member/requests/paperless", json={"paperless": "oui"}, headers=member)).status_code == 422

    async with legacy_system("accept"):
        after = await wait_until(lambda: shown(True))
    assert after["paperless_since"] is not None
    technical = next(row for row in after["rows"] if row["kind"] == "technical")
    assert technical["email"]["value"] == "accepted"  # the other choices are kept
    [listed] = (await platform.gateway.get("/api/member/requests", headers=member)).json()["items"]
    assert (listed["kind"], listed["status"]) == ("paperless", "accepted")


async def test_a_member_writes_to_us(platform):
    """Its checks; the files joined to a message: test_member_uploads.py."""
    member = await log_in(platform, "member", "member", SOLO, {"member_number": SOLO})
    form = (await platform.gateway.get("/api/member/requests/forms/message", headers=member)).json()
    subjects = [c["code"] for c in form["choices"]["subject"]]
    assert "REMBOURSEMENT" in subjects
    body = {
        "subject": "REMBOURSEMENT",
        "message": "Bonjour,\nmon dernier remboursement d'optique n'apparaît pas.\nMerci",
        "reply_email": "paul.moreau@example.org",
    }
    for wrong, field in (
        ({"subject": "LUNE"}, "subject"),
        ({"message": "Bonjour\x07 la mutuelle"}, "message"),
        ({"message": "Court"}, "message"),
        ({"reply_email": "pas-une-adresse"}, "reply_email"),
        ({"attachments": ["not-a-reference"]}, "attachments.0"),
    ):
        refused = await platform.gateway.post("/api/member/requests/message", json={**body, **wrong}, headers=member)
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == [field], (wrong, refused.text)
    sent = await platform.gateway.post("/api/member/requests/message", json=body, headers=member)
    assert sent.status_code == 201, sent.text
    detail = (await platform.gateway.get(f"/api/member/requests/{sent.json()['id']}", headers=member)).json()
    assert (detail["kind"], detail["subject"], detail["status"]) == ("message", "Mes remboursements", "submitted")
    assert detail["attachments"] == [] and detail["payload"]["message"] == body["message"]


async def test_a_member_adds_a_beneficiary_within_the_rules(platform, kafka_producer, service_env):
    member = await log_in(platform, "member", "member", SOLO, {"member_number": SOLO})
    window = (await platform.gateway.get("/api/member/requests/forms/add-beneficiary", headers=member)).json()["window"]
    start = date.fromisoformat(window["earliest"])
    good = {"beneficiary": {**SPOUSE, "nir": _nir("2880775056123")}, "effective_date": window["earliest"]}
    for wrong, field in (
        ({"beneficiary": SPOUSE}, "beneficiary.nir"),  # a spouse has her own number
        ({"beneficiary": {**SPOUSE, "nir": _nir("1880775056123")}}, "beneficiary.nir"),  # a man's number
        ({"beneficiary": {**SPOUSE, "nir": _nir("2890775056123")}}, "beneficiary.nir"),  # another year
        ({"beneficiary": {**SPOUSE, "nir": "288077505612345"}}, "beneficiary.nir"),  # its key is wrong
        ({"beneficiary": {**good["beneficiary"], "role": "COUSIN"}}, "beneficiary.role"),
        ({"effective_date": (start - timedelta(days=1)).isoformat()}, "effective_date"),
        ({"effective_date": (date.fromisoformat(window["latest"]) + timedelta(days=1)).isoformat()}, "effective_date"),
    ):
        refused = await platform.gateway.post("/api/member/requests/add-beneficiary", json={**good, **wrong}, headers=member)
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == [field], (wrong, refused.text)
    child = {
        "role": "ENFANT",
        "civility": "M",
        "last_name": "Moreau",
        "first_name": "Jules",
        "birth_date": (start - timedelta(days=30)).isoformat(),
    }
    born = await platform.gateway.post("/api/member/requests/add-beneficiary", json={**good, "beneficiary": child}, headers=member)
    assert born.status_code == 201, born.text  # a newborn, covered under a parent's number
    added = await platform.gateway.post("/api/member/requests/add-beneficiary", json=good, headers=member)
    assert added.status_code == 201, added.text
    assert (added.json()["subject"], added.json()["window"]) == ("MOREAU Claire", window)

    # An employee covered by her company's contract asks her employer.
    await publish_event(kafka_producer, service_env["topic_prefix"] + MEMBERSHIPS, LEA)
    await wait_until(
        lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM memberships WHERE member_number = $1", LEA.member_number)
    )
    employee = await log_in(platform, "member", "member", LEA.member_number, {"member_number": LEA.member_number})
    collective = await platform.gateway.post("/api/member/requests/add-beneficiary", json=good, headers=employee)
    assert collective.status_code == 409 and "employeur" in collective.json()["detail"]


async def test_the_members_services_are_the_households_alone(platform):
    member = await log_in(platform, "member", "member", SOLO, {"member_number": SOLO})
    sent = await platform.gateway.post(
        "/api/member/requests/message",
        json={"subject": "AUTRE", "message": "Une question sur mon contrat.", "reply_email": "paul.moreau@example.org"},
        headers=member,
    )
    rid = sent.json()["id"]
    other = await log_in(platform, "member", "member", "73000099", {"member_number": "73000099"})
    broker = await log_in(platform, "broker", "broker", "M12345", {"broker_code": "M12345"})
    correspondent = await log_in(
        platform, "employer", "correspondent", "C12345678", {"company_code": "12345678", "contracts": "all", "primary": True}
    )
    posts = {
        "/api/member/requests/paperless": {"paperless": True},
        "/api/member/requests/message": {"subject": "AUTRE", "message": "Une question sur mon contrat.", "reply_email": "x@example.org"},
        "/api/member/requests/add-beneficiary": {
            "beneficiary": {**SPOUSE, "nir": _nir("2880775056123")},
            "effective_date": today_in_france().isoformat(),
        },
    }
    for path, body in posts.items():
        assert (await platform.gateway.post(path, json=body)).status_code == 401, path
        for outsider in (broker, correspondent):
            assert (await platform.gateway.post(path, json=body, headers=outsider)).status_code == 403, path
    for path in ("/api/member/requests/forms/message", "/api/member/requests/forms/add-beneficiary"):
        assert (await platform.gateway.get(path)).status_code == 401
        assert (await platform.gateway.get(path, headers=correspondent)).status_code == 403
    assert (await platform.gateway.get(f"/api/member/requests/{rid}", headers=other)).status_code == 404
    assert (await platform.gateway.get("/api/member/requests", headers=other)).json()["items"] == []
    assert (await platform.gateway.get(f"/api/member/requests/{rid}", headers=member)).status_code == 200
