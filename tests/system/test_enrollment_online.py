"""Online enrollment end to end (issue 11, guide 003 « Affiliation en ligne »): a company correspondent imports
employees through the gateway (a file with mistakes is refused line by line, a good one invites everyone), the
notifications service mails each a link through a real SMTP server, which refuses one address; the employee
opens the link of the mail, without an account, fills the affiliation wizard and sends it; the simulated legacy
system accepts it and the new member receives the recap of his affiliation; the tracking table says who completed and whose mail bounced, and is exported; every route
is refused to whoever may not see it."""

from __future__ import annotations

import re

import pytest

from extranet_contracts.legacy import COMPANIES, CONTRACTS
from extranet_contracts.testing import company_registered, contract_signed, guarantee_attached
from extranet_plumbing.testing import publish_event, wait_until

from .test_codes_arrive import mail_to, notifications  # noqa: F401 - the notifications service, sending to the mailbox
from .test_requests import log_in
from .test_requests_affiliation import MARC

COMPANY, CONTRACT = "12345678", "W1-000123"
GOOD = "M;Petit;Marc;marc.petit@example.org\r\nMME;Roux;Inès;ines.roux@nulle-part.example\r\n"
MIXED = "M;Petit;Marc;marc.petit@example.org\nMonsieur;Petit\nMME;Roux;Inès;pas une adresse\n"


@pytest.fixture
async def company(platform, kafka_producer, service_env):
    prefix = service_env["topic_prefix"]
    await publish_event(kafka_producer, prefix + COMPANIES, company_registered())
    await publish_event(kafka_producer, prefix + CONTRACTS, contract_signed())
    await publish_event(kafka_producer, prefix + CONTRACTS, guarantee_attached())
    await wait_until(lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM companies c, guarantees g"))
    return await log_in(
        platform, "employer", "correspondent", f"C{COMPANY}", {"company_code": COMPANY, "contracts": "all", "primary": True}
    )


def link_token(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"/affiliation-en-ligne\?token=([A-Za-z0-9_-]+)", text).group(1)


async def invite_marc_and_ines(platform, mailbox, company: dict) -> tuple[dict, dict]:
    """The GOOD file imported on CONTRACT: the link headers of Marc's and Inès's mails (notifications must run)."""
    made = await platform.gateway.post(
        "/api/employer/invitations/import",
        params={"contract_number": CONTRACT},
        content=GOOD.encode(),
        headers={**company, "content-type": "text/csv"},
    )
    assert made.status_code == 201, made.text
    links = []
    for email in ("marc.petit@example.org", "ines.roux@nulle-part.example"):
        mail = await wait_until(lambda email=email: mail_to(mailbox, email, "BTP"), timeout=30)
        links.append({"X-Invitation-Token": link_token(mail)})
    return links[0], links[1]


@pytest.mark.usefixtures("notifications")
async def test_employees_invited_by_file_fill_their_affiliation_through_the_link(platform, mailbox, company, legacy_system):
    mailbox.refuse("ines.roux@nulle-part.example")
    csv_headers = {**company, "content-type": "text/csv"}
    url = "/api/employer/invitations/import"

    mixed = await platform.gateway.post(url, params={"contract_number": CONTRACT}, content=MIXED.encode(), headers=csv_headers)
    assert mixed.status_code == 422, mixed.text
    assert [e["field"] for e in mixed.json()["errors"]] == ["file.2", "file.3"]
    assert (await platform.gateway.get("/api/employer/invitations", headers=company)).json()["items"] == []

    made = await platform.gateway.post(url, params={"contract_number": CONTRACT}, content=GOOD.encode(), headers=csv_headers)
    assert made.status_code == 201, made.text

    # Marc's mail arrives, signed with his employer's name; its link opens his affiliation, without an account.
    message = await wait_until(lambda: mail_to(mailbox, "marc.petit@example.org", "BTP Rhône Construction SAS"), timeout=30)
    token = link_token(message)
    link = {"X-Invitation-Token": token}
    opened = await platform.gateway.get("/api/online-enrollment", headers=link)
    assert opened.status_code == 200, opened.text
    view = opened.json()
    assert (view["company_name"], view["last_name"], view["contract_number"]) == ("BTP Rhône Construction SAS", "Petit", CONTRACT)
    assert [c["code"] for c in view["form"]["choices"]["guarantee"]] == ["SANTE-B2"]
    steps = {
        "family": {
            **MARC.primary.model_dump(mode="json"),
            "social_scheme": "GENERAL",
            "dependants": [d.model_dump(mode="json") for d in MARC.dependants],
        },
        "address": MARC.address.model_dump(mode="json", exclude_none=True),
        "contact": {"email": MARC.email},
        "coverage": {"guarantee_code": "SANTE-B2", "effective_date": view["form"]["window"]["latest"]},
        "bank": {"iban": MARC.bank.iban, "bic": "AGRIFRPP", "holder": "Marc Petit", "frequency": "MENSUEL", "debit_day": 5},
    }
    bad_iban = await platform.gateway.put(
        "/api/online-enrollment/steps/bank", json={**steps["bank"], "iban": "FR7630006000011234567890188"}, headers=link
    )
    assert bad_iban.status_code == 422 and [e["field"] for e in bad_iban.json()["errors"]] == ["iban"]
    for name, body in steps.items():
        saved = await platform.gateway.put(f"/api/online-enrollment/steps/{name}", json=body, headers=link)
        assert saved.status_code == 200, (name, saved.text)

    async with legacy_system("accept"):
        sent = await platform.gateway.post("/api/online-enrollment/submit", headers=link)
        assert sent.status_code == 200, sent.text
        rid = sent.json()["id"]
        await wait_until(lambda: _request_status(platform, company, rid, "accepted"))

    # Accepted: the new member receives the recap of his affiliation.
    recap = await wait_until(lambda: mail_to(mailbox, "marc.petit@example.org", "votre affiliation est enregistrée"), timeout=30)
    text = recap.get_body(preferencelist=("plain",)).get_content()
    for shown in ("BTP Rhône Construction SAS", CONTRACT, "Santé base niveau 2", "Marc Petit (assuré principal)", "Hugo Petit (enfant)"):
        assert shown in text, shown

    # The tracking table: Marc completed; Inès's mail refused by her mail server, so her invitation is in error.
    async def table() -> dict | None:
        rows = (await platform.gateway.get("/api/employer/invitations", headers=company)).json()["items"]
        found = {r["first_name"]: (r["status"], r["mail_status"]) for r in rows}
        return found if found.get("Inès", ("",))[0] == "error" else None

    assert await wait_until(table, timeout=30) == {"Marc": ("completed", "delivered"), "Inès": ("error", "bounced")}
    assert (await platform.gateway.get("/api/online-enrollment", headers=link)).status_code == 404  # the link served its purpose
    exported = await platform.gateway.get("/api/employer/invitations/export", headers=company)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert [line.split(";")[1:3] + [line.split(";")[5]] for line in lines[1:]] == [
        ["Petit", "Marc", "Terminée"],
        ["Roux", "Inès", "En erreur"],
    ]


async def _request_status(platform, auth, rid: str, status: str) -> bool:
    return (await platform.gateway.get(f"/api/employer/requests/{rid}", headers=auth)).json()["status"] == status


async def test_every_invitation_route_is_refused_to_whoever_may_not_see_it(platform, company):
    body = {
        "contract_number": CONTRACT,
        "employees": [{"civility": "M", "last_name": "Petit", "first_name": "Marc", "email": "m@example.org"}],
    }
    made = await platform.gateway.post("/api/employer/invitations", json=body, headers=company)
    assert made.status_code == 201, made.text
    iid = made.json()["items"][0]["id"]

    other_company = await log_in(
        platform, "employer", "correspondent", "C87654321", {"company_code": "87654321", "contracts": "all", "primary": True}
    )
    secondary = await log_in(
        platform,
        "employer",
        "correspondent",
        "C12345678-2",
        {"company_code": COMPANY, "contracts": ["W1-000999"], "primary": False, "categories": ["NON CADRES"]},
    )
    member = await log_in(platform, "member", "member", "73000042", {"member_number": "73000042"})
    one = f"/api/employer/invitations/{iid}"
    routes = [
        ("GET", "/api/employer/invitations", None),
        ("POST", "/api/employer/invitations", body),
        ("GET", "/api/employer/invitations/export", None),
        ("POST", "/api/employer/invitations/remind-all", None),
        ("GET", one, None),
        ("POST", one + "/remind", None),
        ("POST", one + "/close", None),
        ("DELETE", one, None),
    ]
    for method, path, json in routes:
        anonymous = await platform.gateway.request(method, path, json=json)
        assert anonymous.status_code == 401, (method, path)
        assert (await platform.gateway.request(method, path, json=json, headers=member)).status_code == 403, (method, path)
        for outsider in (other_company, secondary):
            answer = await platform.gateway.request(method, path, json=json, headers=outsider)
            if path == "/api/employer/invitations" and method == "GET":
                assert answer.json()["items"] == []
            elif path.endswith("/export"):
                assert answer.content.decode("utf-8-sig").count("\n") == 1  # the header line alone
            elif path.endswith("/remind-all"):
                assert answer.json()["items"] == []
            elif method == "POST" and path == "/api/employer/invitations":
                assert answer.status_code in (403, 404), (method, path, answer.status_code)
            else:
                assert answer.status_code == 404, (method, path, answer.status_code)

    # The owner's invitation is untouched by all of that, and the link routes want a real link.
    mine = (await platform.gateway.get(one, headers=company)).json()
    assert mine["status"] == "pending" and mine["reminders"] == 0
    assert (await platform.gateway.get("/api/online-enrollment")).status_code == 422
    assert (await platform.gateway.get("/api/online-enrollment", headers={"X-Invitation-Token": "A" * 43})).status_code == 404
    assert (await platform.gateway.post("/api/online-enrollment/submit", headers={"X-Invitation-Token": "A" * 43})).status_code == 404
    # A correspondent's token is no link.
    assert (await platform.gateway.get("/api/online-enrollment", headers=company)).status_code == 422
    assert (await platform.gateway.delete(one, headers=company)).status_code == 204
    assert (await platform.gateway.get(one, headers=company)).status_code == 404
