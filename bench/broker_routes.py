"""Benchmark: the broker portal's read routes through the gateway, against the gateway's trivial endpoint.

Starts its own identity, portfolio and gateway processes the way `make run` does (devstack's
Supervisor, deploy/services.toml's commands and environment, uvicorn), on free ports, with their own
schemas (`bench_broker_<size>`, `..._identity`) and topic prefix (`benchbroker<size>.`), so that a
running `make run` or test is not disturbed. Every process acts on Kafka as the super user: the
services' own principals have ACLs on the unprefixed topics only.

Then, in one run:
  - loads a data set (`legacy-simulator publish --size <size>`, through Kafka into the portfolio read
    model; identity skips the legacy history: its broker login is made by `identity-admin`);
  - logs in the broker with the largest portfolio (`POST /api/auth/login`, terms accepted);
  - runs wrk (Debian's package, C: not the bottleneck; `--connections` 64, `--threads` 2) on the
    gateway's trivial endpoint (`/health/live`: the gateway has no API route that calls no service)
    and on each route: the dashboard, the company search, a company's detail (the broker's largest
    company), a contract's insured (the broker's largest contract); then the same on the portfolio
    service directly (its own `/health/live` and `/internal/...` routes, with the gateway's credential);
  - prints requests/s, p50, p99, errors, CPU per request of each process, and the ratio of each
    route's requests/s to the gateway's trivial endpoint;
  - writes EXPLAIN (ANALYZE, BUFFERS) of every query behind each route (the repositories' own SQL,
    captured as they run it) to `.stack/bench/broker_routes-<size>-plans.txt`.
Not a test: it never fails on a figure. The machine's cores are shared by wrk, the gateway, the
portfolio service and PostgreSQL: the ratio compares the whole chain with one process answering alone.

    .venv/bin/python bench/broker_routes.py [--size bench|demo|small] [--reuse] [--duration 15] [--connections 64]

`--reuse` keeps the loaded schemas and topics after the run and uses them again when they hold the
same data set (loading `bench`, 10,000 companies and 1,000,000 insured, takes tens of minutes: see
bench/README.md). Without it, everything loaded is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from devstack import declaration, keys
from devstack.config import Layout, Ports, find_root
from devstack.infra import ensure_infra
from devstack.run import Service, Supervisor, common_env, resolve
from extranet_plumbing.consumer import topics_of
from extranet_plumbing.kafka import client_kwargs
from extranet_plumbing.settings import KafkaSettings
from identity.settings import IdentitySettings
from portfolio.adapters.dashboards import PORTFOLIO_ON, Dashboards
from portfolio.adapters.effectifs import Effectifs, Scope
from portfolio.domain.listing import Page, Search
from portfolio.domain.periods import today_in_france
from portfolio.service_layer.handlers import READ_MODEL_GROUP

TENANT, SEED, PASSWORD = "mbtp", "2026", "Courtier-Demo-2026"
STARTED = ("identity-service", "portfolio-service", "gateway-service")
PLACEHOLDER_PORTS = 8  # every declared port gets a free one (placeholders), only STARTED listen


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


# --- the processes ----------------------------------------------------------------------------------


@dataclass
class Stack:
    sup: Supervisor
    env: dict[str, str]
    layout: Layout
    services: dict[str, Service]
    schema: str
    identity_schema: str
    prefix: str

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.services[name].port}"

    def start(self, *names: str, timeout: float = 180) -> None:
        group = [self.services[name] for name in names]
        for service in group:
            self.sup.start(service, self.env)
        self.sup.wait_ready(group, timeout)


def build_stack(
    root: Path, infra, label: str, *, bench: str = "broker", started: tuple[str, ...] = STARTED, data_service: str = "portfolio-service"
) -> Stack:
    """The processes `started` of deploy/services.toml, on free ports, with a schema (`bench_<bench>_<label>`: the
    read model of `data_service`, `..._identity`: identity's) and a topic prefix of their own (`bench<bench><label>.`),
    logs and pid files named `<bench>-routes-<label>-<process>` (.stack/logs/): a running `make run` keeps its own."""
    layout = Layout(root)
    keys.ensure_all(layout)
    declared = declaration.load(root)
    ports = Ports(
        kafka=int(infra.kafka_bootstrap.rsplit(":", 1)[1]),
        kafka_controller=free_port(),
        postgres=int(infra.database_url.rsplit(":", 1)[1].split("/", 1)[0]),
        processes={port.name: free_port() for port in declared.ports()},
    )
    schema, prefix = f"bench_{bench}_{label}", f"bench{bench}{label}."
    env = common_env(layout, layout.venv_bin, infra.kafka_bootstrap, infra.database_url, infra.kafka_security_protocol)
    env.update({"EXTRANET_TOPIC_PREFIX": prefix, "EXTRANET_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO")})
    schemas = {"identity-service": f"{schema}_identity", data_service: schema}
    services = {}
    for process in (p for p in declared.start_order() if p.name in started):
        service = resolve(process, layout, ports)
        service.name = f"{bench}-routes-{label}-{process.name}"
        service.env.update(infra.kafka_env())  # the super user: its topics have a prefix
        if process.name in schemas:
            service.env["EXTRANET_DB_SCHEMA"] = schemas[process.name]
        services[process.name] = service
    return Stack(Supervisor(layout, layout.venv_bin), env, layout, services, schema, f"{schema}_identity", prefix)


# --- the data set -----------------------------------------------------------------------------------


def marker_path(layout: Layout, size: str) -> Path:
    return layout.stack / "bench" / f"broker_routes-{size}-loaded.json"


async def loaded_before(stack: Stack, infra, size: str) -> dict | None:
    """What a run with --reuse loaded before, if the schema still holds it."""
    marker = marker_path(stack.layout, size)
    if not marker.is_file():
        return None
    data = json.loads(marker.read_text())
    conn = await asyncpg.connect(infra.database_url)
    try:
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{stack.schema}.memberships")
        if not exists:
            return None
        applied = await conn.fetchval(
            f"SELECT count(*) FROM {stack.schema}.inbox WHERE consumer_group = $1", f"{stack.prefix}{READ_MODEL_GROUP}"
        )
    finally:
        await conn.close()
    return data if applied >= data["published"] else None


async def check_migrations(infra, schema: str, directory: Path) -> None:
    """A reused schema must have been migrated with the files as they are now (the service refuses otherwise)."""
    import hashlib

    conn = await asyncpg.connect(infra.database_url)
    try:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.schema_migrations"):
            return
        done = {r["id"]: r["checksum"] for r in await conn.fetch(f"SELECT id, checksum FROM {schema}.schema_migrations")}
    finally:
        await conn.close()
    for path in sorted(directory.glob("*.sql")):
        migration_id = f"{directory.parent.name}/{path.name}"
        if migration_id in done and done[migration_id] != hashlib.sha256(path.read_bytes()).hexdigest():
            raise SystemExit(f"[bench] {migration_id} changed since {schema} was loaded: run without --reuse (loads it again)")


def simulator_cmd(stack: Stack, command: str, size: str) -> list[str]:
    return [str(stack.layout.venv_bin / "legacy-simulator"), command, "--size", size, "--seed", SEED]


def publish(stack: Stack, infra, size: str) -> int:
    env = {**stack.env, **infra.kafka_env()}
    cmd = [*simulator_cmd(stack, "publish", size), "--tenant", TENANT, "--topic-prefix", stack.prefix, "--no-progress"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    for line in reversed(out.splitlines()):
        try:
            return int(json.loads(line)["published"])
        except (ValueError, KeyError, TypeError):
            continue
    raise RuntimeError(f"legacy-simulator printed no published count:\n{out[-2000:]}")


def wait_applied(stack: Stack, published: int) -> float:
    operator = {"X-Service-Credential": keys.credential(stack.layout, keys.OPERATOR)}
    started, last = time.monotonic(), 0.0
    while True:
        died = stack.sup.dead()
        if died:
            raise stack.sup.died_error(*died)
        status, body = http("GET", f"{stack.url('portfolio-service')}/internal/stats", headers=operator)
        applied = int(body.get("events_applied", 0)) if status == 200 and isinstance(body, dict) else 0
        if applied >= published:
            return time.monotonic() - started
        if time.monotonic() - last > 30:
            say(f"  {applied}/{published} events applied")
            last = time.monotonic()
        time.sleep(1)


async def skip_legacy_history(infra, prefix: str) -> None:
    """Identity's legacy intake starts at the end of the legacy streams: the bench needs one broker
    login (made by identity-admin), not a million member records in identity."""
    settings = KafkaSettings(**{k.removeprefix("EXTRANET_").lower(): v for k, v in infra.kafka_env().items()})
    from identity.service_layer.handlers import LEGACY_INTAKE_GROUP, legacy_handlers

    topics = topics_of(legacy_handlers(None), IdentitySettings(topic_prefix=prefix))
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=f"{prefix}{LEGACY_INTAKE_GROUP}", enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset for tp, offset in ends.items()})
    finally:
        await consumer.stop()


async def drop_everything(infra, stack: Stack) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        for schema in (stack.schema, stack.identity_schema):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()
    settings = KafkaSettings(**{k.removeprefix("EXTRANET_").lower(): v for k, v in infra.kafka_env().items()})
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(stack.prefix)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()


# --- what the routes are asked for --------------------------------------------------------------------


@dataclass
class Subject:
    broker_code: str
    companies: int
    memberships: int
    company_code: str
    company_memberships: int
    contract_number: str
    contract_memberships: int
    search: str
    search_companies: int
    company_codes: list[str]


async def choose(infra, schema: str, today: date) -> Subject:
    """The broker with the largest portfolio today, its largest company and contract, and a search
    by a word of that company's name."""
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": f"{schema},public"})
    try:
        rows = await conn.fetch("SELECT DISTINCT broker_code FROM broker_company_movements WHERE tenant = $1 ORDER BY 1", TENANT)
        best = None
        for row in rows:
            count = await conn.fetchval(f"SELECT count(*) FROM ({PORTFOLIO_ON}) p", TENANT, row["broker_code"], today)
            if best is None or count > best[1]:
                best = (row["broker_code"], count)
        assert best is not None, "no broker in the data set"
        broker, companies = best
        company = await conn.fetchrow(
            f"""SELECT m.company_code, count(*) AS n FROM memberships m
                WHERE m.tenant = $1 AND m.company_code IN ({PORTFOLIO_ON}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""",
            TENANT,
            broker,
            today,
        )
        contract = await conn.fetchrow(
            f"""SELECT m.contract_number, count(*) AS n FROM memberships m
                WHERE m.tenant = $1 AND m.company_code IN ({PORTFOLIO_ON}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""",
            TENANT,
            broker,
            today,
        )
        memberships = await conn.fetchval(
            f"SELECT count(*) FROM memberships WHERE tenant = $1 AND company_code IN ({PORTFOLIO_ON})", TENANT, broker, today
        )
        name = await conn.fetchval(
            "SELECT legal_name FROM companies WHERE tenant = $1 AND company_code = $2", TENANT, company["company_code"]
        )
        words = [w for w in re.findall(r"[^\W\d_]{4,}", name) if w.upper() not in ("SARL", "SASU")] or [name[:4]]
        search = max(words, key=len)[:6].lower()
        found = await conn.fetchval(
            f"""SELECT count(*) FROM companies WHERE tenant = $1 AND company_code IN ({PORTFOLIO_ON})
                AND search_name LIKE '%' || fold($4) || '%'""",
            TENANT,
            broker,
            today,
            search,
        )
        codes = [
            r[0] for r in await conn.fetch(f"SELECT company_code FROM ({PORTFOLIO_ON}) p ORDER BY 1 LIMIT 1000", TENANT, broker, today)
        ]
    finally:
        await conn.close()
    return Subject(
        broker,
        companies,
        memberships,
        company["company_code"],
        company["n"],
        contract["contract_number"],
        contract["n"],
        search,
        found,
        codes,
    )


def gateway_token(stack: Stack, broker_code: str) -> str:
    gateway = stack.url("gateway-service")
    status, body = http("POST", f"{gateway}/api/auth/login", {"portal": "broker", "identifier": broker_code, "password": PASSWORD})
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"login refused ({status}): {body}")
    token = body["access_token"]
    if body.get("terms_pending"):
        auth = {"authorization": f"Bearer {token}"}
        _, terms = http("GET", f"{gateway}/api/auth/terms", headers=auth)
        status, body = http("POST", f"{gateway}/api/auth/terms/accept", {"version": terms["version"]}, headers=auth)
        if status != 200:
            raise RuntimeError(f"terms not accepted ({status}): {body}")
        token = body["access_token"]
    return token


# --- wrk ------------------------------------------------------------------------------------------------

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def rotating_script(directory: Path, paths: list[str]) -> Path:
    """A wrk script asking `paths` in turn (each of wrk's threads from its own start), with WRK_SCRIPT's summary."""
    listed = ",\n".join(json.dumps(p) for p in paths)  # JSON strings of ASCII paths are Lua strings too
    script = directory / f"rotating-{len(paths)}.lua"
    script.write_text(
        f"paths = {{\n{listed}\n}}\ni = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n" + WRK_SCRIPT
    )
    return script


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


async def backend_pids(infra, schema: str) -> list[int]:
    """The PostgreSQL backends of the portfolio service's pool (its application_name is its schema)."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        return [r[0] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE application_name = $1", schema)]
    finally:
        await conn.close()


def settle(pids: dict[str, list[int]], timeout: float = 120.0) -> None:
    """Until the processes are idle: requests a previous measure left queued (wrk gone, the services still
    answering them) must not be counted against the next one."""
    watched = [pid for group in pids.values() for pid in group]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(watched)
        time.sleep(0.5)
        if cpu_seconds(watched) - before < 0.05:
            return
    say("the processes did not settle: the next figures include leftover work")


@dataclass
class Measure:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: dict[str, float]


def wrk(args, script: Path, label: str, url: str, headers: dict[str, str], pids: dict[str, list[int]]) -> Measure:
    base = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--timeout", "10s", "-s", str(script)]
    for name, value in headers.items():
        base += ["-H", f"{name}: {value}"]
    settle(pids)
    if args.warmup:
        subprocess.run([*base, f"-d{args.warmup}s", url], check=True, capture_output=True)
    before = {name: cpu_seconds(p) for name, p in pids.items()}
    out = subprocess.run([*base, f"-d{args.duration}s", url], check=True, capture_output=True, text=True).stdout
    after = {name: cpu_seconds(p) for name, p in pids.items()}
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    errors = result["status"] + result["connect"] + result["read"] + result["write"] + result["timeout"]
    requests = max(result["requests"], 1)
    cpu = {name: 1000 * (after[name] - before[name]) / requests for name in pids}
    return Measure(label, result["requests"] / (result["duration_us"] / 1e6), result["p50_us"] / 1000, result["p99_us"] / 1000, errors, cpu)


# --- the plans ---------------------------------------------------------------------------------------


class Explaining:
    """A connection that runs each query as the repository asks, after writing its EXPLAIN (ANALYZE, BUFFERS)."""

    def __init__(self, conn: asyncpg.Connection, out: list[str]) -> None:
        self._conn, self._out = conn, out

    async def _explain(self, sql: str, args: tuple) -> None:
        rows = await self._conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
        shown = ", ".join(f"${i}={a!r}" for i, a in enumerate(args, 1))
        self._out += ["", "-- " + " ".join(sql.split()), f"-- with {shown}", *(r[0] for r in rows)]

    async def execute(self, sql: str, *args):
        return await self._conn.execute(sql, *args)  # settings (CUSTOM_PLANS): nothing to explain

    async def fetch(self, sql: str, *args):
        await self._explain(sql, args)
        return await self._conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args):
        await self._explain(sql, args)
        return await self._conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args):
        await self._explain(sql, args)
        return await self._conn.fetchval(sql, *args)


async def plans(infra, schema: str, subject: Subject, today: date, path: Path) -> None:
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": f"{schema},public"})
    out: list[str] = []
    try:
        for _ in range(2):  # the second run's plans: caches warm, as under load
            out.clear()
            async with conn.transaction():  # as the unit of work runs them
                await route_plans(conn, out, subject, today)
    finally:
        await conn.close()
    path.write_text("\n".join(out).lstrip() + "\n")


async def route_plans(conn: asyncpg.Connection, out: list[str], subject: Subject, today: date) -> None:
    """Each route's queries, as its repository runs them, each after its plan."""
    scope = Scope(TENANT, subject.broker_code, today)
    out += ["", "=" * 100, f"== GET /api/broker/dashboard  (broker {subject.broker_code})"]
    await Dashboards(Explaining(conn, out)).broker_dashboard(TENANT, subject.broker_code, today)
    out += ["", "=" * 100, f"== GET /api/broker/companies?legal_name={subject.search}"]
    await Effectifs(Explaining(conn, out)).companies(scope, Search.checked(legal_name=subject.search), Page())
    out += ["", "=" * 100, f"== GET /api/broker/companies/{subject.company_code}"]
    await Effectifs(Explaining(conn, out)).company(scope, subject.company_code)
    out += ["", "=" * 100, f"== GET /api/broker/contracts/{subject.contract_number}/insured"]
    effectifs = Effectifs(Explaining(conn, out))
    await effectifs.contract_in_portfolio(scope, subject.contract_number)
    await effectifs.insured(scope, Page(), contract_number=subject.contract_number, search=Search())


# --- the run ------------------------------------------------------------------------------------------


def route_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of every route benchmark (the data kept, wrk's duration, warm-up, connections, threads)."""
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data after the run, and use it again when present")
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per route (default: 15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before each measure (default: 3)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)


def table(results: list[Measure], processes: list[str], width: int = 44) -> None:
    """Requests/s, p50, p99, errors, the ratio to the first row (the baseline) and each process's CPU per request."""
    base = results[0].rps
    header = f"{'route':<{width}}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}   CPU ms/request: " + " ".join(
        f"{n:>9}" for n in processes
    )
    print(header)
    print("-" * len(header))
    for m in results:
        cpu = " ".join(f"{m.cpu_ms.get(n, 0.0):9.3f}" for n in processes)
        print(f"{m.label:<{width}}{m.rps:9.0f}{m.p50_ms:9.1f}{m.p99_ms:9.1f}{m.errors:8d}{m.rps / base:8.3f}   {' ' * 16}{cpu}")


async def main(infra) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "demo", "bench"), default="bench", help="legacy-simulator preset (default: bench)")
    route_arguments(parser)
    parser.add_argument(
        "--no-direct", dest="direct", action="store_false", help="skip the routes measured on the portfolio service directly"
    )
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same arguments
    if shutil.which("wrk") is None:
        print("[bench] wrk is missing: `make setup` installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the processes started are stopped on the way out
    root = find_root(Path(__file__))
    stack = build_stack(root, infra, args.size)
    out_dir = stack.layout.stack / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    today = today_in_france()
    try:
        loaded = await loaded_before(stack, infra, args.size) if args.reuse else None
        if loaded is None:
            await drop_everything(infra, stack)
            marker_path(stack.layout, args.size).unlink(missing_ok=True)
        else:
            await check_migrations(infra, stack.schema, Path(sys.modules["portfolio"].__file__).parent / "migrations")
        started = time.monotonic()
        stack.start("portfolio-service")
        say(f"portfolio service ready ({time.monotonic() - started:.1f}s, schema {stack.schema})")
        if loaded is None:
            say(f"loading the {args.size} data set (legacy-simulator publish --size {args.size} --seed {SEED}, topics {stack.prefix}*)")
            started = time.monotonic()
            published = publish(stack, infra, args.size)
            published_in = time.monotonic() - started
            say(f"  published {published} events in {published_in:.0f}s; waiting for the read model")
            applied_in = wait_applied(stack, published)
            total = time.monotonic() - started
            say(f"  loaded in {total:.0f}s ({published / total:.0f} events/s end to end)")
            conn = await asyncpg.connect(infra.database_url)
            try:
                await conn.execute(f"ANALYZE {stack.schema}.memberships")  # as autovacuum would, in time
            finally:
                await conn.close()
            loaded = {
                "published": published,
                "publish_s": round(published_in),
                "load_s": round(total),
                "applied_after_s": round(applied_in),
            }
            loaded["loaded_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            await skip_legacy_history(infra, stack.prefix)
            if args.reuse:
                marker_path(stack.layout, args.size).write_text(json.dumps(loaded, indent=2) + "\n")
        else:
            say(
                f"reusing the {args.size} data set loaded {loaded['loaded_at']} ({loaded['published']} events, loaded in {loaded['load_s']}s)"
            )
        stack.start("identity-service")
        stack.start("gateway-service")
        subject = await choose(infra, stack.schema, today)
        identity_env = {**stack.env, **stack.services["identity-service"].env, "EXTRANET_NEW_PASSWORD": PASSWORD}
        subprocess.run(
            [
                str(stack.layout.venv_bin / "identity-admin"),
                "create-broker-login",
                "--tenant",
                TENANT,
                "--broker-code",
                subject.broker_code,
            ],
            env=identity_env,
            check=True,
            capture_output=True,
        )
        say(
            f"broker {subject.broker_code}: {subject.companies} companies, {subject.memberships} memberships; company "
            f"{subject.company_code} ({subject.company_memberships} memberships), contract {subject.contract_number} "
            f"({subject.contract_memberships}), search '{subject.search}' ({subject.search_companies} companies)"
        )
        plans_path = out_dir / f"broker_routes-{args.size}-plans.txt"
        await plans(infra, stack.schema, subject, today, plans_path)

        script = Path(tempfile.mkdtemp()) / "summary.lua"
        script.write_text(WRK_SCRIPT)
        pids = {name: [stack.sup.services[stack.services[f"{name}-service"].name].pid] for name in ("gateway", "portfolio", "identity")}
        gateway, portfolio = stack.url("gateway-service"), stack.url("portfolio-service")
        b, search = subject.broker_code, urllib.parse.quote(subject.search)
        routes = [
            ("dashboard", "/api/broker/dashboard", f"/internal/brokers/{b}/dashboard"),
            (
                f"company search ({subject.search})",
                f"/api/broker/companies?legal_name={search}",
                f"/internal/brokers/{b}/companies?legal_name={search}",
            ),
            ("company detail", f"/api/broker/companies/{subject.company_code}", f"/internal/brokers/{b}/companies/{subject.company_code}"),
            (
                "contract insured",
                f"/api/broker/contracts/{subject.contract_number}/insured",
                f"/internal/brokers/{b}/contracts/{subject.contract_number}/insured",
            ),
        ]
        token = gateway_token(stack, b)
        for _, path, _ in routes:  # every route answers 200 before it is measured
            status, body = http("GET", gateway + path, headers={"authorization": f"Bearer {token}"})
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body}")
        say(f"wrk: {args.connections} connections, {args.threads} threads, {args.duration}s per route after {args.warmup}s of warm-up")
        pids["postgres"] = await backend_pids(infra, stack.schema)  # the pool's connections, open since the checks above
        results: list[Measure] = [wrk(args, script, "gateway /health/live (baseline)", f"{gateway}/health/live", {}, pids)]
        for label, path, _ in routes:
            token = gateway_token(stack, b)  # an access token lives 10 minutes
            pids["postgres"] = await backend_pids(infra, stack.schema)
            results.append(wrk(args, script, f"gateway {label}", gateway + path, {"Authorization": f"Bearer {token}"}, pids))
        # Not one request again and again: each company's detail in turn (the first round asks portfolio for each).
        rotating = rotating_script(script.parent, [f"/api/broker/companies/{code}" for code in subject.company_codes])
        token = gateway_token(stack, b)
        pids["postgres"] = await backend_pids(infra, stack.schema)
        label = f"gateway company detail, {len(subject.company_codes)} in turn"
        results.append(wrk(args, rotating, label, gateway + "/", {"Authorization": f"Bearer {token}"}, pids))
        if args.direct:
            credential = {"X-Service-Credential": keys.credential(stack.layout, keys.GATEWAY)}
            results.append(wrk(args, script, "portfolio /health/live", f"{portfolio}/health/live", {}, pids))
            for label, _, path in routes:
                token = gateway_token(stack, b)
                headers = {"Authorization": f"Bearer {token}", **credential}
                pids["postgres"] = await backend_pids(infra, stack.schema)
                results.append(wrk(args, script, f"portfolio {label}", portfolio + path, headers, pids))
        report(args, subject, loaded, results, plans_path)
        return 0
    finally:
        stack.sup.stop_all()
        if not args.reuse:
            await drop_everything(infra, stack)
        infra.stop()


def report(args, subject: Subject, loaded: dict, results: list[Measure], plans_path: Path) -> None:
    print()
    print(
        f"data set: --size {args.size} ({loaded['published']} events); broker {subject.broker_code}: {subject.companies} companies, "
        f"{subject.memberships} memberships; {args.connections} connections, {args.threads} wrk threads, {args.duration}s each, "
        f"{os.cpu_count()} cores shared by wrk and every process"
    )
    table(results, ["gateway", "portfolio", "identity", "postgres"])
    print(f"ratio: requests/s over the gateway's /health/live in the same run (goal: >= 0.5 with p99 <= 50 ms); plans: {plans_path}")


if __name__ == "__main__":
    # Outside the event loop: starting the infrastructure may set up Kafka's users with a loop of its own.
    sys.exit(asyncio.run(main(ensure_infra(find_root(Path(__file__))))))
