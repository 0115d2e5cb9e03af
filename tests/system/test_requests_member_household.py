"""The member's requests that read the household's file (issue 11, guide 004), end to end through the gateway on real
Kafka and PostgreSQL, the simulated legacy system deciding:

- « Changement de garantie » offers the tenant's individual range (`[<tenant>.enrollment.change_guarantee]`), never the
  guarantee the member holds; the legacy system's contract then holds the new one.
- « Suppression de bénéficiaire » names the dependant by the id the beneficiaries page gives; an id the household does
  not hold (another household's, made up, the primary insured's) is not found, and says nothing more.
- « Ajout de bénéficiaire » knows the adult dependant (guide 003: « Conjoint, Adulte, Enfant »): of age on the date of
  effect, with a NIR; a child younger than 28 on that date.
- « Paiement de cotisation en ligne »: Solimut's alone, for the Mutuelle de France Plus's members (guide 004); the
  amount due of the contribution block, paid under a payment reference; no payment provider: the legacy system
  collects it and republishes the contract."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from extranet_contracts.households import HOUSEHOLDS, beneficiary_id
from extranet_contracts.testing import household_beneficiaries_recorded, member_contract_recorded
from extranet_plumbing.testing import publish_event, wait_until
from identity.domain.accounts import mutuelle_login_key

from .test_requests import PASSWORD, log_in

SOLO = "73000077"  # a household on an individual contract (MBTP)
PAYER = "73000088"  # a Solimut household on an individual contract (Mutuelle de France Plus), a contribution due
OTHER_MUTUELLE = "73000055"  # another of Solimut's mutuelles (MVTE), a contribution due
HUGO_ID = beneficiary_id(SOLO, "Hugo", date(2015, 3, 2))  # Léa's son in the household's file (under Paul's number)


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def nir(civility: str, birth: date, rest: str = "75056123") -> str:
    digits13 = f"{1 if civility == 'M' else 2}{birth:%y%m}{rest}"
    return f"{digits13}{97 - int(digits13) % 97:02d}"


def individual_contract(member_number: str, *, held: str, amount_due: str | None = None, mutuelle: str | None = None, revision: int = 1):
    return member_contract_recorded(
        mutuelle_code=mutuelle,
        member_number=member_number,
        contract_number=f"I-{member_number[-4:]}",
        kind="INDIVIDUEL",
        company_code=None,
        company_name=None,
        guarantees=[{"guarantee_code": held, "name": "Garantie actuelle", "start_date": date(2024, 1, 1)}],
        contribution={
            "payment_mode": "PRELEVEMENT",
            "frequency": "MENSUELLE",
            "amount_due": amount_due,
            "due_date": today().replace(day=1) if amount_due else None,
        },
        revision=revision,
    )


async def _file_known(platform, member_number: str) -> None:
    """Enrollment has the household's contract and beneficiaries (legacy.households)."""

    async def known():
        pool = platform.enrollment.pool
        return await pool.fetchval("SELECT count(*) FROM household_contracts WHERE member_number = $1", member_number) and (
            await pool.fetchval("SELECT count(*) FROM household_beneficiaries WHERE member_number = $1", member_number)
        )

    await wait_until(known)


@pytest.fixture
async def household(platform, kafka_producer, service_env):
    """Paul's individual contract (MBTP) holding BTP Santé Essentiel, his household (Léa's file: her son Hugo)."""
    prefix = service_env["topic_prefix"]
    await publish_event(kafka_producer, prefix + HOUSEHOLDS, individual_contract(SOLO, held="BTP-SANTE-ESSENTIEL"))
    await publish_event(kafka_producer, prefix + HOUSEHOLDS, household_beneficiaries_recorded(member_number=SOLO))
    await _file_known(platform, SOLO)
    return await log_in(platform, "member", "member", SOLO, {"member_number": SOLO})


async def test_the_guarantees_offered_are_the_tenants_range_without_the_one_held(platform, legacy_system, household):
    form = await platform.gateway.get("/api/member/requests/forms/change-guarantee", headers=household)
    assert form.status_code == 200, form.text
    offered = {c["code"]: c["label"] for c in form.json()["choices"]["guarantee_code"]}
    assert offered == {"BTP-SANTE-CONFORT": "BTP Santé Confort", "BTP-SANTE-INTEGRAL": "BTP Santé Intégral"}
    body = {"effective_date": today().isoformat(), "callback_phone": "04 91 23 41 16"}
    for wrong in ("BTP-SANTE-ESSENTIEL", "IND-CONFORT"):  # the one held; the former placeholder
        refused = await platform.gateway.post(
            "/api/member/requests/change-guarantee", json={**body, "guarantee_code": wrong}, headers=household
        )
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["guarantee_code"], refused.text
    async with legacy_system("accept"):
        sent = await platform.gateway.post(
            "/api/member/requests/change-guarantee", json={**body, "guarantee_code": "BTP-SANTE-CONFORT"}, headers=household
        )
        assert sent.status_code == 201, sent.text
        assert (sent.json()["subject"], sent.json()["payload"]["guarantee_name"]) == ("BTP Santé Confort", "BTP Santé Confort")
        await wait_until(lambda: _status_is(platform, household, sent.json()["id"], "accepted"))

        async def held_now():
            form = (await platform.gateway.get("/api/member/requests/forms/change-guarantee", headers=household)).json()
            codes = {c["code"] for c in form["choices"]["guarantee_code"]}
            return codes if "BTP-SANTE-CONFORT" not in codes else None

        # The legacy system's new contract reached enrollment: the new guarantee is no longer offered, the former one is.
        assert await wait_until(held_now) == {"BTP-SANTE-ESSENTIEL", "BTP-SANTE-INTEGRAL"}


async def test_a_dependant_is_removed_by_the_households_id_and_a_guessed_one_is_not_found(
    platform, legacy_system, household, kafka_producer, service_env
):
    other = "73000099"
    await publish_event(kafka_producer, service_env["topic_prefix"] + HOUSEHOLDS, household_beneficiaries_recorded(member_number=other))
    await wait_until(
        lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM household_beneficiaries WHERE member_number = $1", other)
    )
    page = (await platform.gateway.get("/api/member/beneficiaries", headers=household)).json()["items"]
    hugo = next(b for b in page if b["first_name"] == "Hugo")
    assert hugo["id"] == HUGO_ID  # the beneficiaries page's id is the one a removal names
    primary = next(b for b in page if b["role"] == "ASSURE")
    body = {"reason": "AUTRE_MUTUELLE", "effective_date": today().isoformat()}
    for guessed in (beneficiary_id(other, "Hugo", date(2015, 3, 2)), "0123456789ab", primary["id"]):
        refused = await platform.gateway.post(
            "/api/member/requests/remove-beneficiary", json={**body, "beneficiary_id": guessed}, headers=household
        )
        assert refused.status_code == 404, refused.text
        assert "Hugo" not in refused.text and "2015" not in refused.text
    malformed = await platform.gateway.post(
        "/api/member/requests/remove-beneficiary", json={**body, "beneficiary_id": "../x"}, headers=household
    )
    assert malformed.status_code == 422 and [e["field"] for e in malformed.json()["errors"]] == ["beneficiary_id"]
    async with legacy_system("accept"):
        sent = await platform.gateway.post(
            "/api/member/requests/remove-beneficiary", json={**body, "beneficiary_id": HUGO_ID}, headers=household
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["subject"] == "DURAND Hugo"
        assert sent.json()["payload"]["beneficiary"] == {
            "beneficiary_id": HUGO_ID,
            "role": "ENFANT",
            "last_name": "Durand",
            "first_name": "Hugo",
            "birth_date": "2015-03-02",
        }
        again = await platform.gateway.post(
            "/api/member/requests/remove-beneficiary", json={**body, "beneficiary_id": HUGO_ID}, headers=household
        )
        assert again.status_code == 409
        await wait_until(lambda: _status_is(platform, household, sent.json()["id"], "accepted"))

        async def without_hugo():
            answer = await platform.gateway.get("/api/member/beneficiaries", headers=household)
            items = answer.json()["items"] if answer.status_code == 200 else []
            return items if items and all(b["id"] != HUGO_ID for b in items) else None

        assert [b["role"] for b in await wait_until(without_hugo)] == ["ASSURE"]
    # The other household still has its own Hugo: its id was never this household's to remove.
    other_member = await log_in(platform, "member", "member", other, {"member_number": other})
    theirs = (await platform.gateway.get("/api/member/beneficiaries", headers=other_member)).json()["items"]
    assert [b["first_name"] for b in theirs if b["role"] != "ASSURE"] == ["Hugo"]


async def test_an_adult_dependant_is_of_age_and_a_child_younger_than_28(platform, household):
    form = (await platform.gateway.get("/api/member/requests/forms/add-beneficiary", headers=household)).json()
    effective = date.fromisoformat(form["window"]["earliest"])
    adult_birth = date(effective.year - 30, 5, 17)
    adult = {"role": "ADULTE", "civility": "MME", "last_name": "Moreau", "first_name": "Jeanne", "birth_date": adult_birth.isoformat()}
    good = {"beneficiary": {**adult, "nir": nir("MME", adult_birth)}, "effective_date": effective.isoformat()}
    seventeen = effective.replace(year=effective.year - 18) + timedelta(days=1)  # 18 the day after the date of effect
    twenty_eight = effective.replace(year=effective.year - 28)  # 28 on the date of effect
    for wrong, field, words in (
        ({"beneficiary": adult}, "beneficiary.nir", "adulte à charge est obligatoire"),
        (
            {"beneficiary": {**adult, "birth_date": seventeen.isoformat(), "nir": nir("MME", seventeen)}},
            "beneficiary.birth_date",
            "au moins 18 ans",
        ),
        (
            {"beneficiary": {**adult, "role": "ENFANT", "birth_date": twenty_eight.isoformat(), "nir": nir("MME", twenty_eight)}},
            "beneficiary.birth_date",
            "moins de 28 ans",
        ),
    ):
        refused = await platform.gateway.post("/api/member/requests/add-beneficiary", json={**good, **wrong}, headers=household)
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["field"] == field and words in error["message"], error
    eighteen = seventeen - timedelta(days=1)
    for ok in (good, {**good, "beneficiary": {**adult, "birth_date": eighteen.isoformat(), "nir": nir("MME", eighteen)}}):
        added = await platform.gateway.post("/api/member/requests/add-beneficiary", json=ok, headers=household)
        assert added.status_code == 201, added.text
        assert added.json()["payload"]["beneficiary"]["role"] == "ADULTE"


async def test_online_payment_is_solimuts_alone_and_goes_to_the_legacy_system(
    platform, legacy_system, household, kafka_producer, service_env
):
    # MBTP does not offer it: « bientôt disponible », at the form and at the payment.
    for answer in (
        await platform.gateway.get("/api/member/requests/contribution-payment", headers=household),
        await platform.gateway.post("/api/member/requests/contribution-payment", json={"amount": "42.50"}, headers=household),
    ):
        assert answer.status_code == 404 and "bientôt disponible" in answer.json()["detail"], answer.text

    payer = await _solimut_member(platform, PAYER, "claire.payeur@example.org")
    prefix = service_env["topic_prefix"]
    # The Mutuelle de France Plus (700) offers it, not the other mutuelles of the union (guide 004).
    for member_number, mutuelle in ((PAYER, "700"), (OTHER_MUTUELLE, "105")):
        contract = individual_contract(member_number, held="SOL-ESSENTIEL", amount_due="58.40", mutuelle=mutuelle)
        await publish_event(kafka_producer, prefix + HOUSEHOLDS, contract, tenant="solimut")
    await wait_until(lambda: platform.enrollment.pool.fetchval("SELECT count(*) = 2 FROM household_contracts WHERE tenant = 'solimut'"))
    mvte = await _solimut_member(platform, OTHER_MUTUELLE, "membre.mvte@example.org", mutuelle="105")
    for answer in (
        await platform.gateway.get("/api/member/requests/contribution-payment", headers=mvte),
        await platform.gateway.post("/api/member/requests/contribution-payment", json={"amount": "58.40"}, headers=mvte),
    ):
        assert answer.status_code == 404 and "pas proposé aux adhérents de votre mutuelle" in answer.json()["detail"], answer.text
    due = await platform.gateway.get("/api/member/requests/contribution-payment", headers=payer)
    assert due.status_code == 200, due.text
    assert due.json() == {"contract_number": "I-0088", "amount_due": "58.40", "due_date": today().replace(day=1).isoformat()}
    changed = await platform.gateway.post("/api/member/requests/contribution-payment", json={"amount": "50.00"}, headers=payer)
    assert changed.status_code == 422 and [e["field"] for e in changed.json()["errors"]] == ["amount"]
    async with legacy_system("accept"):
        paid = await platform.gateway.post("/api/member/requests/contribution-payment", json={"amount": "58.40"}, headers=payer)
        assert paid.status_code == 201, paid.text
        request = paid.json()
        reference = request["payload"]["payment_reference"]
        assert reference.startswith("COT-") and request["subject"] == f"Référence {reference}"
        assert (request["kind_label"], request["payload"]["amount"]) == ("Paiement de cotisation en ligne", "58.40")
        second = await platform.gateway.post("/api/member/requests/contribution-payment", json={"amount": "58.40"}, headers=payer)
        assert second.status_code == 409
        await wait_until(lambda: _status_is(platform, payer, request["id"], "accepted"))

        async def nothing_due():
            answer = await platform.gateway.get("/api/member/requests/contribution-payment", headers=payer)
            return answer if answer.status_code == 409 else None

        # The legacy system collected it: its contract says nothing is due any more.
        assert "Aucune cotisation" in (await wait_until(nothing_due)).json()["detail"]
    # Another household of the tenant sees nothing of it.
    assert (await platform.gateway.get(f"/api/member/requests/{request['id']}", headers=mvte)).status_code == 404


async def _solimut_member(platform, member_number: str, email: str, *, mutuelle: str = "700") -> dict[str, str]:
    """A Solimut member's account (they log in with their mutuelle's number, 700 for the Mutuelle de France Plus, and their
    email), logged in through the gateway on Solimut's member portal, the terms accepted."""
    from identity.entrypoints.admin import set_login

    settings = platform._identity_settings
    scope = {"member_number": member_number}
    await set_login(settings, tenant="solimut", kind="member", identifier=member_number, password=PASSWORD, email=email, scope=scope)
    await platform.identity.pool.execute(
        "UPDATE accounts SET login_key = $1 WHERE tenant = 'solimut' AND kind = 'member' AND identifier = $2",
        mutuelle_login_key(mutuelle, email),
        member_number,
    )
    login = await platform.gateway.post(
        "/api/auth/login",
        params={"tenant": "solimut"},
        json={"portal": "member", "identifier": mutuelle, "email": email, "password": PASSWORD},
    )
    assert login.status_code == 200, login.text
    auth = {"authorization": f"Bearer {login.json()['access_token']}"}
    version = (await platform.gateway.get("/api/auth/terms", headers=auth)).json()["version"]
    accepted = await platform.gateway.post("/api/auth/terms/accept", json={"version": version, "health_data_consent": True}, headers=auth)
    assert accepted.status_code == 200, accepted.text
    return {"authorization": f"Bearer {accepted.json()['access_token']}"}


async def _status_is(platform, auth, request_id: str, expected: str) -> bool:
    return (await platform.gateway.get(f"/api/member/requests/{request_id}", headers=auth)).json()["status"] == expected
