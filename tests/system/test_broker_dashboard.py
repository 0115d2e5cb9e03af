"""First slice, end to end: the legacy system publishes on a real Kafka broker, the portfolio
service builds its read model in a real PostgreSQL, and a broker reads the dashboard through the
gateway. The expected figures are computed here, independently, from the published events."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, timedelta

import jwt
import pytest

from extranet_contracts.legacy import (
    BrokerPortfolioCompanyAssigned,
    BrokerPortfolioCompanyWithdrawn,
    CollectiveContractSigned,
    MemberAffiliated,
    MemberRadiated,
)
from extranet_plumbing.testing import GATEWAY_HEADERS, new_jwt_keys, wait_until
from legacy_simulator.generator import generate
from legacy_simulator.publisher import publish
from legacy_simulator.sizes import SizeSpec
from portfolio.domain.periods import Month, today_in_france
from portfolio.service_layer.handlers import READ_MODEL_GROUP

PASSWORD = "Courtier-Test-2026"
SPEC = SizeSpec("custom", brokers=3, companies=12, insured=180, unassigned_share=0.1, transfer_share=0.2)


def portfolio_on(events, broker_code: str, day: date) -> set[str]:
    """The broker's companies on `day`: the last assignment or withdrawal dated by then is an assignment."""
    last: dict[str, tuple[date, int]] = {}
    for _envelope, event in events:
        match event:
            case BrokerPortfolioCompanyAssigned() if event.broker_code == broker_code and event.assigned_on <= day:
                fact = (event.assigned_on, 0)
            case BrokerPortfolioCompanyWithdrawn() if event.broker_code == broker_code and event.withdrawn_on <= day:
                fact = (event.withdrawn_on, 1)  # on the same day, the withdrawal wins
            case _:
                continue
        last[event.company_code] = max(last.get(event.company_code, fact), fact)
    return {company for company, (_day, withdrawn) in last.items() if not withdrawn}


def expected_dashboard(events, broker_code: str, as_of: date) -> dict:
    """What the dashboard must say, derived from the events alone."""
    contracts, memberships = {}, defaultdict(dict)
    for _envelope, event in events:
        match event:
            case CollectiveContractSigned():
                contracts[event.contract_number] = event
            case MemberAffiliated() | MemberRadiated():
                side = "in" if isinstance(event, MemberAffiliated) else "out"
                known = memberships[event.membership_id].get(side)
                if known is None or known.revision < event.revision:
                    memberships[event.membership_id][side] = event
    portfolio = portfolio_on(events, broker_code, as_of)
    current, previous = Month.of(as_of), Month.of(as_of).previous()

    def within(day, month):
        return day is not None and month.first_day <= day <= month.last_day

    protected, entries, exits, reasons = 0, Counter(), Counter(), defaultdict(Counter)
    movements = {"affiliation": [], "radiation": []}
    for membership_id, facts in memberships.items():
        joined, left = facts.get("in"), facts.get("out")
        company = (joined or left).company_code
        if company not in portfolio:
            continue
        start, end = (joined.effective_date if joined else None), (left.effective_date if left else None)
        if start and start <= as_of and (end is None or end >= as_of):
            protected += 1 + len(joined.dependants)
        for month, name in ((current, "current"), (previous, "previous")):
            entries[name] += within(start, month)
            exits[name] += within(end, month)
            if within(end, month):
                reasons[left.reason][name] += 1
        name = f"{joined.primary.last_name.upper()} {joined.primary.first_name}" if joined else None
        product = contracts[(joined or left).contract_number].product.value
        for kind, fact in (("affiliation", joined), ("radiation", left)):
            if fact and fact.recorded_on <= as_of:
                movements[kind].append((kind, fact.recorded_on, fact.effective_date, membership_id, fact.member_number, name, product))
    latest = {}
    for kind, listed in movements.items():
        listed.sort(key=lambda m: (-m[1].toordinal(), -m[2].toordinal(), m[3]))
        latest[kind] = [(k, rec, eff, member, name, product) for k, rec, eff, _id, member, name, product in listed[:5]]
    return {
        "portfolio": {
            "companies": len(portfolio),
            "collective_contracts": sum(1 for c in contracts.values() if c.company_code in portfolio),
            "protected_persons": protected,
        },
        "entries": [entries["current"], entries["previous"]],
        "exits": [exits["current"], exits["previous"]],
        "exits_by_reason": {reason: (c["current"], c["previous"]) for reason, c in reasons.items()},
        "latest_affiliations": latest["affiliation"],
        "latest_radiations": latest["radiation"],
    }


def movements_seen(listed: list[dict]) -> list[tuple]:
    return [
        (
            m["kind"],
            date.fromisoformat(m["recorded_on"]),
            date.fromisoformat(m["effective_date"]),
            m["member_number"],
            m["insured_name"],
            m["product"],
        )
        for m in listed
    ]


def as_seen(dashboard: dict) -> dict:
    return {
        "portfolio": dashboard["portfolio"],
        "entries": [m["count"] for m in dashboard["entries"]],
        "exits": [m["count"] for m in dashboard["exits"]],
        "exits_by_reason": {r["reason"]: (r["current_month"], r["previous_month"]) for r in dashboard["exits_by_reason"]},
        "latest_affiliations": movements_seen(dashboard["latest_affiliations"]),
        "latest_radiations": movements_seen(dashboard["latest_radiations"]),
    }


@pytest.fixture
async def loaded(platform, infra, topic_prefix):
    """The simulated legacy portfolio published on Kafka and fully consumed."""
    today = today_in_france()
    events = list(generate(SPEC, seed=7, tenant="mbtp", today=today))
    published = await publish(iter(events), bootstrap=infra.kafka_bootstrap, topic_prefix=topic_prefix, progress=False)
    assert published == len(events)
    runtime = platform.portfolio
    group = runtime.group_id(READ_MODEL_GROUP)

    async def all_applied() -> bool:
        return await runtime.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer_group = $1", group) == len(events)

    await wait_until(all_applied, timeout=60)
    brokers = sorted({e.broker_code for _, e in events if isinstance(e, BrokerPortfolioCompanyAssigned)})
    for code in brokers:
        await platform.create_broker_login(code, PASSWORD)
    return events, brokers


async def test_each_broker_sees_the_figures_the_events_imply(platform, loaded):
    events, brokers = loaded
    seen = {}
    for code in brokers:
        token = await platform.login(code, PASSWORD)
        response = await platform.gateway.get("/api/broker/dashboard", headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        dashboard = response.json()
        assert dashboard["broker_code"] == code
        as_of = date.fromisoformat(dashboard["as_of"])
        assert as_of == today_in_france()
        assert [m["label"] for m in dashboard["entries"]] == [Month.of(as_of).label, Month.of(as_of).previous().label]
        assert as_seen(dashboard) == expected_dashboard(events, code, as_of)
        seen[code] = dashboard
    # The data set is rich enough for the comparison to mean something.
    assert sum(d["portfolio"]["protected_persons"] for d in seen.values()) > 100
    assert sum(sum(m["count"] for m in d["entries"]) for d in seen.values()) > 0
    assert sum(sum(m["count"] for m in d["exits"]) for d in seen.values()) > 0
    assert max(len(d["latest_affiliations"]) for d in seen.values()) == 5  # each list is capped
    assert max(len(d["latest_radiations"]) for d in seen.values()) == 5


async def test_the_dashboard_of_a_past_month_is_the_portfolio_as_it_was_then(platform, loaded):
    events, brokers = loaded
    previous = Month.of(today_in_france()).previous()
    for code in brokers:
        auth = {"authorization": f"Bearer {await platform.login(code, PASSWORD)}"}
        response = await platform.gateway.get("/api/broker/dashboard", params={"month": previous.key}, headers=auth)
        assert response.status_code == 200, response.text
        dashboard = response.json()
        assert (dashboard["month"], date.fromisoformat(dashboard["as_of"])) == (previous.key, previous.last_day)
        assert as_seen(dashboard) == expected_dashboard(events, code, previous.last_day)
    future = Month.of(today_in_france().replace(day=28) + timedelta(days=7)).key
    refused = await platform.gateway.get("/api/broker/dashboard", params={"month": future}, headers=auth)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "month"
    assert (await platform.gateway.get("/api/broker/dashboard", params={"month": "2026-13"}, headers=auth)).status_code == 422


async def test_a_broker_never_sees_another_brokers_portfolio(platform, loaded, jwt_keys, tmp_path):
    events, brokers = loaded
    mine, theirs = brokers[0], brokers[1]
    token = await platform.login(mine, PASSWORD)
    auth = {"authorization": f"Bearer {token}"}
    dashboard = (await platform.gateway.get("/api/broker/dashboard", headers=auth)).json()
    my_companies = {m["company_code"] for m in dashboard["latest_affiliations"] + dashboard["latest_radiations"]}
    their_companies = {e.company_code for _, e in events if isinstance(e, BrokerPortfolioCompanyAssigned) and e.broker_code == theirs}
    assert my_companies and not my_companies & their_companies

    # Asking the portfolio service directly for the other broker's dashboard with my token.
    response = await platform.portfolio_client.get(f"/internal/brokers/{theirs}/dashboard", headers={**auth, **GATEWAY_HEADERS})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "companies" not in response.text


async def test_no_valid_token_no_data(platform, loaded, jwt_keys, tmp_path):
    _events, brokers = loaded
    code = brokers[0]
    assert (await platform.gateway.get("/api/broker/dashboard")).status_code == 401
    claims = {
        "iss": "extranet-identity",
        "aud": "extranet",
        "sub": f"broker:{code}",
        "typ": "access",
        "kind": "broker",
        "tenant": "mbtp",
        "scope": {"broker_code": code},
        "iat": int(time.time()),
        "terms_ok": True,
    }
    forged = jwt.encode({**claims, "exp": int(time.time()) + 600}, new_jwt_keys(tmp_path).private_pem, algorithm="EdDSA")
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, jwt_keys.private_pem, algorithm="EdDSA")
    member = jwt.encode({**claims, "kind": "member", "exp": int(time.time()) + 600}, jwt_keys.private_pem, algorithm="EdDSA")
    no_terms = jwt.encode({**claims, "terms_ok": False, "exp": int(time.time()) + 600}, jwt_keys.private_pem, algorithm="EdDSA")
    for token, status in (("not-a-jwt", 401), (forged, 401), (expired, 401), (member, 403), (no_terms, 403)):
        response = await platform.gateway.get("/api/broker/dashboard", headers={"authorization": f"Bearer {token}"})
        assert response.status_code == status, token
        assert response.headers["content-type"] == "application/problem+json"
        assert "portfolio" not in response.json()


async def test_login_refuses_a_wrong_password_and_an_unknown_broker_alike(platform, loaded):
    _events, brokers = loaded
    wrong = await platform.gateway.post(
        "/api/auth/login", json={"portal": "broker", "identifier": brokers[0], "password": "Mauvais-Mot-2026"}
    )
    unknown = await platform.gateway.post("/api/auth/login", json={"portal": "broker", "identifier": "M99999", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    missing = await platform.gateway.post("/api/auth/login", json={"identifier": brokers[0]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "password"
