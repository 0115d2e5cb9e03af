"""Runs the benchmarks of bench/ in turn (`make bench`) on one infrastructure, then prints their ratios.

Like `make run` and `make test`, it starts what it needs from a cold machine: devstack's ensure_infra
uses the Kafka and PostgreSQL that answer, else starts the embedded ones (or testcontainers' when a
Docker engine answers). Each benchmark is handed that infrastructure (EXTRANET_KAFKA_* and
EXTRANET_DATABASE_URL: it uses them and starts nothing of its own), and what this run started is
stopped at the end, whatever happened. Each benchmark's output is shown as it comes; at the end, a
table of every ratio it printed (to its baseline, measured in the same run), with the date and the
machine of the figures.

    .venv/bin/python bench/run.py [--quick] [--only portfolio_ingest broker_routes ...]
    make bench              # full sizes (tens of minutes to hours: see bench/README.md)
    make bench QUICK=1      # small sizes and short durations: proves the path, not the figures
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "deploy" / "embedded" / "src"))  # devstack, when not installed in the venv yet

from devstack.config import find_root  # noqa: E402
from devstack.infra import ensure_infra  # noqa: E402
from extranet_plumbing.kafka import client_kwargs  # noqa: E402

ROUTES_QUICK = ["--duration", "2", "--warmup", "1", "--connections", "8", "--threads", "1"]


@dataclass(frozen=True)
class Bench:
    name: str
    full: list[str] = field(default_factory=list)  # the arguments of `make bench` (the benchmark's own defaults)
    quick: list[str] = field(default_factory=list)  # small sizes, short durations


BENCHES = [
    Bench("portfolio_ingest", quick=["--insured", "2000", "--companies", "20", "--brokers", "2"]),
    Bench("claims_ingest", quick=["--acts", "10000", "--insured", "1000"]),
    Bench("notifications_throughput", quick=["--emails", "200", "--sms", "100"]),
    Bench("broker_routes", quick=["--size", "small", *ROUTES_QUICK]),
    Bench("member_routes", quick=["--acts", "10000", *ROUTES_QUICK]),
    Bench("employer_routes", quick=["--size", "small", *ROUTES_QUICK]),
    Bench("freshness", quick=["--duration", "5"]),
    Bench("login_storm", quick=["--accounts", "50", "--duration", "5", "--warmup", "1"]),
]

# "ratio email      0.95", "ratio portfolio / baseline        0.123": a label starting with "ratio", a number ending the line.
RATIO_LINE = re.compile(r"^(?P<label>ratio [^:]*?)\s{2,}(?P<ratio>\d+(?:\.\d+)?)\s*$")
# A route table's row (broker_routes.table): label, req/s, p50, p99, errors, ratio, then the CPU columns.
ROUTE_ROW = re.compile(
    r"^(?P<label>\S.*?)\s+(?P<rps>\d+)\s+(?P<p50>\d+\.\d)\s+(?P<p99>\d+\.\d)\s+(?P<errors>\d+)\s+(?P<ratio>\d+\.\d{3})\s{3}"
)


@dataclass
class Ratio:
    bench: str
    label: str
    ratio: str
    detail: str = ""


async def group_coordinator_ready(bootstrap: str, timeout: float = 120) -> None:
    """A broker just started has no __consumer_offsets yet: the first consumer group would wait for it
    (GroupCoordinatorNotAvailable, a few seconds), inside the first benchmark's baseline. Asked here until it answers."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(**client_kwargs(bootstrap))
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                await admin.find_coordinator("bench-run")
                return
            except KafkaError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


def ratios(bench: str, lines: list[str]) -> list[Ratio]:
    """The ratios a benchmark printed: its `ratio ...` lines, and each row of its route tables (with p99 and errors)."""
    found: list[Ratio] = []
    in_table = False
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("route") and "ratio" in line:
            in_table = True
            continue
        if in_table:
            if set(line.strip()) == {"-"}:
                continue
            row = ROUTE_ROW.match(line)
            if row:
                detail = f"{row['rps']} req/s, p99 {row['p99']} ms" + (f", {row['errors']} errors" if row["errors"] != "0" else "")
                found.append(Ratio(bench, row["label"], row["ratio"], detail))
                continue
            in_table = False
        match = RATIO_LINE.match(line)
        if match:
            found.append(Ratio(bench, match["label"], match["ratio"]))
    return found


def machine() -> str:
    """What the figures were measured on: host, processor, cores, memory, Python."""
    model = ""
    try:
        model = next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), ""
        )
    except OSError:
        pass
    memory = ""
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{platform.node()} ({model or platform.machine()}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()})"


def commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.stdout.strip() or "?"


def run_one(bench: Bench, args: list[str], env: dict[str, str]) -> tuple[int, list[str], float]:
    """Runs one benchmark, showing its output as it comes; its exit code, its lines and its duration."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / f"{bench.name}.py"), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        return proc.wait(), lines, time.monotonic() - started
    finally:
        if proc.poll() is None:  # interrupted: the benchmark stops what it started (its SIGTERM handler), then we go on
            proc.terminate()
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def report(results: list[tuple[Bench, int, float]], found: list[Ratio], quick: bool, started: datetime, root: Path, load: str) -> None:
    width = max([len(r.label) for r in found] + [30])
    print()
    print("=" * 100)
    print(
        f"ratios to each benchmark's baseline, measured in the same run ({'--quick: small sizes, short durations' if quick else 'full sizes'})"
    )
    print(f"{'benchmark':<26}{'measure':<{width + 2}}{'ratio':>8}  detail")
    print("-" * (36 + width + 30))
    for bench, code, elapsed in results:
        rows = [r for r in found if r.bench == bench.name]
        if code != 0:
            print(f"{bench.name:<26}{f'failed (exit {code}) after {elapsed:.0f} s':<{width + 2}}{'-':>8}")
        elif not rows:
            print(f"{bench.name:<26}{'no ratio printed':<{width + 2}}{'-':>8}")
        for r in rows:
            print(f"{bench.name:<26}{r.label:<{width + 2}}{r.ratio:>8}  {r.detail}")
    print("-" * (36 + width + 30))
    durations = ", ".join(f"{bench.name} {elapsed:.0f} s" for bench, _, elapsed in results)
    print(f"date: {started:%Y-%m-%d %H:%M} UTC; durations: {durations}")
    print(f"machine: {machine()}")
    print(f"load average at the start: {load}; at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; commit {commit(root)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short durations: proves the path, not the figures")
    names = [b.name for b in BENCHES]
    parser.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=f"run these only, among: {', '.join(names)}")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    # A SIGTERM unwinds like Ctrl-C: the running benchmark is stopped, then the infrastructure started here.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = find_root(HERE)
    started, load = datetime.now(UTC), " ".join(f"{x:.1f}" for x in os.getloadavg())
    # Outside any event loop: starting the infrastructure may set up Kafka's users with a loop of its own.
    infra = ensure_infra(root)
    print(
        f"[bench] infrastructure: {infra.source}, Kafka {infra.kafka_bootstrap}, {'started here' if infra.started_here else 'already running'}"
    )
    env = {**os.environ, **infra.kafka_env(), "EXTRANET_DATABASE_URL": infra.database_url}
    results: list[tuple[Bench, int, float]] = []
    found: list[Ratio] = []
    try:
        os.environ.update(infra.kafka_env())  # client_kwargs reads the super user's credentials from there
        asyncio.run(group_coordinator_ready(infra.kafka_bootstrap))
        for bench in chosen:
            bench_args = bench.quick if args.quick else bench.full
            print(f"\n== {bench.name} {' '.join(bench_args)}".rstrip(), flush=True)
            code, lines, elapsed = run_one(bench, bench_args, env)
            results.append((bench, code, elapsed))
            found += ratios(bench.name, lines)
    finally:
        if infra.started_here:
            print("[bench] stopping the infrastructure this run started", flush=True)
        infra.stop()
    report(results, found, args.quick, started, root, load)
    return 1 if any(code for _, code, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
