"""extranet-ops on the claims and portfolio services, real Kafka and PostgreSQL: a rebuild refused while
the service's consumer runs, then, the service stopped, the same read model again from offset zero under
a new epoch; reconciliation against the legacy topics: no difference, then one once a row is deleted."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date

import asyncpg

from claims.bootstrap import bootstrap
from claims.service_layer.handlers import READ_MODEL_GROUP
from claims.settings import ClaimsSettings
from extranet_contracts.testing import company_registered, contract_signed, member_affiliated, member_radiated, reimbursement_paid
from extranet_plumbing.testing import publish_event, wait_until
from portfolio.bootstrap import bootstrap as portfolio_bootstrap
from portfolio.service_layer.handlers import READ_MODEL_GROUP as PORTFOLIO_GROUP
from portfolio.settings import PortfolioSettings

PAYMENTS = 12
CORRECTED = date(2026, 9, 18)  # a correction of one payment (revision 5)


async def ops(service_env, infra, *args: str) -> tuple[int, list[str], str]:
    """Run `extranet-ops` as an operator would, on the test's topics and schema."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "extranet_plumbing.ops", "--bootstrap", infra.kafka_bootstrap, *args,
        "--schema", service_env["db_schema"], "--topic-prefix", service_env["topic_prefix"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "EXTRANET_DATABASE_URL": infra.database_url},
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode, out.decode().splitlines(), err.decode()


async def snapshot(pool) -> list[dict]:
    rows = await pool.fetch("SELECT * FROM payments ORDER BY tenant, reference")
    return [dict(row) for row in rows]


async def test_rebuild_from_offset_zero_and_reconcile_against_the_legacy_topic(service_env, infra, kafka_producer):
    topic = service_env["topic_prefix"] + "legacy.claims"
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": service_env["db_schema"]})
    try:
        service = bootstrap(ClaimsSettings(**service_env))
        async with service.running():
            for n in range(PAYMENTS):
                await publish_event(kafka_producer, topic, reimbursement_paid(reference=f"355{n:05d}", revision=1 + n % 2))
            await publish_event(kafka_producer, topic, reimbursement_paid(reference="35500003", revision=5, paid_on=CORRECTED))

            async def all_paid() -> bool:
                return (
                    await conn.fetchval("SELECT count(*) FROM payments") == PAYMENTS
                    and await conn.fetchval("SELECT paid_on FROM payments WHERE reference = '35500003'") == CORRECTED
                )

            await wait_until(all_paid)
            before = await snapshot(conn)
            epoch = await conn.fetchval("SELECT epoch FROM read_model_version")

            code, _, err = await ops(service_env, infra, "rebuild", "claims")
            assert code == 2 and "stop the service first" in err  # its consumer is connected
            assert await snapshot(conn) == before

        code, lines, err = await ops(service_env, infra, "reconcile", "claims")
        assert code == 0, err
        assert json.loads(lines[0]) == {"table": "payments", "read_model": PAYMENTS, "legacy": PAYMENTS, "difference": 0}

        code, lines, err = await ops(service_env, infra, "rebuild", "claims")
        assert code == 0, err
        assert json.loads(lines[0])["inbox_rows_forgotten"] == PAYMENTS + 1
        assert await conn.fetchval("SELECT count(*) FROM payments") == 0
        assert await conn.fetchval("SELECT epoch FROM read_model_version") != epoch  # kept answers are dropped

        service = bootstrap(ClaimsSettings(**service_env))
        async with service.running():
            await wait_until(all_paid)
            group = service.group_id(READ_MODEL_GROUP)
            await wait_until(lambda: conn.fetchval("SELECT count(*) = $2 FROM inbox WHERE consumer_group = $1", group, PAYMENTS + 1))
            assert await snapshot(conn) == before  # the same read model, the correction included

        await conn.execute("DELETE FROM payments WHERE reference = '35500007'")
        code, lines, _ = await ops(service_env, infra, "reconcile", "claims")
        assert code == 1
        assert json.loads(lines[0]) == {"table": "payments", "read_model": PAYMENTS - 1, "legacy": PAYMENTS, "difference": -1}
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {service_env['db_schema']} CASCADE")
        await conn.close()


async def test_portfolio_rebuilt_from_offset_zero_reconciles_companies_contracts_and_memberships(service_env, infra, kafka_producer):
    prefix = service_env["topic_prefix"]
    events = [("legacy.companies", company_registered(company_code=f"1234567{n}")) for n in range(3)]
    events += [("legacy.contracts", contract_signed(contract_number=f"W1-00012{n}", company_code=f"1234567{n}")) for n in range(3)]
    events += [("legacy.memberships", member_affiliated(membership_id=f"ADH-000004{n}", member_number=f"7300004{n}")) for n in range(4)]
    # A termination of an affiliation not received yet: a membership of its own in both counts.
    events.append(("legacy.memberships", member_radiated(membership_id="ADH-0000049", member_number="73000049")))
    wanted = {"companies": 3, "contracts": 3, "memberships": 5}
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": service_env["db_schema"]})

    async def counts() -> dict[str, int]:
        return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in wanted}

    async def everything_applied() -> bool:
        return await counts() == wanted

    try:
        service = portfolio_bootstrap(PortfolioSettings(**service_env))
        async with service.running():
            for stream, event in events:
                await publish_event(kafka_producer, prefix + stream, event)
            await wait_until(everything_applied)
            before = {t: [dict(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY 1, 2")] for t in wanted}
            code, _, err = await ops(service_env, infra, "rebuild", "portfolio")
            assert code == 2 and "stop the service first" in err

        code, lines, err = await ops(service_env, infra, "reconcile", "portfolio")
        assert code == 0, err
        assert {(d := json.loads(line))["table"]: (d["read_model"], d["legacy"], d["difference"]) for line in lines} == {
            table: (n, n, 0) for table, n in wanted.items()
        }

        code, _, err = await ops(service_env, infra, "rebuild", "portfolio")
        assert code == 0, err
        assert await counts() == dict.fromkeys(wanted, 0)
        service = portfolio_bootstrap(PortfolioSettings(**service_env))
        async with service.running():
            await wait_until(everything_applied)
            group = service.group_id(PORTFOLIO_GROUP)
            await wait_until(lambda: conn.fetchval("SELECT count(*) = $2 FROM inbox WHERE consumer_group = $1", group, len(events)))
            assert {t: [dict(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY 1, 2")] for t in wanted} == before

        await conn.execute("DELETE FROM contracts WHERE contract_number = 'W1-000121'")
        code, lines, _ = await ops(service_env, infra, "reconcile", "portfolio")
        assert code == 1
        assert [json.loads(line)["difference"] for line in lines] == [0, -1, 0]
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {service_env['db_schema']} CASCADE")
        await conn.close()
