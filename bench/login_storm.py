"""Benchmark: a login storm through the gateway, against the ceiling argon2 sets (cores ÷ verify time).

Starts its own identity, portfolio and gateway processes as `bench/broker_routes.py` does (its
`build_stack`: deploy/services.toml's commands, free ports, schemas `bench_storm_<size>` and
`..._identity`, topic prefix `benchstorm<size>.`), loads a data set (`legacy-simulator publish --size
<size>`) so that the broker dashboard has a portfolio, then in one run:
  - creates `--accounts` broker logins (identity's own `identity-admin` function, `set_login`: the
    password hashed by identity's hasher, the account active), plus the login of the broker with the
    largest portfolio, whose token asks for the dashboard;
  - measures argon2's verify time with identity's own PasswordHasher (`identity.adapters.security`:
    argon2-cffi's defaults, t=3, m=64 MiB, p=4), wall and CPU (its lanes run on threads), here in this
    process while the services are idle; the ceiling is cores ÷ CPU per verify (logins/s);
  - the dashboard alone (`GET /api/broker/dashboard` through the gateway, `--dashboard-connections`):
    its p99 without the storm, the baseline;
  - the storm: wrk on `POST /api/auth/login` through the gateway, `--connections` (64), each request
    the next account's JSON body, while a second wrk asks the dashboard as above, for the same time.
Identity throttles logins per client address (`login_ceiling_per_address`, 3,000 logins, correct ones
included, per 300 s window; failures far sooner): a storm from one address is refused with 429 past
10 logins/s on average. The gateway believes X-Forwarded-For from loopback (EXTRANET_TRUSTED_PROXIES,
uvicorn's proxy headers) and passes the peer's address to identity (X-Client-IP): each account's
requests come from an address of its own (`--addresses`, default one per account; `--addresses 1`:
every login from 127.0.0.1, the storm one office would make). 429s are counted apart from errors.
Not a test: it never fails on a figure.

    .venv/bin/python bench/login_storm.py [--size small] [--accounts 300] [--duration 30] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from broker_routes import (
    PASSWORD,
    TENANT,
    WRK_SCRIPT,
    Measure,
    build_stack,
    choose,
    cpu_seconds,
    drop_everything,
    gateway_token,
    http,
    publish,
    route_arguments,
    say,
    settle,
    skip_legacy_history,
    table,
    wait_applied,
    wrk,
)

from devstack.config import find_root
from devstack.infra import ensure_infra
from identity.adapters.security import _hasher as IDENTITY_HASHER
from identity.entrypoints.admin import set_login
from identity.settings import IdentitySettings
from portfolio.domain.periods import today_in_france

FIRST_CODE = 90000  # storm accounts M90000, M90001, ...: codes the data set's brokers do not use

STORM_SCRIPT = """
threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
init = function(args)
  i = math.random(#bodies) - 1
  throttled = 0
end
request = function()
  i = i % #bodies + 1
  local headers = {["Content-Type"] = "application/json"}
  if addresses[i] ~= "" then headers["X-Forwarded-For"] = addresses[i] end
  return wrk.format("POST", "/api/auth/login", headers, bodies[i])
end
response = function(status, headers, body)
  if status == 429 then throttled = throttled + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local t = 0
  for _, thread in ipairs(threads) do t = t + thread:get("throttled") end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "throttled": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, t))
end
"""


def storm_script(directory: Path, codes: list[str], addresses: int) -> Path:
    bodies = [json.dumps({"portal": "broker", "identifier": code, "password": PASSWORD}) for code in codes]
    # 10.x.y.z, one per account up to `addresses`; "" (no header: the peer, 127.0.0.1) when there is one address.
    peers = ["" if addresses <= 1 else f"10.{(n // 65536) % 256}.{(n // 256) % 256}.{n % 256 or 1}" for n in range(len(codes))]
    peers = [peers[n % max(addresses, 1)] for n in range(len(codes))]
    script = directory / "storm.lua"
    script.write_text(
        "bodies = {\n"
        + ",\n".join(json.dumps(b) for b in bodies)  # a JSON string of ASCII text is a Lua string too
        + "\n}\naddresses = {\n"
        + ",\n".join(json.dumps(p) for p in peers)
        + "\n}\n"
        + STORM_SCRIPT
    )
    return script


def verify_time(rounds: int) -> tuple[float, float]:
    """Wall and CPU seconds of one verify of a correct password with identity's hasher (this process otherwise idle)."""
    stored = IDENTITY_HASHER.hash(PASSWORD)
    IDENTITY_HASHER.verify(stored, PASSWORD)  # warm
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        IDENTITY_HASHER.verify(stored, PASSWORD)
    return (time.perf_counter() - wall) / rounds, (time.process_time() - cpu) / rounds


def measured(label: str, out: str, before: dict[str, float], after: dict[str, float]) -> tuple[Measure, int]:
    result = json.loads(next(line for line in out.splitlines() if line.startswith("WRK_JSON ")).removeprefix("WRK_JSON "))
    errors = result["status"] + result["connect"] + result["read"] + result["write"] + result["timeout"]
    throttled = result.get("throttled", 0)
    requests = max(result["requests"], 1)
    cpu = {name: 1000 * (after[name] - before[name]) / requests for name in before}
    rate = result["requests"] / (result["duration_us"] / 1e6)
    return Measure(label, rate, result["p50_us"] / 1000, result["p99_us"] / 1000, errors - throttled, cpu), throttled


def storm(args, script: Path, dashboard: Path, gateway: str, token: str, pids: dict[str, list[int]]) -> tuple[Measure, int, Measure]:
    """The logins' wrk and the dashboard's, side by side for `--duration` seconds (after `--warmup` of logins alone)."""
    logins = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--timeout", "10s", "-s", str(script)]
    board = ["wrk", "-t1", f"-c{args.dashboard_connections}", "--timeout", "10s", "-s", str(dashboard)]
    board += ["-H", f"Authorization: Bearer {token}"]
    settle(pids)
    if args.warmup:
        subprocess.run([*logins, f"-d{args.warmup}s", gateway], check=True, capture_output=True)
    before = {name: cpu_seconds(p) for name, p in pids.items()}
    first = subprocess.Popen([*logins, f"-d{args.duration}s", gateway], stdout=subprocess.PIPE, text=True)
    second = subprocess.Popen([*board, f"-d{args.duration}s", f"{gateway}/api/broker/dashboard"], stdout=subprocess.PIPE, text=True)
    storm_out, _ = first.communicate()
    board_out, _ = second.communicate()
    after = {name: cpu_seconds(p) for name, p in pids.items()}
    login_measure, throttled = measured(f"POST /api/auth/login, {args.connections} connections", storm_out, before, after)
    board_measure, _ = measured(f"dashboard during the storm, {args.dashboard_connections} conn.", board_out, before, after)
    board_measure.cpu_ms = {}  # the processes' CPU went to the logins: counted on theirs
    return login_measure, throttled, board_measure


async def create_logins(infra, stack, codes: list[str]) -> None:
    """identity-admin's create-broker-login for each code, in this process (a process each would take a second more)."""
    settings = IdentitySettings(database_url=infra.database_url, db_schema=stack.identity_schema)
    pending = list(codes)

    async def worker() -> None:
        while pending:
            code = pending.pop()
            await set_login(settings, tenant=TENANT, kind="broker", identifier=code, password=PASSWORD, scope={"broker_code": code})

    await asyncio.gather(*(worker() for _ in range(2)))


async def main(infra) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "demo", "bench"), default="small", help="legacy-simulator preset (default: small)")
    route_arguments(parser)
    parser.set_defaults(duration=30)  # 64 logins queued behind argon2 take seconds each: a short run measures the queue
    parser.add_argument("--accounts", type=int, default=300, help="broker logins the storm cycles through (default: 300)")
    parser.add_argument("--addresses", type=int, default=0, help="client addresses presented (default: one per account; 1: none)")
    parser.add_argument("--dashboard-connections", type=int, default=4, help="the dashboard's wrk connections (default: 4)")
    parser.add_argument("--verify-rounds", type=int, default=20, help="verifies timed for the ceiling (default: 20)")
    args, _ = parser.parse_known_args()
    args.addresses = args.addresses or args.accounts
    if shutil.which("wrk") is None:
        print("[bench] wrk is missing: `make setup` installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the processes started are stopped on the way out
    root = find_root(Path(__file__))
    stack = build_stack(root, infra, args.size, bench="storm")
    try:
        await drop_everything(infra, stack)
        stack.start("portfolio-service")
        say(f"loading the {args.size} data set (topics {stack.prefix}*)")
        started = time.monotonic()
        published = publish(stack, infra, args.size)
        wait_applied(stack, published)
        say(f"  {published} events loaded in {time.monotonic() - started:.0f}s")
        await skip_legacy_history(infra, stack.prefix)
        stack.start("identity-service")
        stack.start("gateway-service")
        subject = await choose(infra, stack.schema, today_in_france())
        codes = [f"M{FIRST_CODE + n}" for n in range(args.accounts)]
        started = time.monotonic()
        await create_logins(infra, stack, [subject.broker_code, *codes])
        say(f"{len(codes) + 1} broker logins created in {time.monotonic() - started:.0f}s")
        gateway = stack.url("gateway-service")
        # A storm account logs in (terms pending: the token is issued all the same).
        status, body = http("POST", f"{gateway}/api/auth/login", {"portal": "broker", "identifier": codes[0], "password": PASSWORD})
        if status != 200:
            raise RuntimeError(f"login of {codes[0]} answered {status}: {body}")
        token = gateway_token(stack, subject.broker_code)
        status, body = http("GET", f"{gateway}/api/broker/dashboard", headers={"authorization": f"Bearer {token}"})
        if status != 200:
            raise RuntimeError(f"the dashboard answered {status}: {body}")

        pids = {name: [stack.sup.services[stack.services[f"{name}-service"].name].pid] for name in ("gateway", "identity")}
        settle(pids)
        verify_wall, verify_cpu = verify_time(args.verify_rounds)
        cores = os.cpu_count() or 1
        ceiling = cores / verify_cpu
        say(
            f"argon2 verify (identity's hasher: t={IDENTITY_HASHER.time_cost}, m={IDENTITY_HASHER.memory_cost} KiB, "
            f"p={IDENTITY_HASHER.parallelism}): {1000 * verify_wall:.1f} ms wall, {1000 * verify_cpu:.1f} ms CPU; "
            f"ceiling {cores} cores / {1000 * verify_cpu:.1f} ms = {ceiling:.1f} logins/s"
        )

        directory = Path(tempfile.mkdtemp())
        script = storm_script(directory, codes, args.addresses)
        dashboard = directory / "summary.lua"
        dashboard.write_text(WRK_SCRIPT)
        quiet = argparse.Namespace(**{**vars(args), "connections": args.dashboard_connections, "threads": 1})
        say(f"wrk: {args.duration}s each after {args.warmup}s of warm-up; {args.addresses} client address(es)")
        alone = wrk(
            quiet,
            dashboard,
            f"dashboard alone, {args.dashboard_connections} conn. (baseline)",
            f"{gateway}/api/broker/dashboard",
            {"Authorization": f"Bearer {token}"},
            pids,
        )
        token = gateway_token(stack, subject.broker_code)  # an access token lives 10 minutes
        logins, throttled, during = storm(args, script, dashboard, gateway, token, pids)

        print()
        print(
            f"data set: --size {args.size} ({published} events); {args.accounts} broker logins, {args.addresses} client address(es); "
            f"{args.duration}s; {cores} cores shared by wrk and every process"
        )
        table([alone, during], ["gateway", "identity"], width=48)
        print(f"storm: {logins.label}: CPU ms/login gateway {logins.cpu_ms['gateway']:.1f}, identity {logins.cpu_ms['identity']:.1f}")
        print(f"logins/s {logins.rps:.1f}, p50 {logins.p50_ms:.0f} ms, p99 {logins.p99_ms:.0f} ms, errors {logins.errors}, 429 {throttled}")
        print(f"ceiling: {cores} cores / {1000 * verify_cpu:.1f} ms of CPU per argon2 verify = {ceiling:.1f} logins/s")
        print(f"ratio logins/s / ceiling  {logins.rps / ceiling:.3f}")
        print(f"dashboard p99 {alone.p99_ms:.1f} ms alone, {during.p99_ms:.1f} ms during the storm")
        print(f"ratio dashboard p99 alone / during the storm  {alone.p99_ms / max(during.p99_ms, 0.001):.3f}")
        return 0
    finally:
        stack.sup.stop_all()
        await drop_everything(infra, stack)
        infra.stop()


if __name__ == "__main__":
    # Outside the event loop: starting the infrastructure may set up Kafka's users with a loop of its own.
    sys.exit(asyncio.run(main(ensure_infra(find_root(Path(__file__))))))
