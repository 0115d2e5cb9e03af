"""The member's situation changes end to end (issue 11, guide 004, « Modifications »): through the gateway a member of
an individual contract changes the IBAN for benefits, the address, phones and email, removes a child (by the id the
household's file gives him), changes guarantee (one of the tenant's range; left to an advisor, who accepts it in the
back office), the debit day and the IBAN for contributions; the simulated legacy system decides each on Kafka and
republishes the household's file, which the member portal then shows (the IBAN masked); « Mes demandes » follows them. The IBAN typed reaches no log, no answer and no refusal.
A member of a collective contract is sent to the employer for a change of the contract. Every new route is refused
to anonymous callers, brokers, company correspondents, and shows nothing of a household to another member."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs

from extranet_contracts.calendar import today_in_france
from extranet_contracts.households import HOUSEHOLDS, beneficiary_id
from extranet_contracts.legacy import MEMBERSHIPS
from extranet_contracts.testing import household_beneficiaries_recorded, member_affiliated, member_contract_recorded
from extranet_plumbing.logging import get_logger
from extranet_plumbing.testing import publish_event, wait_until
from gateway.clients.enrollment import MEMBER_CHANGES

from .test_requests import _awaiting_advisor, log_in

SOLO = "73000077"  # a household on an individual contract
LEA = member_affiliated()  # 73000042: an employee, covered by her company's collective contract
NEW_IBAN = "DE89370400440532013000"
CHANGES = MEMBER_CHANGES
WITHOUT_FORM = {"sponsorship"}  # nothing to choose, dated the day it is made
HUGO_ID = beneficiary_id(SOLO, "Hugo", date(2015, 3, 2))  # his id in the household's file, as the beneficiaries page gives it


def today() -> str:
    return datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


def bodies() -> dict[str, dict]:
    """A good body for each change, effective today (within every kind's window)."""
    account = {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "holder": "Paul Moreau", "effective_date": today()}
    return {
        "benefits-iban": account,
        "contribution-iban": account,
        "debit-day": {"debit_day": 10, "effective_date": today()},
        "remove-beneficiary": {"beneficiary_id": HUGO_ID, "reason": "AUTRE_MUTUELLE", "effective_date": today()},
        "change-guarantee": {"guarantee_code": "BTP-SANTE-CONFORT", "effective_date": today(), "callback_phone": "04 91 23 41 16"},
        "address": {"address": {"line1": "3 rue Longue", "postal_code": "13400", "city": "Aubagne"}, "effective_date": today()},
        "contact-details": {"mobile_phone": "07 81 22 33 44", "email": "paul.moreau@example.org", "effective_date": today()},
        "communication-choices": {"commercial": {"email": "ACCEPTE", "sms": "REFUSE"}},
        "sponsorship": {"civility": "MME", "last_name": "Martin", "first_name": "Sophie", "phone": "06 98 76 54 32"},
    }


@pytest.fixture
async def household(platform, kafka_producer, service_env):
    """Paul Moreau's individual contract and his household (Léa's file under his number: his son Hugo), as the legacy
    system published them; Paul logged in."""
    prefix = service_env["topic_prefix"]
    contract = member_contract_recorded(
        member_number=SOLO,
        contract_number="I-0077",
        kind="INDIVIDUEL",
        company_code=None,
        company_name=None,
        contribution={"payment_mode": "PRELEVEMENT", "frequency": "MENSUELLE"},
    )
    await publish_event(kafka_producer, prefix + HOUSEHOLDS, contract)
    await publish_event(kafka_producer, prefix + HOUSEHOLDS, household_beneficiaries_recorded(member_number=SOLO))
    member = await log_in(platform, "member", "member", SOLO, {"member_number": SOLO})
    await wait_until(lambda: _page(platform, member, "/api/member/beneficiaries"))
    await wait_until(lambda: _page(platform, member, "/api/member/contract"))
    # Enrollment has the household's file too (a dependant to remove is one of its beneficiaries).
    await wait_until(
        lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM household_beneficiaries WHERE member_number = $1", SOLO)
    )
    return member


async def test_an_iban_for_benefits_is_applied_and_shown_masked_never_whole(platform, legacy_system, household, caplog):
    caplog.set_level(logging.DEBUG)  # every log line of the platform's code, at any level
    for quiet in ("aiokafka", "kafka"):  # as configure_logging sets them (their debug lines print every record sent)
        caplog.set_level(logging.WARNING, logger=quiet)
    answers = []
    with capture_logs() as logged:
        get_logger("test").info("capture works")  # what any of the platform's loggers would log is captured
        wrong = await platform.gateway.post(
            "/api/member/requests/benefits-iban",
            json={**bodies()["benefits-iban"], "iban": "DE89 3704 0044 0532 0130 01"},
            headers=household,
        )
        assert wrong.status_code == 422 and [e["field"] for e in wrong.json()["errors"]] == ["iban"]
        assert wrong.json()["errors"][0]["message"].startswith("Cet IBAN n'est pas valide")
        answers.append(wrong.text)
        async with legacy_system("accept"):
            sent = await platform.gateway.post("/api/member/requests/benefits-iban", json=bodies()["benefits-iban"], headers=household)
            assert sent.status_code == 201, sent.text
            request = sent.json()
            assert (request["kind_label"], request["payload"]["account"]["iban"]) == (
                "Changement d'IBAN prestation",
                "DE89 **** **** **** **30 00",
            )
            await wait_until(lambda: _status_is(platform, household, request["id"], "accepted"))
            shown = await wait_until(lambda: _account_ending(platform, household, "3000"))
    assert shown == {"iban": "DE89 **** **** **** **30 00", "bic": "COBADEFFXXX", "bank_name": None, "holder": "Paul Moreau"}
    answers += [
        sent.text,
        (await platform.gateway.get(f"/api/member/requests/{request['id']}", headers=household)).text,
        (await platform.gateway.get("/api/member/requests", headers=household)).text,
        (await platform.gateway.get("/api/member/beneficiaries", headers=household)).text,
    ]
    for text in answers:
        assert "370400440532013000" not in text.replace(" ", "")
    assert logged[0]["event"] == "capture works"
    assert not [entry for entry in logged if "370400440532013000" in str(entry).replace(" ", "")]
    assert "370400440532013000" not in caplog.text.replace(" ", "")


async def test_the_households_file_follows_the_changes_the_legacy_system_accepts(platform, legacy_system, household):
    good = bodies()
    async with legacy_system("accept"):
        ids = {}
        for change in (
            "address",
            "contact-details",
            "remove-beneficiary",
            "debit-day",
            "contribution-iban",
            "communication-choices",
            "sponsorship",
        ):
            sent = await platform.gateway.post(f"/api/member/requests/{change}", json=good[change], headers=household)
            assert sent.status_code == 201, (change, sent.text)
            ids[change] = sent.json()["id"]
        stranger = {**good["remove-beneficiary"], "beneficiary_id": beneficiary_id(SOLO, "Jules", date(2015, 3, 2))}
        unknown = await platform.gateway.post("/api/member/requests/remove-beneficiary", json=stranger, headers=household)
        assert unknown.status_code == 404  # not a beneficiary of the household: not even asked
        for rid in ids.values():
            await wait_until(lambda rid=rid: _status_is(platform, household, rid, "accepted"))
        page = await wait_until(
            lambda: _beneficiaries_when(
                platform, household, lambda items: len(items) == 1 and items[0]["email"] == good["contact-details"]["email"]
            )
        )
    [paul] = page
    assert (paul["home_address"]["city"], paul["phones"]["mobile"], paul["email"]) == ("Aubagne", "+33781223344", "paul.moreau@example.org")
    assert paul["phones"]["home"] == "04 76 12 34 56"  # not given: kept
    preferences = await wait_until(lambda: _page(platform, household, "/api/member/preferences"))
    commercial = next(row for row in preferences["rows"] if row["kind"] == "commercial")
    assert (commercial["email"]["value"], commercial["sms"]["value"], commercial["post"]["value"]) == ("accepted", "refused", "undefined")
    listed = (await platform.gateway.get("/api/member/requests", params={"year": today_in_france().year}, headers=household)).json()[
        "items"
    ]
    assert sorted((r["kind_label"], r["status_label"]) for r in listed) == [
        ("Changement d'IBAN cotisation", "Acceptée"),
        ("Changement d'adresse", "Acceptée"),
        ("Changement de date de prélèvement", "Acceptée"),
        ("Changement des choix d'envoi des informations", "Acceptée"),
        ("Changement des téléphones et de l'e-mail", "Acceptée"),
        ("Proposition de parrainage", "Acceptée"),
        ("Suppression d'un bénéficiaire", "Acceptée"),
    ]


async def test_a_guarantee_change_is_left_to_an_advisor_who_accepts_it(platform, legacy_system, household):
    form = (await platform.gateway.get("/api/member/requests/forms/change-guarantee", headers=household)).json()
    assert {"code": "BTP-SANTE-CONFORT", "label": "BTP Santé Confort"} in form["choices"]["guarantee_code"]
    assert form["window"]["earliest"] == today()
    operator = await log_in(platform, "backoffice", "operator", "j.conseil", {"operator": True})
    async with legacy_system("GuaranteeChangeRequested=advisor"):
        sent = await platform.gateway.post("/api/member/requests/change-guarantee", json=bodies()["change-guarantee"], headers=household)
        assert sent.status_code == 201, sent.text
        await wait_until(lambda: _awaiting_advisor(platform, operator))
        decided = await platform.gateway.post(
            f"/api/backoffice/requests/{sent.json()['id']}/decision", json={"accepted": True}, headers=operator
        )
        assert decided.status_code == 200, decided.text
        await wait_until(lambda: _status_is(platform, household, sent.json()["id"], "accepted"))
        contract = await wait_until(lambda: _contract_holding(platform, household, "BTP-SANTE-CONFORT"))
    assert (contract["current_guarantee"]["name"], contract["current_guarantee"]["start_date"]) == ("BTP Santé Confort", today())
    assert [g["code"] for g in contract["guarantees"] if g["end_date"] is None] == ["BTP-SANTE-CONFORT"]


async def test_an_employee_asks_their_employer_for_a_change_of_the_contract(platform, kafka_producer, service_env):
    await publish_event(kafka_producer, service_env["topic_prefix"] + MEMBERSHIPS, LEA)
    await wait_until(
        lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM memberships WHERE member_number = $1", LEA.member_number)
    )
    employee = await log_in(platform, "member", "member", LEA.member_number, {"member_number": LEA.member_number})
    good = bodies()
    for change in ("contribution-iban", "debit-day", "remove-beneficiary", "change-guarantee"):
        refused = await platform.gateway.post(f"/api/member/requests/{change}", json=good[change], headers=employee)
        assert refused.status_code == 409 and "employeur" in refused.json()["detail"], change
    for change in ("benefits-iban", "address", "contact-details"):  # her own file
        assert (await platform.gateway.post(f"/api/member/requests/{change}", json=good[change], headers=employee)).status_code == 201


async def test_every_change_is_the_households_alone(platform, household):
    other = await log_in(platform, "member", "member", "73000099", {"member_number": "73000099"})
    broker = await log_in(platform, "broker", "broker", "M12345", {"broker_code": "M12345"})
    correspondent = await log_in(
        platform, "employer", "correspondent", "C12345678", {"company_code": "12345678", "contracts": "all", "primary": True}
    )
    good = bodies()
    for change in CHANGES:
        path = f"/api/member/requests/{change}"
        assert (await platform.gateway.post(path, json=good[change])).status_code == 401, change
        for outsider in (broker, correspondent):
            assert (await platform.gateway.post(path, json=good[change], headers=outsider)).status_code == 403, change
        if change not in WITHOUT_FORM:
            form = f"/api/member/requests/forms/{change}"
            assert (await platform.gateway.get(form)).status_code == 401, change
            for outsider in (broker, correspondent):
                assert (await platform.gateway.get(form, headers=outsider)).status_code == 403, change
            assert (await platform.gateway.get(form, headers=household)).status_code == 200, change
        mine = await platform.gateway.post(path, json=good[change], headers=household)
        assert mine.status_code == 201, (change, mine.text)
        # Another household's member sees nothing of it, and their own change is theirs (not held up by this one).
        assert (await platform.gateway.get(f"/api/member/requests/{mine.json()['id']}", headers=other)).status_code == 404, change
        theirs = await platform.gateway.post(path, json=good[change], headers=other)
        if change == "remove-beneficiary":  # Hugo is not theirs: not found, whoever he is
            assert theirs.status_code == 404 and "Hugo" not in theirs.text, theirs.text
            continue
        assert theirs.status_code == 201 and theirs.json()["reference"] == "73000099", change
    assert {r["id"] for r in (await platform.gateway.get("/api/member/requests", headers=other)).json()["items"]}.isdisjoint(
        {r["id"] for r in (await platform.gateway.get("/api/member/requests", headers=household)).json()["items"]}
    )
    # What reached enrollment: the members' own changes alone (the gateway refused the others before asking it).
    posted = [p for name, m, p in platform.upstream_calls if name == "enrollment" and m == "POST" and p.startswith("/internal/requests/")]
    assert sorted(posted) == sorted(f"/internal/requests/{change}" for change in CHANGES for _member in (household, other))


async def _page(platform, auth, path: str):
    answer = await platform.gateway.get(path, headers=auth)
    return answer.json() if answer.status_code == 200 else None


async def _status_is(platform, auth, request_id: str, expected: str) -> bool:
    return (await platform.gateway.get(f"/api/member/requests/{request_id}", headers=auth)).json()["status"] == expected


async def _account_ending(platform, auth, digits: str):
    page = await _page(platform, auth, "/api/member/beneficiaries")
    account = page and page["items"][0]["benefits_account"]
    return account if account and account["iban"].replace(" ", "").endswith(digits) else None


async def _beneficiaries_when(platform, auth, condition):
    page = await _page(platform, auth, "/api/member/beneficiaries")
    return page["items"] if page and condition(page["items"]) else None


async def _contract_holding(platform, auth, code: str):
    contract = await _page(platform, auth, "/api/member/contract")
    return contract if contract and contract["current_guarantee"] and contract["current_guarantee"]["code"] == code else None
