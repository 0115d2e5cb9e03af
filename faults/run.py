"""The fault suite (`make faults`, issue 14): prove that nothing is lost nor applied twice while things break.

On a whole stack of its own (Kafka, PostgreSQL and every process of deploy/services.toml, started by
`devstack run --no-demo` under a scratch root in /tmp on free ports: a running `make run`, the shared
dev infrastructure and the tests are never touched), it replays about 100,000 legacy events of
legacy-simulator, 1 % of them poison (faults/fault_poison.py), at a steady rate while, in turn:
  - each consumer service (those of deploy/services.toml that consume) is killed with SIGKILL at random
    points, 5 times, and must be restarted by devstack's supervisor alone; its time to recover is until
    it answers ready again, then until every consumer group has read what was published before it did;
  - the Kafka broker is restarted (SIGTERM, 5 s down), then PostgreSQL (pg_ctl stop -m fast, 5 s down);
  - the local SMTP server and SMS API (devstack-mailbox, devstack-smsbox) are down for 60 s while email
    and SMS requests keep coming (published on notifications.requests), held down by devstack's hold
    file (devstack.run.hold_file) and then restarted by the supervisor.
After each fault it prints what was lost (events published before the fault that the read models do not
show), doubled (rows no published event explains, messages received twice), dead-lettered (poison /
anything else), still pending (consumer lag, outbox, deliveries) and the time to recover; at the end the
read models against an oracle computed from the published records by independent code
(faults/fault_oracle.py), every poison in `<topic>.dlq` by every consumer group of its topic and nothing
else there, every notification request received once at the boxes; then a verdict (exit 1 on FAIL).

    .venv/bin/python faults/run.py [--quick] [--insured 20000 --acts 15000 --kills 5 --outage 60] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "deploy" / "embedded" / "src"))
sys.path.insert(0, str(HERE))

import asyncpg  # noqa: E402
from aiokafka import AIOKafkaProducer  # noqa: E402
from fault_oracle import Oracle, compare, header  # noqa: E402
from fault_poison import mix  # noqa: E402

from devstack import declaration, kafka, keys, postgres  # noqa: E402
from devstack.config import Layout, Ports  # noqa: E402
from devstack.infra import ensure_infra  # noqa: E402
from devstack.mailbox import free_port  # noqa: E402
from devstack.procs import port_open, read_pid, terminate  # noqa: E402
from devstack.run import hold_file, read_restarts  # noqa: E402
from extranet_plumbing.kafka import client_kwargs  # noqa: E402
from extranet_plumbing.ops import consumer_lag, list_dead_letters, read_to_end  # noqa: E402

TENANT = "mbtp"
SEED = 2026
REQUESTS_TOPIC = "notifications.requests"
OUTCOMES_TOPIC = "notifications.outcomes"
BOXES = ("devstack-mailbox", "devstack-smsbox")
READY_CAP, CATCH_UP_CAP, NOTIFY_CAP = 240.0, 300.0, 420.0


def say(text: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {text}", flush=True)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except Exception:
        return 0


# --- the stack of its own --------------------------------------------------------------------------


@dataclass
class Stack:
    root: Path
    layout: Layout
    ports: Ports
    env: dict[str, str]
    declared: declaration.Declaration
    infra: object = None
    supervisor: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports.kafka}"

    def ready_url(self, name: str) -> str:
        process = self.declared.process(name)
        return f"http://127.0.0.1:{self.ports[process.port.name]}{process.ready_path}"

    def pid(self, name: str) -> int | None:
        return read_pid(self.layout.pidfile(name), expect_in_cmdline=self.declared.process(name).command)


def make_stack() -> Stack:
    """A scratch root the `postgres` user can traverse, holding what devstack reads (deploy/services.toml,
    Kafka's jars by a link to this checkout's), and free ports for everything."""
    root = Path(tempfile.mkdtemp(prefix="extranet-faults-", dir="/tmp"))
    os.chmod(root, 0o755)
    (root / "Makefile").write_text("")
    (root / "constraints.txt").write_text("")
    (root / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "services.toml", root / "deploy" / "services.toml")
    libs = Layout(ROOT).kafka_libs
    if not libs.is_dir():
        raise SystemExit(f"no Kafka jars in {libs}: run `make setup` first")
    (root / ".stack" / "kafka").mkdir(parents=True)
    (root / ".stack" / "kafka" / "libs").symlink_to(libs)
    declared = declaration.load(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRANET_")}
    env.update(
        EXTRANET_INFRA="embedded",
        EXTRANET_KAFKA_PORT=str(free_port()),
        EXTRANET_KAFKA_CONTROLLER_PORT=str(free_port()),
        EXTRANET_PG_PORT=str(free_port()),
        **{port.env: str(free_port()) for port in declared.ports()},
    )
    os.environ.clear()
    os.environ.update(env)
    return Stack(root, Layout(root), Ports.from_env(root), env, declared)


def start_stack(stack: Stack) -> None:
    started = time.monotonic()
    stack.infra = ensure_infra(stack.root, allow_docker=False)  # outside any event loop
    os.environ.update(stack.infra.kafka_env())  # this suite's Kafka clients act as the super user
    say(f"Kafka {stack.bootstrap} and PostgreSQL :{stack.ports.postgres} started under {stack.root} ({time.monotonic() - started:.0f} s)")
    log = open(stack.root / "devstack-run.log", "w")
    stack.supervisor = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--root", str(stack.root), "run", "--no-demo"],
        env={**stack.env, "DEVSTACK_BIN_DIR": str(ROOT / ".venv" / "bin"), "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=stack.root,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while "Stop        Ctrl-C" not in (stack.root / "devstack-run.log").read_text(errors="replace"):
        if stack.supervisor.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"devstack run did not come up:\n{(stack.root / 'devstack-run.log').read_text()[-3000:]}")
        time.sleep(0.5)
    say(f"devstack run up: every process ready ({time.monotonic() - started:.0f} s from cold)")


def stop_stack(stack: Stack, keep: bool) -> None:
    if stack.supervisor is not None and stack.supervisor.poll() is None:
        terminate(stack.supervisor.pid, grace=120)  # it stops its children and restarts none
    for name in BOXES:
        hold_file(stack.layout, name).unlink(missing_ok=True)
    kafka.stop(stack.layout)  # by its pid file: the broker restarted by this suite is not the one ensure_infra started
    postgres.stop(stack.layout)
    if keep:
        say(f"kept {stack.root} (logs in .stack/logs/, devstack-run.log)")
    else:
        for path in postgres.remove_external(stack.layout):
            shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(stack.root, ignore_errors=True)


# --- the events ------------------------------------------------------------------------------------


def legacy_records(insured: int, companies: int, brokers: int, acts: int) -> list:
    from legacy_simulator.generator import generate
    from legacy_simulator.publisher import to_record
    from legacy_simulator.sizes import SizeSpec

    spec = SizeSpec("faults", brokers=brokers, companies=companies, insured=insured)
    if acts:
        spec = spec.with_acts(acts, 1)
    return [to_record(envelope, event) for envelope, event in generate(spec, SEED, TENANT, date.today())]


def notification_record(i: int, channel: str) -> tuple:
    """A request for a one-time code by email or SMS, as identity would ask it; the code tells it apart at the box."""
    from extranet_contracts import Envelope
    from extranet_contracts.notifications import NotificationRequested

    recipient = (
        {"reference": f"faults:{i}", "email": f"faults{i}@example.fr"}
        if channel == "email"
        else {
            "reference": f"faults:{i}",
            "phone": f"+3361{i:07d}",
        }
    )
    event = NotificationRequested(
        recipient=recipient, channels=[channel], template="member_activation_code", data={"code": code(i, channel), "expires_in_minutes": 5}
    )
    envelope = Envelope(type=event.TYPE, version=event.VERSION, source="urn:faults", tenant=TENANT, key=event.key())
    return REQUESTS_TOPIC, event.TYPE, envelope.key.encode(), event.model_dump_json().encode(), envelope.to_headers()


def code(i: int, channel: str) -> str:
    return f"{7 if channel == 'email' else 8}{i:05d}"


class Publisher:
    """Sends records at a steady rate, in order, each until acknowledged: through a broker restart it resends
    what failed (the legacy system's at-least-once; the consumers must not apply a record twice)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.producer: AIOKafkaProducer | None = None
        self.acked = 0  # records acknowledged, in order
        self.handed = 0  # records handed to the producer (acknowledged or in flight): a consumer may have applied them
        self.resent = 0

    async def _producer(self) -> AIOKafkaProducer:
        if self.producer is None:
            producer = AIOKafkaProducer(
                **client_kwargs(self.bootstrap),
                client_id="faults",
                acks="all",
                enable_idempotence=True,
                linger_ms=20,
                request_timeout_ms=10_000,
            )
            await producer.start()
            self.producer = producer
        return self.producer

    async def _reset(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 15)
            except Exception:
                pass

    async def send(self, chunk: list) -> None:
        self.handed = self.acked + len(chunk)
        pending = list(chunk)
        while pending:
            try:
                producer = await self._producer()
                futures = [await producer.send(topic, value=value, key=key, headers=headers) for topic, _t, key, value, headers in pending]
                results = await asyncio.gather(*futures, return_exceptions=True)
                failed = [record for record, result in zip(pending, results, strict=True) if isinstance(result, BaseException)]
            except Exception:
                failed = pending
                await self._reset()
            if failed:
                self.resent += len(failed)
                await asyncio.sleep(1.0)
            pending = failed
        self.acked += len(chunk)

    async def steady(self, records: list, rate: float, chunk: int = 100) -> None:
        started = time.monotonic()
        for i in range(0, len(records), chunk):
            wait = started + i / rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.send(records[i : i + chunk])

    async def close(self) -> None:
        await self._reset()


# --- what the system shows -------------------------------------------------------------------------


async def lags(stack: Stack, groups: set[str]) -> list | None:
    try:
        return [lag for lag in await asyncio.wait_for(consumer_lag(stack.bootstrap), 20) if lag.group in groups]
    except Exception:
        return None


async def caught_up(stack: Stack, groups: set[str], cap: float) -> float | None:
    """Seconds until every group has committed what the topics held when asked (None past `cap`)."""
    started = time.monotonic()
    target = None
    while time.monotonic() - started < cap:
        now = await lags(stack, groups)
        if now is not None:
            if target is None:
                target = {(lag.group, lag.topic, lag.partition): lag.end for lag in now}
            if all(lag.committed >= target.get((lag.group, lag.topic, lag.partition), 0) for lag in now):
                return time.monotonic() - started
        await asyncio.sleep(1.0)
    return None


async def sql(stack: Stack, query: str, *args) -> list:
    conn = await asyncpg.connect(stack.infra.database_url, timeout=10)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def read_models(stack: Stack, day: str) -> dict:
    """The read models' figures by plain SQL, in the oracle's terms (fault_oracle.Oracle.figures)."""
    rows = lambda table, *cols: sql(stack, f"SELECT tenant, {', '.join(cols)} FROM {table}")  # noqa: E731
    found: dict = {}
    for name, table, column in (
        ("portfolio.companies", "portfolio.companies", "company_code"),
        ("portfolio.contracts", "portfolio.contracts", "contract_number"),
        ("portfolio.brokers", "portfolio.brokers", "broker_code"),
        ("portfolio.memberships", "portfolio.memberships", "membership_id"),
        ("claims.payments", "claims.payments", "reference"),
        ("claims.member_contracts", "claims.member_contracts", "member_number"),
        ("claims.household_beneficiaries", "claims.household_beneficiaries", "member_number"),
        ("claims.communication_preferences", "claims.communication_preferences", "member_number"),
        ("identity.members_on_file", "identity.members_on_file", "member_number"),
    ):
        found[name] = {(r["tenant"], r[column]) for r in await rows(table, column)}
    found["identity.broker_accounts"] = {
        (r["tenant"], r["identifier"]) for r in await sql(stack, "SELECT tenant, identifier FROM identity.accounts WHERE kind = 'broker'")
    }
    memberships = await rows("portfolio.memberships", "membership_id", "company_code", "start_date", "end_date")
    found["portfolio.radiated"] = {(r["tenant"], r["membership_id"]) for r in memberships if r["end_date"] is not None}
    found["claims.acts"] = (await sql(stack, "SELECT coalesce(sum(act_count), 0) AS n FROM claims.payments"))[0]["n"]
    active: Counter = Counter()
    for r in memberships:
        start, end = r["start_date"], r["end_date"]
        if start is not None and start.isoformat() <= day and (end is None or end.isoformat() >= day):
            active[(r["tenant"], r["company_code"])] += 1
    last: dict = {}
    for r in await rows("portfolio.broker_company_movements", "broker_code", "company_code", "on_date", "kind"):
        if r["on_date"].isoformat() <= day:
            key, fact = (r["tenant"], r["broker_code"], r["company_code"]), (r["on_date"].isoformat(), int(r["kind"] == "withdrawn"))
            last[key] = max(last.get(key, fact), fact)
    mine: dict = defaultdict(set)
    for (tenant, broker, company), (_day, withdrawn) in last.items():
        if not withdrawn:
            mine[(tenant, broker)].add(company)
    found["portfolio.per_broker"] = {
        f"{tenant}/{broker}": {"companies": len(companies), "active_memberships": sum(active[(tenant, c)] for c in companies)}
        for (tenant, broker), companies in mine.items()
    }
    return found


async def pending_work(stack: Stack, groups: set[str]) -> dict[str, int]:
    """What is still to do: consumer lag, outbox rows not sent, deliveries not settled."""
    now = await lags(stack, groups)
    out = {"lag": sum(lag.lag for lag in now) if now is not None else -1}
    try:
        schemas = [
            r["table_schema"] for r in await sql(stack, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'")
        ]
        out["outbox"] = sum([(await sql(stack, f"SELECT count(*) AS n FROM {s}.outbox WHERE sent_at IS NULL"))[0]["n"] for s in schemas])
        out["deliveries"] = (await sql(stack, "SELECT count(*) AS n FROM notifications.deliveries WHERE status IN ('pending', 'sending')"))[
            0
        ]["n"]
    except Exception:
        out.update(outbox=-1, deliveries=-1)
    return out


def mailbox(stack: Stack) -> Counter:
    """Message-IDs of the emails the local SMTP server kept, with how many times each came."""
    ids: Counter = Counter()
    for path in stack.layout.mail.glob("*.eml"):
        with path.open("rb") as fh:
            ids[(BytesHeaderParser().parse(fh).get("Message-ID") or f"(none) {path.name}").strip()] += 1
    return ids


def smsbox(stack: Stack) -> list[dict]:
    path = stack.layout.sms / "messages.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def boxes_duplicates(stack: Stack) -> int:
    mails = mailbox(stack)
    sms = smsbox(stack)
    by_text = Counter((m["to"], m["body"]) for m in sms if _ours(m))
    return (
        sum(n - 1 for n in mails.values() if n > 1)
        + sum(n - 1 for n in Counter(m["sid"] for m in sms).values() if n > 1)
        + sum(n - 1 for n in by_text.values() if n > 1)
    )


def _ours(message: dict) -> bool:
    return str(message.get("to", "")).startswith("+3361")


# --- the campaign ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    fault: str
    recover: str = ""
    lost: int = 0
    doubled: int = 0
    poison_dlq: int = 0
    other_dlq: int = 0
    pending: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class Campaign:
    def __init__(self, stack: Stack, records: list, poison: dict[str, str], args) -> None:
        self.stack, self.records, self.poison, self.args = stack, records, poison, args
        self.rng = random.Random(SEED)
        self.legacy_ids = {header(r, "ce_id") for r in records} - set(poison)
        self.parsed: list | None = None
        self.consumers = [p.name for p in stack.declared.start_order() if p.kind == "service" and p.kafka is not None and p.kafka.consumes]
        self.groups = {g for p in stack.declared.start_order() if p.kind == "service" and p.kafka is not None for g in p.kafka.groups}
        self.topics = sorted({t for p in stack.declared.start_order() if p.kafka is not None for t in p.kafka.consumes})
        self.publisher = Publisher(stack.bootstrap)  # the legacy replay
        self.requests = Publisher(stack.bootstrap)  # the notification requests of the outage
        self.outcomes: list[Outcome] = []
        self.dlq_seen: set[tuple[str, str]] = set()
        self.dlq_entries: list = []  # (topic, DeadLetter)
        self.duplicates_seen = 0
        self.lost_seen: dict[str, set] = defaultdict(set)  # what a check already reported lost
        self.requested: dict[str, str] = {}  # our notification requests: event id -> channel
        self.sms_codes: dict[str, str] = {}

    # the oracle over a prefix of what was published
    def oracle(self, upto: int) -> Oracle:
        return Oracle.of(self.records[:upto], set(self.poison))

    async def dead_letters(self) -> list:
        new = []
        for topic in self.topics:
            try:
                letters = await asyncio.wait_for(list_dead_letters(self.stack.bootstrap, topic), 60)
            except Exception as exc:
                say(f"dead letters of {topic} unreadable now: {exc!r}")
                continue
            for letter in letters:
                if (topic, letter.id) not in self.dlq_seen:
                    self.dlq_seen.add((topic, letter.id))
                    new.append((topic, letter))
        self.dlq_entries += new
        return new

    async def check(self, outcome: Outcome, published_before: int) -> None:
        """After a fault: lost = what was published before it and is missing; doubled = rows no published event
        explains and messages received twice since the last check; the dead letters since; what is still pending."""
        day = date.today().isoformat()
        try:
            found = await read_models(self.stack, day)
        except Exception as exc:
            outcome.failures.append(f"read models unreadable: {exc!r}")
            return
        sets_only = {k for k, v in found.items() if isinstance(v, set)}
        # Lost: published before the fault, missing now, and not already counted at an earlier fault.
        for what, wanted in self.oracle(published_before).figures(day).items():
            if what not in sets_only:
                continue
            missing = wanted - found[what]
            new = sorted(missing - self.lost_seen[what])
            self.lost_seen[what] |= missing
            outcome.lost += len(new)
            if new:
                outcome.failures.append(f"{what}: {len(new)} published before the fault missing, e.g. {new[:2]}")
        now = compare(self.oracle(self.publisher.handed).figures(day), found, only=sets_only)
        extra = sum(d.extra for d in now)
        for d in now:
            if d.extra:
                outcome.failures.append(f"{d.what}: {d.extra} rows no published event explains ({d.sample})")
        duplicates = boxes_duplicates(self.stack)
        outcome.doubled = extra + duplicates - self.duplicates_seen
        self.duplicates_seen = duplicates
        for _topic, letter in await self.dead_letters():
            if letter.event_id in self.poison:
                outcome.poison_dlq += 1
            else:
                outcome.other_dlq += 1
                outcome.failures.append(f"{_topic}.dlq holds {letter.type} {letter.event_id} (not poison): {letter.cause}")
        outcome.pending = await pending_work(self.stack, self.groups)

    async def wait_ready(self, name: str, old_pid: int | None, cap: float = READY_CAP) -> float | None:
        started = time.monotonic()
        url = self.stack.ready_url(name)
        while time.monotonic() - started < cap:
            pid = self.stack.pid(name)
            if pid is not None and pid != old_pid and http_status(url) == 200:
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        return None

    async def kills(self, name: str) -> Outcome:
        outcome = Outcome(f"SIGKILL {name.removesuffix('-service')} x{self.args.kills}")
        published_before = self.publisher.acked
        readies, recovers = [], []
        for n in range(1, self.args.kills + 1):
            await asyncio.sleep(self.rng.uniform(0.5, 6.0))  # a random point of its work
            pid = self.stack.pid(name)
            if pid is None:
                outcome.failures.append(f"kill #{n}: no pid for {name}")
                continue
            os.kill(pid, signal.SIGKILL)
            ready = await self.wait_ready(name, pid)
            if ready is None:
                outcome.failures.append(f"kill #{n}: {name} not back within {READY_CAP:.0f} s")
                say(f"{name}: kill #{n} (pid {pid}): NOT BACK")
                break
            rest = await caught_up(self.stack, self.groups, CATCH_UP_CAP)
            if rest is None:
                outcome.failures.append(f"kill #{n}: consumers not caught up within {CATCH_UP_CAP:.0f} s")
            readies.append(ready)
            recovers.append(ready + (rest or CATCH_UP_CAP))
            say(f"{name}: kill #{n} (pid {pid}): ready again in {ready:.1f} s, caught up {recovers[-1]:.1f} s after the kill")
        if readies:
            outcome.recover = f"ready {min(readies):.1f}-{max(readies):.1f} s; caught up <= {max(recovers):.1f} s"
        await self.check(outcome, published_before)
        return outcome

    async def restart_infra(self, what: str) -> Outcome:
        outcome = Outcome(f"{what} restart")
        published_before = self.publisher.acked
        restarts_before = {k: v["restarts"] for k, v in read_restarts(self.stack.layout).items()}
        started = time.monotonic()
        if what == "Kafka":
            await asyncio.to_thread(kafka.stop, self.stack.layout)
            await asyncio.sleep(5)
            proc = await asyncio.to_thread(kafka.start, self.stack.layout, self.stack.ports)
            await asyncio.to_thread(kafka.wait_ready, self.stack.layout, self.stack.ports, proc)
        else:
            await asyncio.to_thread(postgres.stop, self.stack.layout)
            await asyncio.sleep(5)
            password = keys.pg_password(self.stack.layout)
            await asyncio.to_thread(postgres.start, self.stack.layout, self.stack.ports, password)
            await asyncio.to_thread(postgres.wait_ready, self.stack.ports.postgres, password)
        back = time.monotonic() - started
        say(f"{what} down and answering again after {back:.1f} s")
        ready = []
        for name in self.consumers:
            took = await self.wait_ready(name, None)
            if took is None:
                outcome.failures.append(f"{name} not ready within {READY_CAP:.0f} s after the {what} restart")
            ready.append(took or READY_CAP)
        rest = await caught_up(self.stack, self.groups, CATCH_UP_CAP)
        if rest is None:
            outcome.failures.append(f"consumers not caught up within {CATCH_UP_CAP:.0f} s after the {what} restart")
        total = time.monotonic() - started
        restarted = {k: v["restarts"] - restarts_before.get(k, 0) for k, v in read_restarts(self.stack.layout).items()}
        restarted = {k.removesuffix("-service"): n for k, n in restarted.items() if n}
        outcome.recover = f"{what} back {back:.1f} s; all ready and caught up {total:.1f} s" + (
            f" (restarted by the supervisor: {', '.join(f'{k} {n}' for k, n in sorted(restarted.items()))})" if restarted else ""
        )
        say(f"{what} restart: {outcome.recover}")
        await self.check(outcome, published_before)
        return outcome

    async def boxes_outage(self) -> Outcome:
        outcome = Outcome(f"SMTP + SMS API down {self.args.outage:.0f} s")
        published_before = self.publisher.acked
        layout = self.stack.layout
        for name in BOXES:
            hold_file(layout, name).touch()
            pid = self.stack.pid(name)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        count = self.args.notifications
        records = []
        for i in range(count):
            for channel in ("email", "sms"):
                records.append(notification_record(i, channel))
                self.requested[header(records[-1], "ce_id")] = channel
        down_seen = True
        spread = max(self.args.outage / 2, 1)
        for i in range(0, len(records), 10):
            await self.requests.send(records[i : i + 10])
            await asyncio.sleep(spread / max(len(records) / 10, 1))
            down_seen = down_seen and not any(port_open(self.stack.ports[n]) for n in ("mail_smtp", "sms"))
        while time.monotonic() - started < self.args.outage:
            down_seen = down_seen and not any(port_open(self.stack.ports[n]) for n in ("mail_smtp", "sms"))
            await asyncio.sleep(1.0)
        if not down_seen:
            outcome.failures.append("a box answered during the outage")
        for name in BOXES:
            hold_file(layout, name).unlink(missing_ok=True)
        back_at = time.monotonic()
        for name in BOXES:
            if await self.wait_ready(name, None) is None:
                outcome.failures.append(f"{name} not restarted by the supervisor")
        boxes_back = time.monotonic() - back_at
        say(f"SMTP and SMS API down {back_at - started:.0f} s, {len(records)} requests sent meanwhile; back in {boxes_back:.1f} s")
        received = None
        while time.monotonic() - back_at < NOTIFY_CAP:
            missing = self.missing_requested()
            if not missing:
                received = time.monotonic() - back_at
                break
            await asyncio.sleep(1.0)
        if received is None:
            outcome.failures.append(f"{len(self.missing_requested())} of the outage's messages not received {NOTIFY_CAP:.0f} s after")
        outcome.recover = (
            f"boxes back {boxes_back:.1f} s; every message received {received:.1f} s after" if received is not None else "not recovered"
        )
        outcome.lost = len(self.missing_requested()) if received is None else 0
        await self.check(outcome, published_before)
        return outcome

    def missing_requested(self) -> set[str]:
        mails = mailbox(self.stack)
        sms = Counter(m["body"] for m in smsbox(self.stack) if _ours(m))
        missing = set()
        for ident, channel in self.requested.items():
            if channel == "email":
                if not any(mid.startswith(f"<{ident}@") for mid in mails):
                    missing.add(ident)
        have_codes = {c for body in sms for c in [w.strip(".,:") for w in body.split()] if c.isdigit()}
        for i in range(self.args.notifications):
            if code(i, "sms") not in have_codes:
                missing.add(f"sms:{i}")
        return missing

    async def drain(self) -> float | None:
        started = time.monotonic()
        quiet = 0
        while time.monotonic() - started < CATCH_UP_CAP:
            work = await pending_work(self.stack, self.groups)
            quiet = quiet + 1 if not any(work.values()) else 0
            if quiet >= 3:  # three rounds a second apart with nothing to do: outbox relayed, consumers idle
                return time.monotonic() - started
            await asyncio.sleep(1.0)
        return None

    async def final(self) -> Outcome:
        outcome = Outcome("final: read models vs oracle")
        drained = await self.drain()
        if drained is None:
            outcome.failures.append(f"still work pending {CATCH_UP_CAP:.0f} s after the last event")
        day = date.today().isoformat()
        found = await read_models(self.stack, day)
        expected = self.oracle(self.publisher.acked).figures(day)
        self.differences = compare(expected, found)
        outcome.lost = sum(d.lost for d in self.differences)
        outcome.doubled = sum(d.extra for d in self.differences) + boxes_duplicates(self.stack)
        for d in self.differences:
            if not d.ok:
                outcome.failures.append(f"{d.what}: expected {d.expected}, found {d.found}, lost {d.lost}, extra {d.extra} ({d.sample})")
        await self.dead_letters()
        outcome.poison_dlq = sum(1 for _t, letter in self.dlq_entries if letter.event_id in self.poison)
        outcome.other_dlq = sum(1 for _t, letter in self.dlq_entries if letter.event_id not in self.poison)
        # Which consumer group reads which topic (its committed offsets) and applies which event types (its inbox).
        consumers_of: dict[str, set[str]] = defaultdict(set)
        for lag in await lags(self.stack, self.groups) or []:
            consumers_of[lag.topic].add(lag.group)
        inbox = await self.inboxes()
        handled: dict[str, set[str]] = defaultdict(set)
        for group, _ident, kind in inbox:
            handled[group].add(kind)
        # Every record applied by every group that reads its topic and handles its type: none lost.
        applied = {(group, ident) for group, ident, _kind in inbox}
        unapplied = Counter(
            group
            for r in self.records
            if header(r, "ce_id") not in self.poison
            for group in consumers_of[r[0]]
            if r[1] in handled[group] and (group, header(r, "ce_id")) not in applied
        )
        self.inbox_checked = sum(1 for group, ident in applied if ident in self.legacy_ids)
        for group, n in unapplied.items():
            outcome.failures.append(f"{group}: {n} legacy events of its types never applied (not in its inbox)")
        outcome.lost += sum(unapplied.values())
        # Every poison dead-lettered by each group of its topic that reads it: all of them for an unknown tenant,
        # those that handle its type otherwise (a consumer skips the types it has no handler for, unread); once,
        # unless it was read again after a kill (the dead letter is sent before the offset is committed).
        lettered: Counter = Counter((letter.event_id, letter.consumer_group) for _t, letter in self.dlq_entries)
        expected = {
            (header(r, "ce_id"), g)
            for r in self.records
            if header(r, "ce_id") in self.poison
            for g in consumers_of[r[0]]
            if self.poison[header(r, "ce_id")] == "unknown_tenant" or r[1] in handled[g]
        }
        not_lettered = sorted(k for k in expected if not lettered[k])
        unexpected = sorted(k for k in lettered if k[0] in self.poison and k not in expected)
        nobody = set(self.poison) - {i for i, _g in expected}
        self.dlq_again = sum(n - 1 for n in lettered.values() if n > 1)
        if not_lettered:
            outcome.failures.append(f"{len(not_lettered)} (poison, group) pairs not dead-lettered, e.g. {not_lettered[:3]}")
        if nobody:
            outcome.failures.append(f"{len(nobody)} poison records no consumer group reads")
        if unexpected:
            outcome.failures.append(f"{len(unexpected)} poison dead-lettered by a group that does not handle its type: {unexpected[:2]}")
        self.poison_expected = len(expected)
        # Notifications: every request on the topic delivered once (or failed for good), at the box once.
        outcome.failures += await self.notifications_check()
        outcome.lost += self.notification_figures["lost"]
        outcome.pending = await pending_work(self.stack, self.groups)
        outcome.recover = f"drained {drained:.1f} s after the last event" if drained is not None else "not drained"
        return outcome

    async def inboxes(self) -> list[tuple[str, str, str]]:
        """(consumer group, event id, event type) of every event each service's consumers applied."""
        schemas = [
            r["table_schema"]
            for r in await sql(self.stack, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'inbox'")
        ]
        rows = []
        for schema in schemas:
            rows += [
                (r["consumer_group"], r["event_id"], r["event_type"])
                for r in await sql(self.stack, f"SELECT consumer_group, event_id::text, event_type FROM {schema}.inbox")
            ]
        return rows

    async def notifications_check(self) -> list[str]:
        problems = []
        requests = set()
        async for record in read_to_end(self.stack.bootstrap, REQUESTS_TOPIC):
            requests.add(dict(record.headers)["ce_id"].decode())
        rows = await sql(self.stack, "SELECT request_id::text AS id, channel, status, provider_message_id FROM notifications.deliveries")
        deliveries = {r["id"]: r for r in rows}
        mails = mailbox(self.stack)
        sids = Counter(m["sid"] for m in smsbox(self.stack))
        no_row = requests - set(deliveries)
        if no_row:
            problems.append(f"{len(no_row)} notification requests never recorded by notifications")
        lost_mail = [
            i
            for i, r in deliveries.items()
            if r["channel"] == "email" and r["status"] == "delivered" and not any(m.startswith(f"<{i}@") for m in mails)
        ]
        lost_sms = [
            i for i, r in deliveries.items() if r["channel"] == "sms" and r["status"] == "delivered" and not sids[r["provider_message_id"]]
        ]
        failed = [i for i, r in deliveries.items() if r["status"] == "failed"]
        if lost_mail or lost_sms:
            problems.append(f"delivered but not at the box: {len(lost_mail)} emails, {len(lost_sms)} SMS")
        if failed:
            problems.append(f"{len(failed)} notifications failed")
        if self.missing_requested():
            problems.append(f"{len(self.missing_requested())} of the outage's messages never received")
        self.notification_figures = {
            "requests": len(requests),
            "emails": sum(mails.values()),
            "sms": sum(sids.values()),
            "duplicates": boxes_duplicates(self.stack),
            "lost": len(no_row) + len(lost_mail) + len(lost_sms),
            "failed": len(failed),
        }
        return problems


async def sabotage(stack: Stack) -> None:
    """The suite's own check (--sabotage): a loss it must see. Three memberships deleted from portfolio's read model
    (their events stay in its inbox: nothing brings them back) and one email removed from the mailbox."""
    await sql(stack, "DELETE FROM portfolio.memberships WHERE membership_id IN (SELECT membership_id FROM portfolio.memberships LIMIT 3)")
    mails = sorted(stack.layout.mail.glob("*.eml"))
    if mails:
        mails[0].unlink()
    say("sabotage: 3 memberships deleted from portfolio's read model, 1 email removed from the mailbox")


async def campaign(stack: Stack, records: list, poison: dict[str, str], args) -> tuple[Campaign, float]:
    c = Campaign(stack, records, poison, args)
    rate = len(records) / args.publish_seconds
    say(f"replaying {len(records)} records ({len(poison)} poison) at {rate:.0f}/s on {stack.bootstrap}")
    started = time.monotonic()
    replay = asyncio.create_task(c.publisher.steady(records, rate))
    try:
        await asyncio.sleep(5)
        for name in c.consumers:
            if args.sabotage and name == c.consumers[1]:
                await sabotage(stack)
            c.outcomes.append(await c.kills(name))
        c.outcomes.append(await c.restart_infra("Kafka"))
        c.outcomes.append(await c.restart_infra("PostgreSQL"))
        c.outcomes.append(await c.boxes_outage())
        if not replay.done():
            say(f"waiting for the replay to end ({c.publisher.acked}/{len(records)} sent)")
        await replay
        say(f"replay done: {len(records)} records acknowledged ({c.publisher.resent} sent again after a failure)")
        c.outcomes.append(await c.final())
    finally:
        if not replay.done():
            replay.cancel()
        await c.publisher.close()
        await c.requests.close()
    return c, time.monotonic() - started


def commit() -> str:
    out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def report(c: Campaign, elapsed: float, total: float, started: datetime, legacy: int) -> bool:
    print()
    print("=" * 118)
    print(f"{'fault':<30}{'lost':>6}{'doubled':>9}{'dead-lettered':>15}{'pending':>22}  time to recover")
    print(f"{'':<30}{'':>6}{'':>9}{'poison/other':>15}{'lag/outbox/deliv.':>22}")
    print("-" * 118)
    for o in c.outcomes:
        pending = "/".join(str(o.pending.get(k, "?")) for k in ("lag", "outbox", "deliveries"))
        print(f"{o.fault:<30}{o.lost:>6}{o.doubled:>9}{f'{o.poison_dlq}/{o.other_dlq}':>15}{pending:>22}  {o.recover}")
    print("-" * 118)
    failures = [(o.fault, f) for o in c.outcomes for f in o.failures]
    final = c.outcomes[-1] if c.outcomes and c.outcomes[-1].fault.startswith("final") else None
    if final is not None:
        for d in c.differences:
            print(f"  {d.what:<36} expected {d.expected:>8}  found {d.found:>8}  {'ok' if d.ok else f'lost {d.lost}, extra {d.extra}'}")
        n = c.notification_figures
        print(
            f"  notifications: {n['requests']} requests, {n['emails']} emails and {n['sms']} SMS at the boxes, "
            f"{n['duplicates']} duplicates, {n['lost']} lost, {n['failed']} failed"
        )
        print(
            f"  poison: {len(c.poison)} records, {final.poison_dlq} dead letters for {c.poison_expected} expected "
            f"(by each consumer group of its topic that reads it); {c.dlq_again} again after a redelivery; "
            f"{final.other_dlq} other dead letters"
        )
        print(f"  inboxes: {c.inbox_checked} (group, legacy event) applications checked against the records each group must apply")
    for fault, failure in failures:
        print(f"  FAIL [{fault}] {failure}")
    ok = not failures and final is not None
    print(
        f"{legacy} legacy events + {len(c.poison)} poison + {len(c.requested)} notification requests; "
        f"{elapsed:.0f} s of faults, {total:.0f} s in all; {started:%Y-%m-%d %H:%M} UTC; commit {commit()}"
    )
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"verdict: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insured", type=int, default=20_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--brokers", type=int, default=6)
    parser.add_argument("--acts", type=int, default=15_000, help="reimbursed acts (legacy.claims)")
    parser.add_argument("--poison", type=float, default=0.01, help="share of poison records")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of each consumer service")
    parser.add_argument("--outage", type=float, default=60.0, help="seconds SMTP and the SMS API are down")
    parser.add_argument("--notifications", type=int, default=50, help="email and as many SMS requests during the outage")
    parser.add_argument(
        "--publish-seconds",
        type=float,
        default=600.0,
        help="the replay's duration (long enough to go on through the Kafka and PostgreSQL restarts)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 kill each, 15 s outage: proves the path, not the figures")
    parser.add_argument("--keep", action="store_true", help="keep the scratch root (logs, data) at the end")
    parser.add_argument(
        "--sabotage", action="store_true", help="the suite's own check: lose 3 memberships and 1 email on purpose (must FAIL)"
    )
    args = parser.parse_args()
    if args.quick:
        args.insured, args.companies, args.acts, args.kills, args.outage, args.notifications, args.publish_seconds = (
            2000,
            30,
            1500,
            1,
            15,
            10,
            60,
        )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started_at, started = datetime.now(UTC), time.monotonic()
    say("generating the legacy events")
    legacy = legacy_records(args.insured, args.companies, args.brokers, args.acts)
    records, poison = mix(legacy, args.poison, SEED)
    say(
        f"{len(legacy)} legacy events by stream {dict(Counter(r[0] for r in legacy))}; {len(poison)} poison {dict(Counter(poison.values()))}"
    )
    stack = make_stack()
    ok = False
    try:
        start_stack(stack)
        c, elapsed = asyncio.run(campaign(stack, records, poison, args))
        ok = report(c, elapsed, time.monotonic() - started, started_at, len(legacy))
    finally:
        say("stopping the suite's stack")
        stop_stack(stack, keep=args.keep or not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
