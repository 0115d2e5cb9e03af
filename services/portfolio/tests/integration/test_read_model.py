"""The portfolio read model fed by real Kafka into a real PostgreSQL: duplicates, disorder, revisions."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from extranet_contracts.legacy import CompanyRegistered
from extranet_contracts.testing import company_assigned, company_registered, company_withdrawn, member_affiliated, member_radiated
from extranet_plumbing.testing import publish_event, wait_until
from portfolio.bootstrap import bootstrap
from portfolio.service_layer.handlers import READ_MODEL_GROUP
from portfolio.settings import PortfolioSettings

AFFILIATED = member_affiliated()
RADIATED = member_radiated()


def company(revision: int, legal_name: str) -> CompanyRegistered:
    return company_registered(revision=revision, legal_name=legal_name)


@pytest.fixture
async def portfolio(service_env, infra):
    service = bootstrap(PortfolioSettings(**service_env))
    async with service.running():
        yield service
    await drop_schema(infra, service.schema)


async def drop_schema(infra, schema: str) -> None:
    """Once the service has stopped: its outbox relay reads the schema until then."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await conn.close()


async def applied(runtime) -> int:
    return await runtime.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer_group = $1", runtime.group_id(READ_MODEL_GROUP))


async def membership(runtime) -> dict | None:
    row = await runtime.pool.fetchrow("SELECT * FROM memberships WHERE membership_id = 'ADH-0000042'")
    return dict(row) if row else None


async def test_termination_before_affiliation_ends_in_the_same_state_as_in_order(portfolio, kafka_producer, service_env, infra):
    topic = service_env["topic_prefix"] + "legacy.memberships"
    await publish_event(kafka_producer, topic, RADIATED)
    await wait_until(lambda: membership(portfolio))
    early = await membership(portfolio)
    assert early["end_date"] == date(2026, 10, 31) and early["start_date"] is None  # waiting for its affiliation
    await publish_event(kafka_producer, topic, AFFILIATED)
    await wait_until(lambda: _has_start(portfolio))
    reversed_state = await membership(portfolio)

    # The same two events in order, into a second read model of its own.
    in_order_env = {**service_env, "db_schema": service_env["db_schema"] + "_b", "topic_prefix": service_env["topic_prefix"] + "b."}
    second = bootstrap(PortfolioSettings(**in_order_env))
    async with second.running():
        topic_b = in_order_env["topic_prefix"] + "legacy.memberships"
        await publish_event(kafka_producer, topic_b, AFFILIATED)
        await publish_event(kafka_producer, topic_b, RADIATED)
        await wait_until(lambda: _count_applied(second, 2))
        in_order_state = await membership(second)
    await drop_schema(infra, in_order_env["db_schema"])
    published_at = ("affiliation_changed_at", "exit_changed_at")  # each publication has its own time
    assert {k: v for k, v in reversed_state.items() if k not in published_at} == {
        k: v for k, v in in_order_state.items() if k not in published_at
    }
    assert in_order_state["start_date"] == date(2026, 1, 1) and in_order_state["exit_reason"] == "DEMISSION"
    assert in_order_state["beneficiaries"] == 2


async def _has_start(runtime) -> bool:
    row = await membership(runtime)
    return bool(row and row["start_date"])


async def _count_applied(runtime, n: int) -> bool:
    return await applied(runtime) >= n


async def test_the_same_event_delivered_twice_is_counted_once(portfolio, kafka_producer, service_env):
    topic = service_env["topic_prefix"] + "legacy.memberships"
    envelope = await publish_event(kafka_producer, topic, AFFILIATED)
    await publish_event(kafka_producer, topic, AFFILIATED, envelope=envelope)
    await publish_event(kafka_producer, topic, RADIATED)
    await wait_until(lambda: _count_applied(portfolio, 2))
    assert await portfolio.pool.fetchval("SELECT count(*) FROM memberships") == 1
    assert await applied(portfolio) == 2  # the copy left no trace


async def test_an_older_company_revision_never_overwrites_a_newer_one(portfolio, kafka_producer, service_env):
    topic = service_env["topic_prefix"] + "legacy.companies"
    await publish_event(kafka_producer, topic, company(2, "BTP Rhône Construction SAS"))
    await publish_event(kafka_producer, topic, company(1, "BTP Rhône Construction SARL"))
    await wait_until(lambda: _count_applied(portfolio, 2))
    assert await portfolio.pool.fetchval("SELECT legal_name FROM companies") == "BTP Rhône Construction SAS"


async def dashboard(runtime, as_of: date) -> dict:
    async with runtime.unit_of_work() as uow:
        return await uow.dashboards.broker_dashboard("mbtp", "M12345", as_of)


async def test_a_movement_dated_in_the_future_counts_from_its_date_only(portfolio, kafka_producer, service_env):
    brokers = service_env["topic_prefix"] + "legacy.brokers"
    await publish_event(kafka_producer, brokers, company_assigned(company_code="12345678", assigned_on=date(2026, 1, 1)))
    await publish_event(kafka_producer, brokers, company_withdrawn(company_code="12345678", withdrawn_on=date(2026, 12, 31)))
    await publish_event(kafka_producer, brokers, company_assigned(company_code="87654321", assigned_on=date(2027, 1, 1)))
    await publish_event(kafka_producer, brokers, company_assigned(company_code="11223344", assigned_on=date(2026, 3, 1)))
    await publish_event(kafka_producer, brokers, company_withdrawn(company_code="11223344", withdrawn_on=date(2026, 6, 1)))
    await publish_event(kafka_producer, brokers, company_assigned(company_code="11223344", assigned_on=date(2026, 9, 1)))
    await wait_until(lambda: _count_applied(portfolio, 6))
    companies = {day: (await dashboard(portfolio, day))["portfolio"]["companies"] for day in (date(2026, 7, 1), date(2026, 11, 30))}
    assert companies == {date(2026, 7, 1): 1, date(2026, 11, 30): 2}  # the withdrawal of 31 December has not happened yet
    assert (await dashboard(portfolio, date(2026, 12, 31)))["portfolio"]["companies"] == 1  # withdrawn that day, back in September
    assert (await dashboard(portfolio, date(2027, 1, 2)))["portfolio"]["companies"] == 2  # the January assignment


async def test_a_stale_affiliation_received_after_its_correction_changes_nothing(portfolio, kafka_producer, service_env):
    topic = service_env["topic_prefix"] + "legacy.memberships"
    corrected = member_affiliated(revision=2, effective_date=date(2026, 2, 1), insured_group="P")
    await publish_event(kafka_producer, topic, corrected)
    await publish_event(kafka_producer, topic, member_radiated(revision=3))
    await publish_event(kafka_producer, topic, AFFILIATED)  # revision 1, redelivered late
    await publish_event(kafka_producer, topic, member_radiated(revision=1, effective_date=date(2026, 5, 31), reason="RETRAITE"))
    await wait_until(lambda: _count_applied(portfolio, 4))
    row = await membership(portfolio)
    assert (row["start_date"], row["insured_group"], row["affiliation_revision"]) == (date(2026, 2, 1), "P", 2)
    assert (row["end_date"], row["exit_reason"], row["exit_revision"]) == (date(2026, 10, 31), "DEMISSION", 3)
    assert row["affiliation_changed_at"] is not None
