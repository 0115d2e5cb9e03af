"""Benchmark: the member portal's routes through the gateway, against the gateway's trivial endpoint; and how
long the claims service takes to load the reimbursements, against a bare aiokafka consumer on the same topics.

Starts its own identity, claims and gateway processes the way `make run` does (devstack's Supervisor,
deploy/services.toml), on free ports, with their own schemas (`bench_member_<size>`, `..._identity`) and
topic prefix (`benchmember<size>.`): a running `make run` or test is not disturbed. Every process acts on
Kafka as the super user (the services' principals have ACLs on the unprefixed topics only).

Then, in one run:
  - publishes the reimbursements and households' files of the bench set (`legacy-simulator publish --size
    bench --acts N --claims-years 3 --streams legacy.claims,legacy.households`: 10 M acts over 3 years for
    its 1 M insured; a smaller `--acts` takes as many insured per act, 100,000 insured for the default
    1 M acts), timed;
  - reads them with a bare aiokafka consumer in batches of 500 (the baseline of issue 9), timed;
  - starts claims and times its two consumer groups (the read model; the "new document online" email)
    until their committed offsets reach the end of the topics;
  - logs in the member of the household with the most payments (`identity.entrypoints.admin.set_login`,
    then `POST /api/auth/login` and the terms with the health data consent) and runs wrk (64 connections,
    2 threads) on the gateway's `/health/live` and on each route: home (last three), the list searched by
    beneficiary and period (a page), a payment's detail, its statement (PDF), the contract, the
    beneficiaries; then the same on the claims service directly;
  - prints requests/s, p50, p99, errors, CPU per request of each process, the ratio to `/health/live`,
    the statement's pages and time per page, and writes EXPLAIN (ANALYZE, BUFFERS) of every query behind
    the routes to `.stack/bench/member_routes-<size>-plans.txt`.
Not a test: it never fails on a figure.

    .venv/bin/python bench/member_routes.py [--acts 1000000] [--reuse] [--duration 15] [--connections 64] [--no-direct]

`--reuse` keeps what was loaded (schemas, topics, `.stack/bench/member_routes-<size>-loaded.json`) and uses
it again next time; without it everything is dropped at the end. `--acts 10000000` is the issue's bench
set (see bench/README.md for how long it takes on the 2-core machine).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import asyncpg
import broker_routes
import pypdf
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from broker_routes import (
    WRK_SCRIPT,
    Explaining,
    Measure,
    Stack,
    backend_pids,
    check_migrations,
    drop_everything,
    http,
    say,
    wrk,
)
from portfolio_ingest import BASELINE_BATCH, baseline

from claims.adapters.households import Households
from claims.adapters.reimbursements import Reimbursements
from claims.domain.households import Online
from claims.domain.search import LATEST, Page, Search
from claims.service_layer.handlers import READ_MODEL_GROUP, handlers
from claims.settings import ClaimsSettings
from claims.tenancy import claims_tenant
from devstack import keys
from devstack.config import Layout, find_root
from devstack.infra import ensure_infra
from extranet_plumbing.consumer import topics_of
from extranet_plumbing.kafka import client_kwargs
from portfolio.domain.periods import today_in_france

TENANT, SEED, PASSWORD = "mbtp", "2026", "Adherent-Bench-2026!"
STARTED = ("identity-service", "claims-service", "gateway-service")
STREAMS = "legacy.claims,legacy.households"
BENCH_ACTS, BENCH_INSURED = 10_000_000, 1_000_000  # the bench set: 10 M acts over 3 years for its 1 M insured
DEFAULT_ACTS = 1_000_000


def size_label(acts: int) -> str:
    return f"{acts // 1_000_000}m" if acts % 1_000_000 == 0 else f"{acts // 1000}k"


def simulator_args(acts: int) -> list[str]:
    """The bench set (1 M insured) for 10 M acts; a smaller one with as many acts per household below."""
    counts = []
    if acts < BENCH_ACTS:
        insured = max(1_000, acts * BENCH_INSURED // BENCH_ACTS)
        counts = ["--insured", str(insured), "--companies", str(max(10, insured // 100))]
    return ["--size", "bench", *counts, "--seed", SEED, "--acts", str(acts), "--claims-years", "3", "--streams", STREAMS]


# --- the processes ------------------------------------------------------------------------------------


def build_stack(root: Path, infra, label: str) -> Stack:
    return broker_routes.build_stack(root, infra, label, bench="member", started=STARTED, data_service="claims-service")


# --- the data set and its loading ---------------------------------------------------------------------


def marker_path(layout: Layout, label: str) -> Path:
    return layout.stack / "bench" / f"member_routes-{label}-loaded.json"


async def loaded_before(stack: Stack, infra, label: str) -> dict | None:
    marker = marker_path(stack.layout, label)
    if not marker.is_file():
        return None
    conn = await asyncpg.connect(infra.database_url)
    try:
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{stack.schema}.payments")
    finally:
        await conn.close()
    return json.loads(marker.read_text()) if exists else None


def publish(stack: Stack, infra, acts: int) -> dict:
    cmd = [str(stack.layout.venv_bin / "legacy-simulator"), "publish", *simulator_args(acts), "--tenant", TENANT]
    cmd += ["--topic-prefix", stack.prefix, "--no-progress"]
    out = subprocess.run(cmd, env={**stack.env, **infra.kafka_env()}, check=True, capture_output=True, text=True).stdout
    for line in reversed(out.splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    raise RuntimeError(f"legacy-simulator printed no published count:\n{out[-2000:]}")


class Lags:
    """Records of the topics each consumer group has not committed yet (the end offsets less the committed ones)."""

    def __init__(self, infra, topics: list[str]) -> None:
        self.admin = AIOKafkaAdminClient(**client_kwargs(infra.kafka_bootstrap))
        self.consumer = AIOKafkaConsumer(**client_kwargs(infra.kafka_bootstrap), enable_auto_commit=False)
        self.topics = topics

    async def __aenter__(self) -> Lags:
        await self.admin.start()
        await self.consumer.start()
        described = await self.admin.describe_topics(self.topics)
        self.partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
        if not self.partitions:
            raise RuntimeError(f"no partition found for {self.topics}")
        return self

    async def __aexit__(self, *exc) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def of(self, group: str, topics: list[str]) -> int:
        partitions = [tp for tp in self.partitions if tp.topic in topics]
        ends = await self.consumer.end_offsets(partitions)
        committed = await self.admin.list_consumer_group_offsets(group, partitions=partitions)
        return sum(end - max(0, committed[tp].offset if tp in committed else 0) for tp, end in ends.items())


async def wait_consumed(stack: Stack, infra, groups: dict[str, list[str]], started: float) -> dict[str, float]:
    """Seconds from `started` until each group has committed every record of its topics."""
    done: dict[str, float] = {}
    last = time.monotonic()
    async with Lags(infra, sorted({t for topics in groups.values() for t in topics})) as lags:
        while len(done) < len(groups):
            if died := stack.sup.dead():
                raise stack.sup.died_error(*died)
            left = {group: await lags.of(group, topics) for group, topics in groups.items() if group not in done}
            for group, lag in left.items():
                if lag == 0:
                    done[group] = time.monotonic() - started
                    say(f"  {group}: every event applied after {done[group]:.0f}s")
            if time.monotonic() - last > 60:
                say("  left to apply: " + ", ".join(f"{g} {n:,}" for g, n in left.items()))
                last = time.monotonic()
            await asyncio.sleep(2)
    return done


async def load(args, stack: Stack, infra) -> dict:
    """Publish, read with the bare consumer, then let claims apply it all: each timed."""
    settings = ClaimsSettings(topic_prefix=stack.prefix)
    topics = topics_of(handlers(datetime.now), settings)
    say(f"publishing: legacy-simulator publish {' '.join(simulator_args(args.acts))} (topics {stack.prefix}*)")
    started = time.monotonic()
    published = publish(stack, infra, args.acts)
    publish_s = time.monotonic() - started
    events = published["published"]
    say(f"  published {events:,} events in {publish_s:.0f}s ({events / publish_s:,.0f}/s): {published['by_type']}")
    base = await baseline(infra.kafka_bootstrap, topics, events)
    say(f"  bare aiokafka consumer, batches of {BASELINE_BATCH}: {base:,.0f} events/s")
    groups = {settings.group_id(READ_MODEL_GROUP): topics}  # the read model's group also announces new statements
    started = time.monotonic()
    stack.start("claims-service")
    consumed = await wait_consumed(stack, infra, groups, started)
    (read_model,) = groups
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"ANALYZE {stack.schema}.payments")  # as autovacuum would, in time
        counted = await conn.fetchrow(f"SELECT count(*) AS payments, sum(act_count) AS acts FROM {stack.schema}.payments")
    finally:
        await conn.close()
    return {
        "published": events,
        "by_type": published["by_type"],
        "payments": counted["payments"],
        "acts": int(counted["acts"] or 0),
        "publish_s": round(publish_s),
        "baseline_per_s": round(base),
        "read_model_s": round(consumed[read_model]),
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


# --- what the routes are asked for ----------------------------------------------------------------------


@dataclass
class Subject:
    member_number: str
    payments: int
    beneficiary: str
    beneficiary_payments: int
    start: date
    end: date
    reference: str
    reference_acts: int


async def choose(infra, schema: str, today: date) -> Subject:
    """The household with the most payments (and a contract), its most reimbursed beneficiary, the last
    twelve months, and its newest payment of the most acts (its statement is online)."""
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": f"{schema},public"})
    try:
        member = await conn.fetchrow(
            """SELECT p.member_number, count(*) AS n FROM payments p
               JOIN member_contracts c USING (tenant, member_number) JOIN household_beneficiaries b USING (tenant, member_number)
               WHERE p.tenant = $1 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""",
            TENANT,
        )
        m = member["member_number"]
        beneficiary = await conn.fetchrow(
            """SELECT b, count(*) AS n FROM payments, unnest(beneficiary_ids) b WHERE tenant = $1 AND member_number = $2
               GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""",
            TENANT,
            m,
        )
        payment = await conn.fetchrow(
            """SELECT reference, act_count FROM payments WHERE tenant = $1 AND member_number = $2
               ORDER BY paid_on DESC, act_count DESC, reference DESC LIMIT 1""",
            TENANT,
            m,
        )
    finally:
        await conn.close()
    return Subject(
        m, member["n"], beneficiary["b"], beneficiary["n"], today - timedelta(days=365), today, payment["reference"], payment["act_count"]
    )


def set_member_login(stack: Stack, member_number: str) -> None:
    """An active member account for the household (as activation would leave it), made by identity's own code."""
    code = (
        "import asyncio, os; from identity.entrypoints.admin import set_login; from identity.settings import IdentitySettings; "
        "m = os.environ['BENCH_MEMBER']; asyncio.run(set_login(IdentitySettings(), tenant=os.environ['BENCH_TENANT'], kind='member', "
        "identifier=m, password=os.environ['BENCH_PASSWORD'], scope={'member_number': m}))"
    )
    env = {**stack.env, **stack.services["identity-service"].env, "BENCH_MEMBER": member_number, "BENCH_TENANT": TENANT}
    subprocess.run([sys.executable, "-c", code], env={**env, "BENCH_PASSWORD": PASSWORD}, check=True, capture_output=True)


def member_token(stack: Stack, member_number: str) -> str:
    gateway = stack.url("gateway-service")
    status, body = http("POST", f"{gateway}/api/auth/login", {"portal": "member", "identifier": member_number, "password": PASSWORD})
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"login refused ({status}): {body}")
    token = body["access_token"]
    if body.get("terms_pending"):
        auth = {"authorization": f"Bearer {token}"}
        _, terms = http("GET", f"{gateway}/api/auth/terms", headers=auth)
        accept = {"version": terms["version"], "health_data_consent": True}
        status, body = http("POST", f"{gateway}/api/auth/terms/accept", accept, headers=auth)
        if status != 200:
            raise RuntimeError(f"terms not accepted ({status}): {body}")
        token = body["access_token"]
    return token


def fetch(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def routes(subject: Subject) -> list[tuple[str, str, str]]:
    """(label, gateway path, claims path) of each route measured."""
    m, query = subject.member_number, urllib.parse.urlencode({"beneficiary": subject.beneficiary, "from": subject.start, "to": subject.end})
    own = f"/internal/members/{m}"
    return [
        ("home (last three)", "/api/member/reimbursements/latest", f"{own}/reimbursements/latest"),
        ("list (beneficiary, 12 months, page 1)", f"/api/member/reimbursements?{query}", f"{own}/reimbursements?{query}"),
        ("payment detail", f"/api/member/reimbursements/{subject.reference}", f"{own}/reimbursements/{subject.reference}"),
        ("statement PDF", f"/api/member/statements/{subject.reference}", f"{own}/statements/{subject.reference}"),
        ("contract", "/api/member/contract", f"{own}/contract"),
        ("beneficiaries", "/api/member/beneficiaries", f"{own}/beneficiaries"),
    ]


async def plans(infra, schema: str, subject: Subject, path: Path) -> None:
    """Each route's queries as its repository runs them, each after its EXPLAIN (the second time: caches warm)."""
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": f"{schema},public"})
    out: list[str] = []
    m, search = subject.member_number, Search(beneficiary=subject.beneficiary, start=subject.start, end=subject.end)
    try:
        for _ in range(2):
            out.clear()
            async with conn.transaction():
                explaining = Explaining(conn, out)
                reimbursements, households = Reimbursements(explaining), Households(explaining)
                out += ["", "=" * 100, "== home: last three"]
                await reimbursements.latest(TENANT, m, LATEST)
                out += ["", "=" * 100, "== list: search by beneficiary and period, page 1"]
                await reimbursements.search(TENANT, m, search, Page(1, 10))
                await reimbursements.beneficiaries(TENANT, m)
                out += ["", "=" * 100, "== payment detail"]
                await reimbursements.payment(TENANT, m, subject.reference)
                out += ["", "=" * 100, "== statement PDF"]
                online = Online.rule(await households.paperless(TENANT, m), subject.end, claims_tenant(TENANT))
                await reimbursements.online_payment(TENANT, m, subject.reference, online)
                out += ["", "=" * 100, "== contract, beneficiaries"]
                await households.contract(TENANT, m)
                await households.beneficiaries(TENANT, m)
    finally:
        await conn.close()
    path.write_text("\n".join(out).lstrip() + "\n")


# --- the run ------------------------------------------------------------------------------------------


async def main(infra) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acts", type=int, default=DEFAULT_ACTS, help=f"reimbursed acts over 3 years (bench set: {BENCH_ACTS:,})")
    broker_routes.route_arguments(parser)
    parser.add_argument("--no-direct", dest="direct", action="store_false", help="skip the routes measured on the claims service directly")
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same arguments
    if shutil.which("wrk") is None:
        print("[bench] wrk is missing: `make setup` installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the processes started are stopped on the way out
    os.environ.update(infra.kafka_env())  # every Kafka client here acts as the super user (its topics have a prefix)
    label = size_label(args.acts)
    stack = build_stack(find_root(Path(__file__)), infra, label)
    out_dir = stack.layout.stack / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    today = today_in_france()
    try:
        loaded = await loaded_before(stack, infra, label) if args.reuse else None
        if loaded is None:
            await drop_everything(infra, stack)
            marker_path(stack.layout, label).unlink(missing_ok=True)
            loaded = await load(args, stack, infra)
            if args.reuse:
                marker_path(stack.layout, label).write_text(json.dumps(loaded, indent=2) + "\n")
        else:
            await check_migrations(infra, stack.schema, Path(sys.modules["claims"].__file__).parent / "migrations")
            say(f"reusing the data set loaded {loaded['loaded_at']} ({loaded['published']:,} events, {loaded['acts']:,} acts)")
            stack.start("claims-service")
        stack.start("identity-service")
        stack.start("gateway-service")
        subject = await choose(infra, stack.schema, today)
        set_member_login(stack, subject.member_number)
        say(
            f"household with the most payments: {subject.payments} payments; beneficiary {subject.beneficiary} "
            f"({subject.beneficiary_payments}); payment {subject.reference} ({subject.reference_acts} acts)"
        )
        plans_path = out_dir / f"member_routes-{label}-plans.txt"
        await plans(infra, stack.schema, subject, plans_path)

        gateway, claims = stack.url("gateway-service"), stack.url("claims-service")
        token = member_token(stack, subject.member_number)
        pages = 0
        for name, path, _ in routes(subject):  # every route answers 200 before it is measured
            status, body = fetch(gateway + path, token)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body[:500]!r}")
            if name == "statement PDF":
                pages = len(pypdf.PdfReader(io.BytesIO(body)).pages)
        script = Path(tempfile.mkdtemp()) / "summary.lua"
        script.write_text(WRK_SCRIPT)
        pids = {name: [stack.sup.services[stack.services[f"{name}-service"].name].pid] for name in ("gateway", "claims", "identity")}
        say(f"wrk: {args.connections} connections, {args.threads} threads, {args.duration}s per route after {args.warmup}s of warm-up")
        pids["postgres"] = await backend_pids(infra, stack.schema)
        results = [wrk(args, script, "gateway /health/live (baseline)", f"{gateway}/health/live", {}, pids)]
        for name, path, _ in routes(subject):
            token = member_token(stack, subject.member_number)  # an access token lives 10 minutes
            pids["postgres"] = await backend_pids(infra, stack.schema)
            results.append(wrk(args, script, f"gateway {name}", gateway + path, {"Authorization": f"Bearer {token}"}, pids))
        if args.direct:
            credential = {"X-Service-Credential": keys.credential(stack.layout, keys.GATEWAY)}
            results.append(wrk(args, script, "claims /health/live", f"{claims}/health/live", {}, pids))
            for name, _, path in routes(subject):
                headers = {"Authorization": f"Bearer {member_token(stack, subject.member_number)}", **credential}
                pids["postgres"] = await backend_pids(infra, stack.schema)
                results.append(wrk(args, script, f"claims {name}", claims + path, headers, pids))
        report(args, loaded, subject, results, pages, plans_path)
        return 0
    finally:
        stack.sup.stop_all()
        if not args.reuse:
            await drop_everything(infra, stack)
        infra.stop()


def report(args, loaded: dict, subject: Subject, results: list[Measure], pages: int, plans_path: Path) -> None:
    print()
    print(
        f"data set: {loaded['published']:,} events ({loaded['payments']:,} payments, {loaded['acts']:,} acts over 3 years); published in "
        f"{loaded['publish_s']}s; bare aiokafka {loaded['baseline_per_s']:,}/s; claims read model applied it all in "
        f"{loaded['read_model_s']}s ({loaded['published'] / max(loaded['read_model_s'], 1):,.0f}/s, ratio "
        f"{loaded['published'] / max(loaded['read_model_s'], 1) / loaded['baseline_per_s']:.3f}), new statements announced in the same group"
    )
    print(
        f"member: {subject.payments} payments; {args.connections} connections, {args.threads} wrk threads, {args.duration}s each, "
        f"{os.cpu_count()} cores shared by wrk and every process"
    )
    broker_routes.table(results, ["gateway", "claims", "identity", "postgres"], width=52)
    statement = next((m for m in results if m.label == "gateway statement PDF"), None)
    if statement and pages:
        print(
            f"statement PDF: {pages} page(s); claims CPU {statement.cpu_ms.get('claims', 0.0) / pages:.2f} ms a page, "
            f"p50 {statement.p50_ms / pages:.1f} ms a page under load"
        )
    print(f"ratio: requests/s over the gateway's /health/live in the same run (goal: >= 0.5 with p99 <= 50 ms); plans: {plans_path}")


if __name__ == "__main__":
    # Outside the event loop: starting the infrastructure may set up Kafka's users with a loop of its own.
    sys.exit(asyncio.run(main(ensure_infra(find_root(Path(__file__))))))
