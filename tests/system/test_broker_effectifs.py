"""The broker portal's Effectifs, Productions and Radiations tabs through the gateway, checked against
an independent computation from the events the simulated legacy system published."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import date, timedelta

from extranet_contracts.legacy import CollectiveContractSigned, CompanyRegistered, GuaranteeAttached, MemberAffiliated, MemberRadiated
from portfolio.domain.periods import Month, today_in_france

from .test_broker_dashboard import PASSWORD, loaded, portfolio_on  # noqa: F401 (the fixture)


class Oracle:
    """The portfolio as the events describe it, computed without the read model's SQL."""

    def __init__(self, events) -> None:
        self.events = events
        self.companies = {e.company_code: e for _, e in events if isinstance(e, CompanyRegistered)}
        self.contracts = {e.contract_number: e for _, e in events if isinstance(e, CollectiveContractSigned)}
        self.guarantees = defaultdict(list)
        for _, e in events:
            if isinstance(e, GuaranteeAttached):
                self.guarantees[e.contract_number].append(e)
        facts = defaultdict(dict)
        for _, e in events:
            if isinstance(e, MemberAffiliated | MemberRadiated):
                side = "in" if isinstance(e, MemberAffiliated) else "out"
                if side not in facts[e.membership_id] or facts[e.membership_id][side].revision < e.revision:
                    facts[e.membership_id][side] = e
        self.memberships = [(f["in"], f.get("out")) for f in facts.values() if "in" in f]

    def active(self, day: date):
        return [(a, r) for a, r in self.memberships if a.effective_date <= day and (r is None or r.effective_date >= day)]

    def companies_on(self, broker: str, day: date) -> dict[str, dict]:
        """Per company of the portfolio on `day`: contracts and memberships active that day."""
        mine = portfolio_on(self.events, broker, day) & set(self.companies)
        active = self.active(day)
        return {
            code: {
                "contracts": sum(1 for k in self.contracts.values() if k.company_code == code),
                "memberships": sum(1 for a, _ in active if a.company_code == code),
            }
            for code in mine
        }


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


async def broker_client(platform, broker):
    token = await platform.login(broker, PASSWORD)
    auth = {"authorization": f"Bearer {token}"}

    async def get(path: str, **params):
        response = await platform.gateway.get(path, params=params, headers=auth)
        return response

    return get


async def all_pages(get, path: str, **params) -> list[dict]:
    items, page = [], 1
    while True:
        answer = (await get(path, page=page, page_size=5, **params)).json()
        items += answer["items"]
        if page * 5 >= answer["total"]:
            return items
        page += 1


async def test_effectifs_list_the_portfolio_the_events_imply(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    for broker in brokers:
        get = await broker_client(platform, broker)
        expected = oracle.companies_on(broker, today)
        first = await get("/api/broker/companies")
        assert first.status_code == 200, first.text
        answer = first.json()
        assert answer["totals"] == {
            "companies": len(expected),
            "contracts": sum(c["contracts"] for c in expected.values()),
            "memberships": sum(c["memberships"] for c in expected.values()),
        }
        listed = await all_pages(get, "/api/broker/companies")
        assert {row["company_code"]: {"contracts": row["contracts"], "memberships": row["memberships"]} for row in listed} == expected
        assert [row["legal_name"] for row in listed] == sorted((row["legal_name"] for row in listed), key=fold)
        assert all(row["changed_at"] for row in listed)  # when the legacy system last changed it


async def test_every_column_sorts_and_the_pages_hold_every_row_once(platform, loaded):  # noqa: F811
    events, brokers = loaded
    get = await broker_client(platform, brokers[0])
    everything = await all_pages(get, "/api/broker/companies")
    for column in ("legal_name", "company_code", "siret", "membership_date", "status", "contracts", "memberships"):
        for order in ("asc", "desc"):
            rows = await all_pages(get, "/api/broker/companies", sort=column, order=order)
            assert sorted(r["company_code"] for r in rows) == sorted(r["company_code"] for r in everything)
            values = [fold(r[column]) if column == "legal_name" else r[column] for r in rows]
            assert values == sorted(values, reverse=order == "desc"), (column, order)
    refused = await get("/api/broker/companies", sort="siret; DROP TABLE companies")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "sort"
    assert (await get("/api/broker/companies", page_size=7)).status_code == 422


async def test_search_by_company_and_by_insured(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    broker = brokers[0]
    get = await broker_client(platform, broker)
    mine = oracle.companies_on(broker, today)
    company = oracle.companies[sorted(mine)[0]]
    word = max(company.legal_name.split(), key=len)
    typed = fold(word)[1:].upper()  # any part, without its accents, in capitals
    found = (await get("/api/broker/companies", legal_name=typed)).json()["items"]
    assert company.company_code in {r["company_code"] for r in found}
    assert all(fold(typed) in fold(r["legal_name"]) for r in found)
    assert [r["company_code"] for r in (await get("/api/broker/companies", company_code=company.company_code)).json()["items"]] == [
        company.company_code
    ]
    spaced = " ".join((company.siret[:3], company.siret[3:6], company.siret[6:9], company.siret[9:]))
    assert [r["company_code"] for r in (await get("/api/broker/companies", siret=spaced)).json()["items"]] == [company.company_code]
    wrong_key = company.siret[:-1] + str((int(company.siret[-1]) + 1) % 10)
    refused = await get("/api/broker/companies", siret=wrong_key)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "siret", "in": "query", "message": "Ce numéro de SIRET n'est pas valide : vérifiez sa clé."}
    ]

    # By insured person: their companies, and the persons themselves.
    member, _ = next((a, r) for a, r in oracle.active(today) if a.company_code in mine)
    by_name = (await get("/api/broker/companies", insured_name=fold(member.primary.last_name))).json()["items"]
    assert member.company_code in {r["company_code"] for r in by_name}
    persons = (await get("/api/broker/insured", member_number=member.member_number)).json()
    assert {(p["member_number"], p["company_code"], p["contract_number"]) for p in persons["items"]} == {
        (member.member_number, member.company_code, member.contract_number)
    }
    assert persons["items"][0]["name"] == f"{member.primary.last_name.upper()} {member.primary.first_name}"
    assert (await get("/api/broker/insured")).status_code == 422  # a name or a number is needed


async def test_company_detail_contracts_guarantees_and_insured(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    broker = brokers[0]
    get = await broker_client(platform, broker)
    code = max(oracle.companies_on(broker, today).items(), key=lambda kv: kv[1]["memberships"])[0]
    detail = (await get(f"/api/broker/companies/{code}")).json()
    company = oracle.companies[code]
    assert (detail["legal_name"], detail["siret"], detail["siren"], detail["status"]) == (
        company.legal_name,
        company.siret,
        company.siret[:9],
        "Actif" if company.active else "Résilié",
    )
    assert len(detail["contacts"]) == len(company.contacts)
    active = oracle.active(today)
    for contract in detail["contracts"]:
        number = contract["contract_number"]
        on_contract = [(a, r) for a, r in active if a.contract_number == number]
        assert contract["active_employees"] == len(on_contract)
        assert contract["active_beneficiaries"] == sum(1 + len(a.dependants) for a, _ in on_contract)
        guarantees = await all_pages(get, f"/api/broker/contracts/{number}/guarantees")
        assert sorted((g["name"], g["start_date"]) for g in guarantees) == sorted(
            (g.name, g.start_date.isoformat()) for g in oracle.guarantees[number]
        )
        insured = await all_pages(get, f"/api/broker/contracts/{number}/insured", sort="start_date")
        joined = [(a, r) for a, r in oracle.memberships if a.contract_number == number and a.effective_date <= today]
        assert len(insured) == len(joined)
        assert [i["start_date"] for i in insured] == sorted(i["start_date"] for i in insured)
        statuses = {i["member_number"]: (i["status"], i["end_date"], i["reason"]) for i in insured}
        for a, r in joined:
            ended = r is not None and r.effective_date < today
            expected = ("Résilié" if ended else "Actif", r.effective_date.isoformat() if r else None, r.reason if r else None)
            assert statuses[a.member_number] == expected


async def test_productions_and_radiations_of_a_period(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    month = Month.of(today)
    for broker in brokers:
        get = await broker_client(platform, broker)
        dashboard = (await get("/api/broker/dashboard")).json()
        mine = portfolio_on(events, broker, today)
        for tab, index, moment in (("productions", "entries", "in"), ("radiations", "exits", "out")):
            answer = (await get(f"/api/broker/{tab}")).json()
            assert answer["period"] == {"start": month.first_day.isoformat(), "end": month.last_day.isoformat()}
            # The same count as the dashboard's month, by another route.
            assert answer["totals"]["memberships"] == dashboard[index][0]["count"]
            moved = defaultdict(int)
            for a, r in oracle.memberships:
                fact = a if moment == "in" else r
                if fact is not None and a.company_code in mine and month.first_day <= fact.effective_date <= month.last_day:
                    moved[a.company_code] += 1
            listed = await all_pages(get, f"/api/broker/{tab}")
            assert {r["company_code"]: r["memberships"] for r in listed} == dict(moved)
    # A period chosen by the broker, and one that ends before it starts.
    get = await broker_client(platform, brokers[0])
    start = month.previous().first_day
    answer = (await get("/api/broker/productions", **{"from": start.isoformat(), "to": today.isoformat()})).json()
    assert answer["period"] == {"start": start.isoformat(), "end": today.isoformat()}
    refused = await get("/api/broker/radiations", **{"from": today.isoformat(), "to": start.isoformat()})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "to"


async def test_the_portfolio_as_it_was_on_a_past_date(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle = Oracle(events)
    day = today_in_france() - timedelta(days=45)
    for broker in brokers:
        get = await broker_client(platform, broker)
        listed = await all_pages(get, "/api/broker/companies", as_of=day.isoformat())
        assert {r["company_code"]: {"contracts": r["contracts"], "memberships": r["memberships"]} for r in listed} == oracle.companies_on(
            broker, day
        )
    future = (today_in_france() + timedelta(days=1)).isoformat()
    assert (await get("/api/broker/companies", as_of=future)).status_code == 422


async def test_a_broker_reaches_nothing_outside_their_portfolio(platform, loaded):  # noqa: F811
    events, brokers = loaded
    oracle, today = Oracle(events), today_in_france()
    mine, theirs = brokers[0], brokers[1]
    get = await broker_client(platform, mine)
    foreign = sorted(set(oracle.companies_on(theirs, today)) - portfolio_on(events, mine, today))
    assert foreign
    for code in foreign:
        for path in (f"/api/broker/companies/{code}", f"/api/broker/productions/{code}", f"/api/broker/radiations/{code}"):
            answer = await get(path)
            assert answer.status_code == 404, path
            assert oracle.companies[code].legal_name not in answer.text
        assert (await get("/api/broker/companies", company_code=code)).json()["items"] == []
        for number in (k.contract_number for k in oracle.contracts.values() if k.company_code == code):
            for path in (f"/api/broker/contracts/{number}/insured", f"/api/broker/contracts/{number}/guarantees"):
                assert (await get(path)).status_code == 404, path
    foreign_member = next(a for a, _ in oracle.memberships if a.company_code in foreign)
    assert (await get("/api/broker/insured", member_number=foreign_member.member_number)).json()["items"] == []
