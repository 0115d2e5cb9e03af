"""The employer portal's reads through the gateway (issue 12): the simulated legacy system publishes its
portfolio on Kafka, portfolio builds its read model, and company correspondents read their company sheet,
search their employees and list them; the figures and rows are checked against an independent computation
from the published events, and every route is refused to whoever may not see the company's data."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from extranet_contracts.legacy import ContributionPaid, ContributionPayerRecorded, ContributionScheduled
from extranet_plumbing.testing import GATEWAY_HEADERS
from portfolio.domain.periods import today_in_france

from .test_broker_dashboard import PASSWORD as BROKER_PASSWORD
from .test_broker_dashboard import loaded  # noqa: F401 (the fixture)
from .test_broker_effectifs import Oracle as EffectifsOracle

PASSWORD = "Entreprise-Test-2026!"
ROLES = {"CONJOINT": "Conjoint", "ENFANT": "Enfant"}


def fold(text: str) -> str:
    """As people's typing is compared with names: accents, case, hyphens and apostrophes ignored."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    text = text.replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[-'’]", " ", text).split())


class Oracle(EffectifsOracle):
    """Companies, contracts and memberships as the events describe them (the broker tests' oracle), and
    what a company's correspondent reads of them."""

    def of(self, company: str, contracts=None, groups=None):
        return [
            (a, r)
            for a, r in self.memberships
            if a.company_code == company
            and (contracts is None or a.contract_number in contracts)
            and (groups is None or a.insured_group.value in groups)
        ]

    @staticmethod
    def covered(memberships, day: date):
        return [(a, r) for a, r in memberships if a.effective_date <= day and (r is None or r.effective_date >= day)]

    @staticmethod
    def during(memberships, start: date, end: date):
        return [(a, r) for a, r in memberships if a.effective_date <= end and (r is None or r.effective_date >= start)]


def persons(memberships, dependants: bool) -> Counter:
    rows = Counter()
    for a, _ in memberships:
        rows[
            (a.membership_id, f"{a.primary.last_name.upper()} {a.primary.first_name}", "Assuré principal", a.primary.birth_date.isoformat())
        ] += 1
        for d in a.dependants if dependants else ():
            rows[(a.membership_id, f"{d.last_name.upper()} {d.first_name}", ROLES[d.role.value], d.birth_date.isoformat())] += 1
    return rows


@pytest.fixture
async def company(platform, loaded):  # noqa: F811
    """The company with the most employees covered today, a contract of it with several insured groups, and its
    correspondents: the primary one, secondary ones outside that contract's group or category, another company's."""
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    by_company = Counter(a.company_code for a, _ in oracle.covered(oracle.memberships, today))
    mine = next(
        code
        for code, _ in by_company.most_common()
        if any(len(k.insured_groups) > 1 for k in oracle.contracts.values() if k.company_code == code)
    )
    theirs = next(code for code in by_company if code != mine)
    contract = max(
        (k for k in oracle.contracts.values() if k.company_code == mine and len(k.insured_groups) > 1),
        key=lambda k: len(oracle.covered(oracle.of(mine, [k.contract_number]), today)),
    )
    member, _ = max(oracle.covered(oracle.of(mine, [contract.contract_number]), today), key=lambda m: len(m[0].dependants))
    group = member.insured_group.value
    other_group = next(g.value for g in contract.insured_groups if g.value != group)
    other_category = next(c for c in ("CADRES", "NON CADRES", "ENSEMBLE DU PERSONNEL") if c != contract.category.value)

    async def bearer(portal, kind, identifier, scope) -> dict[str, str]:
        return {"authorization": f"Bearer {await platform.account_token(portal, kind, identifier, PASSWORD, scope)}"}

    accounts = {
        "primary": await bearer("employer", "correspondent", f"C{mine}", {"company_code": mine, "contracts": "all", "primary": True}),
        "theirs": await bearer("employer", "correspondent", f"C{theirs}", {"company_code": theirs, "contracts": "all", "primary": True}),
        "other group": await bearer(
            "employer",
            "correspondent",
            f"G{mine}",
            {"company_code": mine, "contracts": [contract.contract_number], "insured_groups": [other_group], "primary": False},
        ),
        "other group of the contract": await bearer(  # granted by the primary contract by contract (identity's contract_groups)
            "employer",
            "correspondent",
            f"H{mine}",
            {
                "company_code": mine,
                "contracts": [contract.contract_number],
                "contract_groups": {contract.contract_number: [other_group]},
                "primary": False,
            },
        ),
        "other category": await bearer(
            "employer",
            "correspondent",
            f"K{mine}",
            {"company_code": mine, "contracts": [contract.contract_number], "categories": [other_category], "primary": False},
        ),
        "broker": {"authorization": f"Bearer {await platform.login(brokers[0], BROKER_PASSWORD)}"},
        "member": await bearer("member", "member", member.member_number, {"member_number": member.member_number}),
    }
    return oracle, mine, contract, member, accounts


async def test_the_company_sheet_counts_what_the_events_imply(platform, company):
    oracle, mine, _contract, _member, accounts = company
    today = today_in_france()
    auth = accounts["primary"]
    selector = (await platform.gateway.get("/api/employer/contracts", headers=auth)).json()
    assert {k["contract_number"]: [g["code"] for g in k["insured_groups"]] for k in selector["contracts"]} == {
        k.contract_number: [g.value for g in k.insured_groups] for k in oracle.contracts.values() if k.company_code == mine
    }
    assert selector["legal_name"] == oracle.companies[mine].legal_name
    for k in selector["contracts"]:
        number = k["contract_number"]
        on_contract = oracle.covered(oracle.of(mine, [number]), today)
        for g in k["insured_groups"]:
            answer = await platform.gateway.get(f"/api/employer/contracts/{number}/groups/{g['code']}/sheet", headers=auth)
            assert answer.status_code == 200, answer.text
            sheet = answer.json()
            in_group = [(a, r) for a, r in on_contract if a.insured_group.value == g["code"]]
            assert (sheet["employees"], sheet["covered_persons"]) == (len(on_contract), sum(1 + len(a.dependants) for a, _ in on_contract))
            assert (sheet["group"]["employees"], sheet["group"]["covered_persons"]) == (
                len(in_group),
                sum(1 + len(a.dependants) for a, _ in in_group),
            )
            assert (sheet["company"]["siret"], sheet["company"]["siren"]) == (
                oracle.companies[mine].siret,
                oracle.companies[mine].siret[:9],
            )
            assert sheet["contract"]["effective_date"] == oracle.contracts[number].effective_date.isoformat()
            # The group's address and contacts, as the contract's event describes the group (none on file: none shown).
            described = next((d for d in oracle.contracts[number].group_details if d.insured_group.value == g["code"]), None)
            assert sheet["group"]["address"] == (described.address.model_dump(mode="json") if described and described.address else None)
            assert sheet["group"]["contacts"] == [
                c.model_dump(mode="json", include={"last_name", "first_name", "role", "email", "phone"})
                for c in (described.contacts if described else [])
            ]
    # Some group of the set says where it is managed: the comparison above is not only of empty ones.
    assert any(d.address or d.contacts for k in oracle.contracts.values() for d in k.group_details)


async def test_an_employee_is_found_by_name_and_by_nir(platform, company):
    oracle, mine, _contract, member, accounts = company
    today = today_in_france()
    auth = accounts["primary"]
    typed = fold(member.primary.last_name)[:3].upper()
    answer = await platform.gateway.post("/api/employer/employees/search", json={"last_name": typed, "page_size": 500}, headers=auth)
    assert answer.status_code == 200, answer.text
    expected = {a.membership_id for a, _ in oracle.covered(oracle.of(mine), today) if fold(a.primary.last_name).startswith(fold(typed))}
    assert {r["membership_id"] for r in answer.json()["items"]} == expected and member.membership_id in expected

    nir = member.primary.nir
    by_nir = await platform.gateway.post("/api/employer/employees/search", json={"nir": nir[:13], "nir_key": nir[13:]}, headers=auth)
    assert [r["membership_id"] for r in by_nir.json()["items"]] == [member.membership_id]
    wrong = await platform.gateway.post(
        "/api/employer/employees/search", json={"nir": nir[:13], "nir_key": f"{(int(nir[13:]) + 1) % 97:02d}"}, headers=auth
    )
    assert wrong.status_code == 422 and [e["field"] for e in wrong.json()["errors"]] == ["nir_key"]

    detail = (await platform.gateway.get(f"/api/employer/employees/{member.membership_id}", headers=auth)).json()
    assert [(b["name"], b["type"], b["birth_date"]) for b in detail["beneficiaries"]] == [
        (
            f"{member.primary.civility.value} {member.primary.last_name.upper()} {member.primary.first_name}",
            "Assuré principal",
            member.primary.birth_date.isoformat(),
        )
    ] + [
        (f"{d.civility.value} {d.last_name.upper()} {d.first_name}", ROLES[d.role.value], d.birth_date.isoformat())
        for d in member.dependants
    ]
    shown = str(detail)
    for person in (member.primary, *member.dependants):
        assert person.nir not in shown and person.nir[:13] not in shown
    assert [b["nir_masked"][-2:] for b in detail["beneficiaries"]] == [p.nir[13:] for p in (member.primary, *member.dependants)]
    situations = {"MARIE": "Marié(e)", "PACSE": "Pacsé(e)", "CONCUBIN": "En concubinage", "CELIBATAIRE": "Célibataire"}
    assert detail["family_situation"] == situations.get(member.family_situation.value, detail["family_situation"])
    assert detail["family_situation"] and detail["payment_mode"].endswith(f"({member.payment_frequency.value.lower()})")
    if member.benefits_bank_details:
        assert member.benefits_bank_details.iban not in shown and detail["iban_masked"].endswith(member.benefits_bank_details.iban[-3:])


async def test_the_contributions_are_those_the_legacy_system_published(platform, company):
    oracle, mine, _contract, _member, accounts = company
    today = today_in_france()
    newest: dict[tuple, object] = {}
    for _, e in oracle.events:
        if isinstance(e, ContributionPayerRecorded | ContributionScheduled | ContributionPaid) and e.company_code == mine:
            key = (type(e).__name__, e.contract_number, identifier(e))
            if key not in newest or newest[key].revision < e.revision:
                newest[key] = e
    seen = 0
    for k in (k for k in oracle.contracts.values() if k.company_code == mine):
        for g in k.insured_groups:
            answer = await platform.gateway.get(
                f"/api/employer/contracts/{k.contract_number}/groups/{g.value}/contributions", headers=accounts["primary"]
            )
            assert answer.status_code == 200, answer.text
            got = answer.json()
            mine_of = [e for e in newest.values() if e.contract_number == k.contract_number and e.insured_group is g]
            payers = {e.payer_id: e for e in mine_of if isinstance(e, ContributionPayerRecorded)}
            schedules = sorted(
                (e for e in mine_of if isinstance(e, ContributionScheduled)), key=lambda e: (-e.due_date.toordinal(), e.schedule_id)
            )
            payments = {e.payment_id: e for e in mine_of if isinstance(e, ContributionPaid)}
            assert {p["payer_id"]: (p["share"], p["pre_litigation_date"]) for p in got["payers"]} == {
                i: (
                    {"EMPLOYEUR": "Employeur", "SALARIE": "Salarié"}[e.share.value],
                    e.pre_litigation_date and e.pre_litigation_date.isoformat(),
                )
                for i, e in payers.items()
            }
            assert [(s["schedule_id"], Decimal(s["amount_due"]), Decimal(s["amount_paid"]), s["status"]) for s in got["schedules"]] == [
                (e.schedule_id, e.amount_due, e.amount_paid, expected_status(e, today)) for e in schedules
            ]
            assert {p["payment_id"]: Decimal(p["amount"]) for p in got["payments"]} == {i: e.amount for i, e in payments.items()}
            # The payments of a schedule add up to what it says is paid.
            for e in schedules:
                assert sum((p.amount for p in payments.values() if p.schedule_id == e.schedule_id), Decimal(0)) == e.amount_paid
            seen += len(schedules)
    assert seen > 0


def identifier(event) -> str:
    if isinstance(event, ContributionPayerRecorded):
        return event.payer_id
    return event.schedule_id if isinstance(event, ContributionScheduled) else event.payment_id


def expected_status(schedule, today: date) -> str:
    if schedule.amount_paid >= schedule.amount_due:
        return "Réglée"
    if schedule.due_date >= today:
        return "À venir" if not schedule.amount_paid else "Partiellement réglée"
    return "Partiellement réglée" if schedule.amount_paid else "Impayée"


async def all_pages(platform, auth, **params) -> list[dict]:
    items, page = [], 1
    while True:
        answer = await platform.gateway.get("/api/employer/employees", params={**params, "page": page, "page_size": 10}, headers=auth)
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        if page * 10 >= answer.json()["total"]:
            return items
        page += 1


@pytest.mark.parametrize("dependants", [False, True])
async def test_the_list_of_a_period_and_its_download_hold_the_rows_the_events_imply(platform, company, dependants):
    oracle, mine, _contract, _member, accounts = company
    end = today_in_france()
    start = end - timedelta(days=90)
    params = {"start": start.isoformat(), "end": end.isoformat(), "dependants": str(dependants).lower()}
    listed = await all_pages(platform, accounts["primary"], **params)
    expected = persons(oracle.during(oracle.of(mine), start, end), dependants)
    assert Counter((r["membership_id"], r["name"], r["type"], r["birth_date"]) for r in listed) == expected
    assert len(listed) > 10  # several pages
    download = await platform.gateway.get(
        "/api/employer/exports/employees", params={**params, "format": "csv"}, headers=accounts["primary"]
    )
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))[1:]
    assert [(r[2], r[4], r[5]) for r in rows] == [(i["membership_id"], i["name"], i["type"]) for i in listed]


async def test_every_route_is_refused_to_whoever_may_not_see_the_company(platform, company):
    _oracle, _mine, contract, member, accounts = company
    number, group = contract.contract_number, member.insured_group.value
    period = {"start": (today_in_france() - timedelta(days=30)).isoformat(), "end": today_in_france().isoformat()}
    routes = [
        (f"/api/employer/contracts/{number}/groups/{group}/sheet", {}),
        (f"/api/employer/contracts/{number}/groups/{group}/contributions", {}),
        ("/api/employer/employees/search", {"last_name": member.primary.last_name, "contract_number": number, "insured_group": group}),
        (f"/api/employer/employees/{member.membership_id}", {}),
        ("/api/employer/employees", {**period, "contract_number": number, "insured_group": group, "page_size": 500}),
        ("/api/employer/exports/employees", {**period, "contract_number": number, "insured_group": group, "format": "csv"}),
    ]

    async def call(path: str, params: dict, who: str | None = None):
        headers = accounts[who] if who else None
        if path.endswith("/search"):  # criteria in the body
            return await platform.gateway.post(path, json=params, headers=headers)
        return await platform.gateway.get(path, params=params, headers=headers)

    for path, params in routes:
        assert (await call(path, params)).status_code == 401, path
        for who in ("broker", "member"):
            assert (await call(path, params, who)).status_code == 403, (path, who)
        for who in ("theirs", "other group", "other group of the contract", "other category"):
            refused = await call(path, params, who)
            assert refused.status_code == 404, (path, who, refused.text)
            assert member.membership_id not in refused.text and member.primary.last_name.upper() not in refused.text.upper()
        mine = await call(path, params, "primary")
        assert mine.status_code == 200, (path, mine.text)
        assert "sheet" in path or "contributions" in path or member.membership_id in mine.text
    # The selector: those who may not see the contract's group are not offered it.
    for who in ("theirs", "other group", "other group of the contract", "other category"):
        selector = (await platform.gateway.get("/api/employer/contracts", headers=accounts[who])).json()
        assert (number, group) not in {(k["contract_number"], g["code"]) for k in selector["contracts"] for g in k["insured_groups"]}
    for who in ("broker", "member"):
        assert (await platform.gateway.get("/api/employer/contracts", headers=accounts[who])).status_code == 403
    # Portfolio itself refuses a token the gateway would have refused (not only the gateway).
    direct = await platform.portfolio_client.get(
        f"/internal/employer/employees/{member.membership_id}", headers={**accounts["theirs"], **GATEWAY_HEADERS}
    )
    assert direct.status_code == 404 and member.membership_id not in direct.text


async def test_the_primary_correspondent_grants_a_group_of_a_contract_which_the_secondary_reads_alone(platform, company):
    """Through the gateway: the grant made at identity, then the secondary's token as identity issues it, read by portfolio."""
    _oracle, mine, contract, member, accounts = company
    number, group = contract.contract_number, member.insured_group.value
    other_group = next(g.value for g in contract.insured_groups if g.value != group)
    new = {"identifier": f"paie.{mine}", "last_name": "Morel", "first_name": "Inès", "email": f"ines.morel.{mine}@example.org"}
    wrong = await platform.gateway.post(
        "/api/me/correspondents", json={**new, "contracts": [number], "contract_groups": {number: ["Z"]}}, headers=accounts["primary"]
    )
    assert wrong.status_code == 422
    made = await platform.gateway.post(
        "/api/me/correspondents",
        json={**new, "contracts": [number], "contract_groups": {number: [other_group]}},
        headers=accounts["primary"],
    )
    assert made.status_code == 201, made.text
    listed = (await platform.gateway.get("/api/me/correspondents", headers=accounts["primary"])).json()
    assert {c["identifier"]: c["contract_groups"] for c in listed}[f"paie.{mine}"] == {number: [other_group]}
    secondary = accounts["other group of the contract"]
    selector = (await platform.gateway.get("/api/employer/contracts", headers=secondary)).json()
    assert [(k["contract_number"], [g["code"] for g in k["insured_groups"]]) for k in selector["contracts"]] == [(number, [other_group])]
    sheet = await platform.gateway.get(f"/api/employer/contracts/{number}/groups/{other_group}/sheet", headers=secondary)
    assert sheet.status_code == 200 and sheet.json()["group"]["code"] == other_group
