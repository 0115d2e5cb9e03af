"""Benchmark: the employer portal's read routes through the gateway, against the gateway's trivial endpoint.

The same bench as `broker_routes.py` (whose processes, data loading, wrk runs and plans it uses), for
a company correspondent: identity, portfolio and gateway started the way `make run` does, on free
ports, with schemas (`bench_employer_<size>`, `..._identity`) and topics (`benchemployer<size>.`) of
their own. In one run:
  - loads a data set (`legacy-simulator publish --size <size>`) unless `--reuse` finds it loaded;
  - takes the company with the most employees covered today and logs in its primary correspondent
    (`identity-admin create-correspondent-login`, terms accepted): every contract and group;
  - runs wrk (`--connections` 64) on the gateway's `/health/live`, then on the search of an employee by
    name (a last name of the company) and by NIR (one of its employees', read back from the published
    events: the read model keeps only its digest), and on a 500-employee page of the period's list;
    the same on the portfolio service directly;
  - downloads the period's list with the dependants as Excel (20,000 rows or more on the bench set)
    through the gateway, and samples the resident memory of the gateway and portfolio processes while
    it streams: before, peak, after;
  - writes EXPLAIN (ANALYZE, BUFFERS) of every query behind the routes to
    `.stack/bench/employer_routes-<size>-plans.txt`.
Not a test: it never fails on a figure.

    .venv/bin/python bench/employer_routes.py [--size bench|demo|small] [--reuse] [--duration 15] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
import broker_routes as bench
from aiokafka import AIOKafkaConsumer

from devstack import keys
from devstack.config import Layout, find_root
from devstack.infra import ensure_infra
from extranet_plumbing.auth import CorrespondentScope
from extranet_plumbing.kafka import client_kwargs
from extranet_plumbing.settings import KafkaSettings
from portfolio.adapters.employer import Employer
from portfolio.domain.employer import EmployeeListing, EmployeeSearch, NirDigest, Selection
from portfolio.domain.listing import Page
from portfolio.domain.periods import today_in_france

TENANT, PASSWORD = bench.TENANT, bench.PASSWORD
say = bench.say


def employer_marker(layout: Layout, size: str) -> Path:
    return layout.stack / "bench" / f"employer_routes-{size}-loaded.json"


def employer_stack(root: Path, infra, size: str) -> bench.Stack:
    """broker_routes' stack under names of its own: a loaded broker bench set is neither used nor disturbed."""
    stack = bench.build_stack(root, infra, size)
    stack.schema, stack.identity_schema, stack.prefix = f"bench_employer_{size}", f"bench_employer_{size}_identity", f"benchemployer{size}."
    stack.env["EXTRANET_TOPIC_PREFIX"] = stack.prefix
    for process, service in stack.services.items():
        service.name = f"employer-routes-{size}-{process}"
        if "EXTRANET_DB_SCHEMA" in service.env:
            service.env["EXTRANET_DB_SCHEMA"] = stack.identity_schema if process == "identity-service" else stack.schema
    return stack


# --- what the routes are asked for --------------------------------------------------------------------


@dataclass
class Subject:
    company_code: str
    covered: int  # employees covered today
    contracts: int
    last_name: str
    last_name_found: int
    period: tuple[date, date]
    list_rows: int  # the period's list with the dependants
    nir: str = ""


async def choose(infra, schema: str, today: date) -> Subject:
    """The company with the most employees covered today, its most frequent last name, and a period (the
    years since the 1st of January four years ago) whose list with the dependants is the export measured."""
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": f"{schema},public"})
    try:
        company = await conn.fetchrow(
            """SELECT company_code, count(*) AS n, count(DISTINCT contract_number) AS contracts FROM memberships
               WHERE tenant = $1 AND start_date <= $2 AND (end_date IS NULL OR end_date >= $2) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""",
            TENANT,
            today,
        )
        name = await conn.fetchrow(
            """SELECT last_name, count(*) AS n FROM memberships WHERE tenant = $1 AND company_code = $2
                 AND start_date <= $3 AND (end_date IS NULL OR end_date >= $3) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""",
            TENANT,
            company["company_code"],
            today,
        )
        start = date(today.year - 4, 1, 1)  # the longest period a list may cover is 5 years
        rows = await conn.fetchval(
            """SELECT coalesce(sum(beneficiaries), 0) FROM memberships WHERE tenant = $1 AND company_code = $2
                 AND start_date IS NOT NULL AND start_date <= $4 AND (end_date IS NULL OR end_date >= $3)""",
            TENANT,
            company["company_code"],
            start,
            today,
        )
    finally:
        await conn.close()
    return Subject(company["company_code"], company["n"], company["contracts"], name["last_name"], name["n"], (start, today), rows)


async def an_employees_nir(infra, stack: bench.Stack, subject: Subject, today: date) -> str:
    """The NIR of one of the company's employees covered today, read back from the published affiliations
    (the read model keeps only its digest). Kept in memory: never printed."""
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": f"{stack.schema},public"})
    try:
        covered = {
            r[0]
            for r in await conn.fetch(
                """SELECT membership_id FROM memberships WHERE tenant = $1 AND company_code = $2 AND nir_digest IS NOT NULL
                     AND start_date <= $3 AND (end_date IS NULL OR end_date >= $3)""",
                TENANT,
                subject.company_code,
                today,
            )
        }
    finally:
        await conn.close()
    settings = KafkaSettings(**{k.removeprefix("EXTRANET_").lower(): v for k, v in infra.kafka_env().items()})
    consumer = AIOKafkaConsumer(
        f"{stack.prefix}legacy.memberships", **client_kwargs(settings), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    if dict(record.headers).get("ce_type") != b"MemberAffiliated":
                        continue
                    event = json.loads(record.value)
                    if event.get("company_code") == subject.company_code and event.get("membership_id") in covered:
                        return event["primary"]["nir"]
    finally:
        await consumer.stop()
    raise RuntimeError("no affiliation of the company found on the memberships stream")


def correspondent_token(stack: bench.Stack, company_code: str) -> str:
    """The primary correspondent's access token (terms accepted), as bench.gateway_token does for a broker."""
    gateway = stack.url("gateway-service")
    status, body = bench.http(
        "POST", f"{gateway}/api/auth/login", {"portal": "employer", "identifier": f"C{company_code}", "password": PASSWORD}
    )
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"login refused ({status}): {body}")
    token = body["access_token"]
    if body.get("terms_pending"):
        auth = {"authorization": f"Bearer {token}"}
        _, terms = bench.http("GET", f"{gateway}/api/auth/terms", headers=auth)
        status, body = bench.http("POST", f"{gateway}/api/auth/terms/accept", {"version": terms["version"]}, headers=auth)
        if status != 200:
            raise RuntimeError(f"terms not accepted ({status}): {body}")
        token = body["access_token"]
    return token


# --- wrk with a body --------------------------------------------------------------------------------


def wrk_script(directory: Path, name: str, body: dict | None) -> Path:
    """bench.WRK_SCRIPT, posting `body` as JSON when there is one (the search's criteria are a body)."""
    script = directory / f"{name}.lua"
    posted = ""
    if body is not None:
        posted = f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\nwrk.headers["Content-Type"] = "application/json"\n'
    script.write_text(posted + bench.WRK_SCRIPT)
    script.chmod(0o600)
    return script


@contextlib.contextmanager
def profiled(args, prefix: Path, pids: dict[str, list[int]]) -> Iterator[None]:
    """With --profile: py-spy samples the gateway and portfolio processes while the measure runs (collapsed stacks,
    `<prefix>-<process>.txt`); the samples cost those processes a little CPU."""
    spies = []
    if args.profile:
        spy = str(Path(sys.executable).parent / "py-spy")
        for name in ("gateway", "portfolio"):
            out = f"{prefix}-{name}.txt"
            duration = str(args.duration + args.warmup + 2)
            command = [spy, "record", "--format", "raw", "--rate", "200", "-d", duration, "-p", str(pids[name][0]), "-o", out]
            spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        yield
    finally:
        for spy in spies:
            spy.wait()


# --- the export and its memory -------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Download:
    rows: int
    size: int
    seconds: float
    first_byte_s: float
    rss: dict[str, tuple[int, int, int]]  # process: (before, peak, after) KiB


def download(url: str, token: str, pids: dict[str, int]) -> Download:
    """Downloads the file while a thread samples the processes' resident memory every 20 ms; the rows
    counted by reading the workbook back (openpyxl, read-only)."""
    from openpyxl import load_workbook

    before = {name: rss_kib(pid) for name, pid in pids.items()}
    peak = dict(before)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, pid in pids.items():
                peak[name] = max(peak[name], rss_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    body = io.BytesIO()
    request = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=600) as response:
        first = response.read(65536)
        first_byte = time.monotonic() - started
        body.write(first)
        while chunk := response.read(65536):
            body.write(chunk)
    seconds = time.monotonic() - started
    stop.set()
    sampler.join()
    after = {name: rss_kib(pid) for name, pid in pids.items()}
    body.seek(0)
    sheet = load_workbook(body, read_only=True).worksheets[0]
    rows = sum(1 for row in sheet.iter_rows(values_only=True) if row and row[2])  # rows with a membership number (titles excepted)
    return Download(rows - 1, body.getbuffer().nbytes, seconds, first_byte, {n: (before[n], peak[n], after[n]) for n in pids})


# --- the plans ---------------------------------------------------------------------------------------


async def plans(infra, schema: str, subject: Subject, today: date, path: Path, digest: NirDigest) -> None:
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": f"{schema},public"})
    out: list[str] = []
    scope = CorrespondentScope(subject.company_code)
    listing = EmployeeListing.checked(*subject.period, True)
    try:
        for _ in range(2):  # the second run's plans: caches warm, as under load
            out.clear()
            async with conn.transaction():
                employer = Employer(bench.Explaining(conn, out))
                out += ["", "=" * 100, "== what the correspondent sees (every route)"]
                visible = await employer.visible(TENANT, scope)
                out += ["", "=" * 100, f"== POST /api/employer/employees/search  (last name, {subject.last_name_found} found)"]
                await employer.search(visible, Selection(), EmployeeSearch(today, subject.last_name), Page(1, 20))
                out += ["", "=" * 100, "== POST /api/employer/employees/search  (NIR and key)"]
                await employer.search(visible, Selection(), EmployeeSearch(today, nir_digest=digest(subject.nir)), Page(1, 20))
                out += ["", "=" * 100, "== GET /api/employer/employees?page_size=500  (with dependants)"]
                await employer.employees(visible, Selection(), listing, Page(1, 500))
    finally:
        await conn.close()
    path.write_text("\n".join(out).lstrip() + "\n")


def search_digest(stack: bench.Stack) -> NirDigest:
    """The portfolio service's NIR digest, from its environment (the plans search by the same digest)."""
    from portfolio.bootstrap import nir_digest_of
    from portfolio.settings import PortfolioSettings

    saved = dict(os.environ)
    os.environ.update({**stack.env, **stack.services["portfolio-service"].env})
    try:
        return nir_digest_of(PortfolioSettings())
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- the run ------------------------------------------------------------------------------------------


async def main(infra) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "demo", "bench"), default="bench", help="legacy-simulator preset (default: bench)")
    bench.route_arguments(parser)
    parser.add_argument(
        "--no-direct", dest="direct", action="store_false", help="skip the routes measured on the portfolio service directly"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy samples the gateway and portfolio during each route (.stack/bench/)")
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same arguments
    if shutil.which("wrk") is None:
        print("[bench] wrk is missing: `make setup` installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = find_root(Path(__file__))
    stack = employer_stack(root, infra, args.size)
    bench.marker_path = employer_marker  # bench.loaded_before reads this bench's marker
    out_dir = stack.layout.stack / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    today = today_in_france()
    scripts = Path(tempfile.mkdtemp())
    try:
        loaded = await bench.loaded_before(stack, infra, args.size) if args.reuse else None
        if loaded is None:
            await bench.drop_everything(infra, stack)
            employer_marker(stack.layout, args.size).unlink(missing_ok=True)
        else:
            await bench.check_migrations(infra, stack.schema, Path(sys.modules["portfolio"].__file__).parent / "migrations")
        stack.start("portfolio-service")
        if loaded is None:
            say(
                f"loading the {args.size} data set (legacy-simulator publish --size {args.size} --seed {bench.SEED}, topics {stack.prefix}*)"
            )
            started = time.monotonic()
            published = bench.publish(stack, infra, args.size)
            published_in = time.monotonic() - started
            say(f"  published {published} events in {published_in:.0f}s; waiting for the read model")
            applied_in = bench.wait_applied(stack, published)
            total = time.monotonic() - started
            say(f"  loaded in {total:.0f}s ({published / total:.0f} events/s end to end)")
            conn = await asyncpg.connect(infra.database_url)
            try:
                await conn.execute(f"ANALYZE {stack.schema}.memberships")
            finally:
                await conn.close()
            loaded = {
                "published": published,
                "publish_s": round(published_in),
                "load_s": round(total),
                "applied_after_s": round(applied_in),
            }
            loaded["loaded_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            await bench.skip_legacy_history(infra, stack.prefix)
            if args.reuse:
                employer_marker(stack.layout, args.size).write_text(json.dumps(loaded, indent=2) + "\n")
        else:
            say(f"reusing the {args.size} data set loaded {loaded['loaded_at']} ({loaded['published']} events)")
        stack.start("identity-service")
        stack.start("gateway-service")
        subject = await choose(infra, stack.schema, today)
        subject.nir = await an_employees_nir(infra, stack, subject, today)
        identity_env = {**stack.env, **stack.services["identity-service"].env, "EXTRANET_NEW_PASSWORD": PASSWORD}
        admin = [str(stack.layout.venv_bin / "identity-admin"), "create-correspondent-login", "--tenant", TENANT]
        subprocess.run([*admin, "--company-code", subject.company_code], env=identity_env, check=True, capture_output=True)
        say(
            f"company {subject.company_code}: {subject.covered} employees covered today on {subject.contracts} contracts; last name "
            f"'{subject.last_name}' ({subject.last_name_found} found); the list of {subject.period[0]} to {subject.period[1]} with "
            f"dependants: {subject.list_rows} rows"
        )
        plans_path = out_dir / f"employer_routes-{args.size}-plans.txt"
        await plans(infra, stack.schema, subject, today, plans_path, search_digest(stack))

        start, end = subject.period
        by_name = {"last_name": subject.last_name, "page_size": 20}
        by_nir = {"nir": subject.nir[:13], "nir_key": subject.nir[13:], "page_size": 20}
        page = urllib.parse.urlencode({"start": start.isoformat(), "end": end.isoformat(), "dependants": "true", "page_size": 500})
        routes = [  # label, gateway path, portfolio path, body
            ("search by name", "/api/employer/employees/search", "/internal/employer/employees/search", by_name),
            ("search by NIR", "/api/employer/employees/search", "/internal/employer/employees/search", by_nir),
            ("list, a 500-row page", f"/api/employer/employees?{page}", f"/internal/employer/employees?{page}", None),
        ]
        gateway, portfolio = stack.url("gateway-service"), stack.url("portfolio-service")
        token = correspondent_token(stack, subject.company_code)
        for label, path, _, body in routes:  # every route answers 200, and finds someone, before it is measured
            status, answer = bench.http("POST" if body else "GET", gateway + path, body, headers={"authorization": f"Bearer {token}"})
            if status != 200 or not answer.get("total"):
                raise RuntimeError(f"{label} answered {status}: {str(answer)[:300]}")
        pids = {name: [stack.sup.services[stack.services[f"{name}-service"].name].pid] for name in ("gateway", "portfolio", "identity")}
        say(f"wrk: {args.connections} connections, {args.threads} threads, {args.duration}s per route after {args.warmup}s of warm-up")
        pids["postgres"] = await bench.backend_pids(infra, stack.schema)
        plain = wrk_script(scripts, "plain", None)
        results = [bench.wrk(args, plain, "gateway /health/live (baseline)", f"{gateway}/health/live", {}, pids)]
        for i, (label, path, _, body) in enumerate(routes):
            auth = {"Authorization": f"Bearer {correspondent_token(stack, subject.company_code)}"}  # an access token lives 10 minutes
            pids["postgres"] = await bench.backend_pids(infra, stack.schema)
            with profiled(args, out_dir / f"employer_routes-profile-{i}", pids):
                results.append(bench.wrk(args, wrk_script(scripts, f"g{i}", body), f"gateway {label}", gateway + path, auth, pids))
        if args.direct:
            credential = {"X-Service-Credential": keys.credential(stack.layout, keys.GATEWAY)}
            results.append(bench.wrk(args, plain, "portfolio /health/live", f"{portfolio}/health/live", {}, pids))
            for i, (label, _, path, body) in enumerate(routes):
                auth = {"Authorization": f"Bearer {correspondent_token(stack, subject.company_code)}", **credential}
                pids["postgres"] = await bench.backend_pids(infra, stack.schema)
                results.append(bench.wrk(args, wrk_script(scripts, f"p{i}", body), f"portfolio {label}", portfolio + path, auth, pids))
        bench.settle(pids)
        export = urllib.parse.urlencode({"start": start.isoformat(), "end": end.isoformat(), "dependants": "true", "format": "xlsx"})
        token = correspondent_token(stack, subject.company_code)
        processes = {name: pids[name][0] for name in ("gateway", "portfolio")}
        downloaded = download(f"{gateway}/api/employer/exports/employees?{export}", token, processes)
        report(args, subject, loaded, results, downloaded, plans_path)
        return 0
    finally:
        shutil.rmtree(scripts, ignore_errors=True)  # the NIR's script
        stack.sup.stop_all()
        if not args.reuse:
            await bench.drop_everything(infra, stack)
        infra.stop()


def report(args, subject: Subject, loaded: dict, results: list[bench.Measure], downloaded: Download, plans_path: Path) -> None:
    print()
    print(
        f"data set: --size {args.size} ({loaded['published']} events); company {subject.company_code}: {subject.covered} employees covered"
    )
    bench.table(results, ["gateway", "portfolio", "identity", "postgres"])
    print(f"ratio: requests/s over the gateway's /health/live in the same run (goal: >= 0.5 with p99 <= 50 ms); plans: {plans_path}")
    print(
        f"Excel export through the gateway: {downloaded.rows} rows, {downloaded.size / 1e6:.1f} MB in {downloaded.seconds:.1f}s "
        f"(first bytes after {downloaded.first_byte_s:.2f}s); resident memory (MiB) before / peak / after:"
    )
    for name, (before, peak, after) in downloaded.rss.items():
        print(f"  {name:<10} {before / 1024:7.1f} {peak / 1024:7.1f} {after / 1024:7.1f}   (peak - before: {(peak - before) / 1024:+.1f})")


if __name__ == "__main__":
    sys.exit(asyncio.run(main(ensure_infra(find_root(Path(__file__))))))
