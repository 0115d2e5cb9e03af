"""The gateway gives a relayed read again without asking portfolio while portfolio's read model has not
changed (gateway.kept), and never past a change, to another token, or to a session that ended."""

from __future__ import annotations

import uuid
from datetime import timedelta

from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned, MemberAffiliated
from extranet_plumbing.testing import wait_until
from legacy_simulator.publisher import publish
from portfolio.domain.periods import today_in_france
from tests.system.test_broker_dashboard import PASSWORD, as_seen, expected_dashboard, loaded  # noqa: F401  (loaded: a fixture)
from tests.system.test_employer_company import company  # noqa: F401  (a fixture)

DASHBOARD = "/api/broker/dashboard"
SEARCH = ("portfolio", "POST", "/internal/employer/employees/search")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def asked_portfolio(platform, path: str) -> int:
    return sum(1 for name, method, seen in platform.upstream_calls if name == "portfolio" and method == "GET" and seen == path)


async def read_without_asking_portfolio(platform, auth: dict[str, str], broker_code: str) -> dict:
    """The dashboard, once the gateway gives it without a call to portfolio (its version heard by then)."""
    path = f"/internal/brokers/{broker_code}/dashboard"
    answers = []

    async def kept() -> bool:
        before = asked_portfolio(platform, path)
        response = await platform.gateway.get(DASHBOARD, headers=auth)
        assert response.status_code == 200, response.text
        answers.append(response.json())
        return asked_portfolio(platform, path) == before

    await wait_until(kept, timeout=10, interval=0.05)
    return answers[-1]


async def test_a_kept_answer_is_given_again_until_the_read_model_changes_then_the_new_one(platform, loaded, infra, topic_prefix):  # noqa: F811
    events, brokers = loaded
    code = brokers[0]
    auth = bearer(await platform.login(code, PASSWORD))
    today = today_in_france()
    assert as_seen(await read_without_asking_portfolio(platform, auth, code)) == expected_dashboard(events, code, today)

    # The legacy system affiliates someone today in one of the broker's companies.
    mine = next(e for _, e in events if isinstance(e, BrokerPortfolioCompanyAssigned) and e.broker_code == code)
    envelope, model = next((env, e) for env, e in events if isinstance(e, MemberAffiliated) and e.company_code == mine.company_code)
    joined = model.model_copy(
        update={
            "membership_id": f"K-{uuid.uuid4().hex[:12].upper()}",
            "member_number": f"99{uuid.uuid4().int % 10**6:06d}",
            "effective_date": today,
            "recorded_on": today,
        }
    )
    event = (envelope.model_copy(update={"id": uuid.uuid4(), "key": joined.membership_id}), joined)
    MemberAffiliated.model_validate(joined.model_dump())  # model_copy does not validate
    assert await publish(iter([event]), bootstrap=infra.kafka_bootstrap, topic_prefix=topic_prefix, progress=False) == 1
    expected = expected_dashboard([*events, event], code, today)
    assert expected != expected_dashboard(events, code, today)

    async def shows_it() -> bool:
        response = await platform.gateway.get(DASHBOARD, headers=auth)
        return as_seen(response.json()) == expected

    await wait_until(shows_it, timeout=20, interval=0.05)
    # Kept again, at the new version.
    assert as_seen(await read_without_asking_portfolio(platform, auth, code)) == expected


async def test_a_kept_answer_goes_to_its_token_only_and_not_after_the_session_ended(platform, loaded):  # noqa: F811
    events, brokers = loaded
    mine, theirs = brokers[0], brokers[1]
    token = await platform.login(mine, PASSWORD)
    await read_without_asking_portfolio(platform, bearer(token), mine)

    # Another broker, the same path: their own portfolio, asked of portfolio.
    other = await platform.gateway.get(DASHBOARD, headers=bearer(await platform.login(theirs, PASSWORD)))
    assert other.status_code == 200 and other.json()["broker_code"] == theirs
    assert as_seen(other.json()) == expected_dashboard(events, theirs, today_in_france())
    # A tampered token with the kept answer's path: refused.
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (await platform.gateway.get(DASHBOARD, headers=bearer(tampered))).status_code == 401
    # Another query: not the kept answer.
    month = (today_in_france().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    past = await platform.gateway.get(DASHBOARD, params={"month": month}, headers=bearer(token))
    assert past.status_code == 200 and past.json()["month"] == month

    assert (await platform.gateway.post("/api/auth/logout", headers=bearer(token))).status_code == 204

    async def refused() -> bool:
        return (await platform.gateway.get(DASHBOARD, headers=bearer(token))).status_code == 401

    await wait_until(refused, timeout=5, interval=0.05)


async def test_a_search_sent_as_a_post_is_kept_by_its_criteria_and_for_its_token_only(platform, company):  # noqa: F811
    _oracle, _mine, _contract, member, accounts = company
    nir = member.primary.nir
    criteria = {"nir": nir[:13], "nir_key": nir[13:]}

    def asked() -> int:
        return sum(1 for name, method, path in platform.upstream_calls if (name, method, path) == SEARCH)

    async def found(auth, body) -> list[str]:
        answer = await platform.gateway.post("/api/employer/employees/search", json=body, headers=auth)
        assert answer.status_code == 200, answer.text
        return [r["membership_id"] for r in answer.json()["items"]]

    async def kept() -> bool:
        before = asked()
        assert await found(accounts["primary"], criteria) == [member.membership_id]
        return asked() == before

    await wait_until(kept, timeout=10, interval=0.05)
    # Other criteria, the same token: asked of portfolio.
    before = asked()
    assert member.membership_id in await found(accounts["primary"], {"last_name": member.primary.last_name, "page_size": 500})
    assert asked() == before + 1
    # The same criteria with a secondary correspondent's token outside the member's group: its own answer.
    assert await found(accounts["other group"], criteria) == []
    assert asked() == before + 2
