"""`devstack run`: infra, the services as subprocesses, demo data once, then wait for Ctrl-C / SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from devstack import declaration, keys
from devstack.config import SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, Layout, Ports
from devstack.declaration import Client, Declaration, KafkaAccess, Process, expand
from devstack.procs import port_open, read_pid, tail, terminate, terminate_group, write_pid

DEMO_PASSWORD = "Courtier-Demo-2026"
DEMO_TENANT = "mbtp"
DEMO_SEED = "2026"
WATCH_HINT = ".venv/bin/python -m devstack.watch legacy.brokers"


class StackError(RuntimeError):
    pass


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: stop everything."""


def emit(text: str, *, err: bool = False) -> None:
    """Print, never failing: a closed terminal or pipe must not cut the clean-up short."""
    try:
        print(text, file=sys.stderr if err else sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


def say(message: str) -> None:
    emit(f"[devstack] {message}")


@dataclass
class Service:
    """A process of deploy/services.toml with its placeholders filled: what `devstack run` starts."""

    name: str
    command: str
    port: int
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.ready_path}"


class _Relative:
    """{rel.<folder>}: a Layout path relative to the checkout (the banner's short paths)."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout

    def __getattr__(self, name: str) -> str:
        path = getattr(self._layout, name)
        try:
            return str(path.relative_to(self._layout.root))
        except ValueError:
            return str(path)


def placeholders(layout: Layout, ports: Ports, process: Process | Client | None = None) -> dict[str, object]:
    """What the templates of deploy/services.toml may use (its header lists them)."""
    values: dict[str, object] = {
        "ports": ports.names(),
        "layout": layout,
        "rel": _Relative(layout),
        "sms_account_sid": SMS_ACCOUNT_SID,
        "sms_auth_token": SMS_AUTH_TOKEN,
    }
    if isinstance(process, Process):
        port = ports[process.port.name]
        values.update(port=port, url=f"http://127.0.0.1:{port}")
    access: KafkaAccess | None = process.kafka if process is not None else None
    if access is not None:
        values["kafka"] = SimpleNamespace(username=access.principal, password=keys.kafka_password(layout, access.principal))
    return values


def client_env(client: Client, layout: Layout, ports: Ports) -> dict[str, str]:
    """The environment a [[kafka_client]] of deploy/services.toml runs with (its own principal)."""
    values = placeholders(layout, ports, client)
    return {key: expand(template, values, what=f"{client.name}: env {key}") for key, template in client.env.items()}


def resolve(process: Process, layout: Layout, ports: Ports) -> Service:
    values = placeholders(layout, ports, process)
    env = {key: expand(template, values, what=f"{process.name}: env {key}") for key, template in process.env.items()}
    return Service(process.name, process.command, ports[process.port.name], process.ready_path, env)


def services(layout: Layout, ports: Ports, declared: Declaration | None = None) -> list[list[Service]]:
    """The processes of deploy/services.toml in start order: each inner list is started together, then waited for."""
    declared = declared or declaration.load(layout.root)
    return [[resolve(process, layout, ports) for process in group] for group in declared.groups()]


# Kafka credentials are never inherited: each process gets its own principal's from deploy/services.toml.
KAFKA_CREDENTIALS = ("EXTRANET_KAFKA_USERNAME", "EXTRANET_KAFKA_PASSWORD")


def common_env(
    layout: Layout, bin_dir: Path, kafka_bootstrap: str, database_url: str, kafka_security_protocol: str = "SASL_PLAINTEXT"
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in KAFKA_CREDENTIALS}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "EXTRANET_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "EXTRANET_KAFKA_SECURITY_PROTOCOL": kafka_security_protocol,
            "EXTRANET_DATABASE_URL": database_url,
            "EXTRANET_LOG_FORMAT": "json",
            "EXTRANET_TRACING_EXPORTER": "none",
            "EXTRANET_JWT_PUBLIC_KEY_FILE": str(layout.secrets / keys.JWT_PUBLIC),
            "EXTRANET_HTTP_HOST": "127.0.0.1",
            # Service to service: the gateway sends its credential, devstack (an operator) its own to /internal/*.
            "EXTRANET_GATEWAY_CREDENTIAL": keys.credential(layout, keys.GATEWAY),
            "EXTRANET_OPERATOR_CREDENTIAL": keys.credential(layout, keys.OPERATOR),
        }
    )
    return env


def http_json(url: str, timeout: float = 2.0, headers: dict[str, str] | None = None) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None
    try:
        return status, json.loads(body or b"null")
    except ValueError:
        return status, None


# Restart policy of a service that exits once the stack is up (Kubernetes' CrashLoopBackOff): wait
# 1 s, 2 s, 4 s ... at most 30 s; the doubling starts over once the process has stayed ready RESET_AFTER.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
RESET_AFTER = 60.0


def exit_text(code: int) -> str:
    """How a child ended: "code 1", "signal SIGKILL"."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


@dataclass
class Child:
    """A supervised process: what starts it again, its restarts and the backoff state."""

    service: Service
    env: dict[str, str]
    restarts: int = 0  # in this run (`devstack status`)
    crashes: int = 0  # in a row, since it last stayed ready RESET_AFTER: the backoff's exponent
    last_exit: str | None = None
    last_exit_at: str | None = None
    restart_at: float | None = None  # monotonic; set while waiting to restart
    started_at: float = 0.0
    ready_at: float | None = None  # monotonic; None until a restarted process answers its ready path
    stopped_because: str | None = None  # set when the supervisor stopped it (not ready in time)


class Supervisor:
    """The children of `devstack run`, each in its own process group (Ctrl-C reaches only us).

    Once the stack is up, `supervise()` restarts a child that exits, alone, after a backoff; while
    starting (`wait_ready`, the demo data) a child that exits is an error (`dead()`)."""

    def __init__(
        self,
        layout: Layout,
        bin_dir: Path,
        *,
        backoff_first: float = BACKOFF_FIRST,
        backoff_max: float = BACKOFF_MAX,
        reset_after: float = RESET_AFTER,
        ready_timeout: float = 120.0,
    ) -> None:
        self.layout = layout
        self.bin_dir = bin_dir
        self.services: dict[str, subprocess.Popen] = {}
        self.children: dict[str, Child] = {}
        self.transient: subprocess.Popen | None = None
        self.backoff_first, self.backoff_max, self.reset_after = backoff_first, backoff_max, reset_after
        self.ready_timeout = ready_timeout
        self.stopping = False

    def command(self, name: str) -> str:
        path = self.bin_dir / name
        if not path.exists():
            raise StackError(f"command {path} not found: is its package installed? (`make setup`)")
        return str(path)

    def start(self, service: Service, env: dict[str, str], *, restart: int = 0) -> None:
        """Start `service`; `restart` > 0: its restart number (the log is appended to, not rotated)."""
        if port_open(service.port):
            raise StackError(
                f"port {service.port} for {service.name} is already taken (an earlier `devstack run` still going? `make stop`)"
            )
        log = self.layout.log(service.name)
        log.parent.mkdir(parents=True, exist_ok=True)
        if log.exists() and not restart:
            log.replace(log.with_name(log.name + ".1"))
        with open(log, "ab") as out:
            if restart:
                out.write(f"--- devstack: restart #{restart} at {time.strftime('%Y-%m-%dT%H:%M:%S%z')} ---\n".encode())
                out.flush()
            proc = subprocess.Popen(
                [self.command(service.command)],
                env={**env, **service.env},
                cwd=self.layout.root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.services[service.name] = proc
        child = self.children.setdefault(service.name, Child(service, env))
        child.started_at, child.ready_at, child.restart_at = time.monotonic(), None, None
        write_pid(self.layout.pidfile(service.name), proc.pid)
        if not restart:
            say(f"started {service.name} (pid {proc.pid}, port {service.port}, log {self.rel(log)})")

    def backoff(self, crashes: int) -> float:
        """The wait before the restart following the `crashes`-th exit in a row: 1 s, 2 s, 4 s ... capped."""
        return min(self.backoff_max, self.backoff_first * 2 ** max(crashes - 1, 0))

    def supervise(self) -> None:
        """One round, once the stack is up: restart the children that exited (after their backoff),
        note when a restarted one is ready again, start the backoff over for one that stayed ready."""
        if self.stopping:
            return
        now = time.monotonic()
        for name, child in self.children.items():
            proc = self.services.get(name)
            if child.restart_at is not None:
                if now >= child.restart_at and not hold_file(self.layout, name).exists():
                    self._restart(child)
                continue
            if proc is None:
                continue
            code = proc.poll()
            if code is not None:
                self._exited(child, proc, code)
            elif child.ready_at is None:
                status, _ = http_json(child.service.ready_url, timeout=1.0)
                if status == 200:
                    child.ready_at = time.monotonic()
                    say(
                        f"{name} ready again on port {child.service.port} ({child.ready_at - child.started_at:.1f}s after restart #{child.restarts})"
                    )
                elif now - child.started_at > self.ready_timeout:
                    # A startup probe's failure: kill it, it is restarted as if it had exited.
                    say(
                        f"{name} not ready {self.ready_timeout:.0f}s after restart #{child.restarts}: stopping it; see {self.rel(self.layout.log(name))}"
                    )
                    terminate_group(proc.pid, grace=10)  # reaps it: poll() can no longer tell how it ended
                    child.stopped_because = f"stopped: not ready in {self.ready_timeout:.0f}s"
            elif child.crashes and now - child.ready_at >= self.reset_after:
                child.crashes = 0

    def _exited(self, child: Child, proc: subprocess.Popen, code: int) -> None:
        name = child.service.name
        # What the process left in its group (its workers) would hold the port.
        terminate_group(proc.pid, grace=5)
        child.crashes += 1
        child.restarts += 1
        child.last_exit, child.last_exit_at = child.stopped_because or exit_text(code), time.strftime("%Y-%m-%dT%H:%M:%S%z")
        child.stopped_because = None
        delay = self.backoff(child.crashes)
        child.restart_at, child.ready_at = time.monotonic() + delay, None
        self.layout.pidfile(name).unlink(missing_ok=True)
        say(
            f"{name} exited ({child.last_exit}), restarting in {delay:g}s (restart #{child.restarts}); see {self.rel(self.layout.log(name))}"
        )
        self.save_restarts()

    def _restart(self, child: Child) -> None:
        try:
            self.start(child.service, child.env, restart=child.restarts)
        except StackError as exc:  # its port still taken: try again later, the backoff growing
            child.crashes += 1
            delay = self.backoff(child.crashes)
            child.restart_at = time.monotonic() + delay
            say(f"{child.service.name} not restarted ({exc}); next try in {delay:g}s")
            return
        say(f"restarted {child.service.name} (pid {self.services[child.service.name].pid}, restart #{child.restarts})")

    def save_restarts(self) -> None:
        """`devstack status` reads the restarts and last exits of this run from here."""
        data = {
            name: {"restarts": child.restarts, "last_exit": child.last_exit, "last_exit_at": child.last_exit_at}
            for name, child in self.children.items()
            if child.restarts
        }
        path = restarts_file(self.layout)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(path)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.layout.root))
        except ValueError:
            return str(path)

    def dead(self) -> tuple[str, int] | None:
        for name, proc in self.services.items():
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def wait_ready(self, group: list[Service], timeout: float) -> None:
        pending = {s.name: s for s in group}
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        while pending:
            died = self.dead()
            if died:
                raise self.died_error(*died)
            for name, service in list(pending.items()):
                status, _ = http_json(service.ready_url, timeout=1.0)
                if status == 200:
                    say(f"{name} ready on http://127.0.0.1:{service.port} ({time.monotonic() - started:.1f}s)")
                    del pending[name]
                    if name in self.children:
                        self.children[name].ready_at = time.monotonic()
            if pending and time.monotonic() > deadline:
                name, service = next(iter(pending.items()))
                log = self.layout.log(name)
                raise StackError(
                    f"{name} not ready after {timeout:.0f}s ({service.ready_url} does not answer 200); see {self.rel(log)}:\n{tail(log)}"
                )
            if pending:
                time.sleep(0.3)

    def died_error(self, name: str, code: int) -> StackError:
        log = self.layout.log(name)
        return StackError(f"{name} exited with code {code}; see {self.rel(log)}:\n{tail(log)}")

    def run_once(self, cmd: list[str], env: dict[str, str], *, capture: bool, what: str, timeout: float = 600) -> str:
        """A one-off command in its own process group; stdout captured (if `capture`), stderr to the terminal."""
        self.transient = subprocess.Popen(
            cmd,
            env=env,
            cwd=self.layout.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            start_new_session=True,
        )
        try:
            out, _ = self.transient.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StackError(f"{what} did not finish within {timeout:.0f}s") from None
        finally:
            proc, self.transient = self.transient, None
            if proc.poll() is None:
                terminate_group(proc.pid, grace=5)
        if proc.returncode != 0:
            raise StackError(f"{what} failed with exit code {proc.returncode}" + (f":\n{out.decode(errors='replace')}" if out else ""))
        return out.decode(errors="replace") if out else ""

    def stop_all(self, grace: float = 10.0) -> None:
        self.stopping = True  # no restart from here on
        for child in self.children.values():
            child.restart_at = None
        if self.transient is not None and self.transient.poll() is None:
            terminate_group(self.transient.pid, grace=5)
        for name, proc in reversed(list(self.services.items())):
            try:
                if proc.poll() is None:
                    say(f"stopping {name}")
                    if terminate_group(proc.pid, grace=grace):
                        say(f"{name} did not stop within {grace:.0f}s: killed")
                proc.wait(timeout=5)
            except Exception as exc:  # go on with the others
                emit(f"[devstack] stopping {name}: {exc}", err=True)
            self.layout.pidfile(name).unlink(missing_ok=True)
        self.services.clear()
        restarts_file(self.layout).unlink(missing_ok=True)


def hold_file(layout: Layout, name: str) -> Path:
    """While this file exists, `devstack run` does not restart `name` once it has exited (it is restarted as
    soon as the file is gone): how the fault suite (faults/run.py) keeps a devtool down for a while."""
    return layout.run / f"{name}.hold"


def restarts_file(layout: Layout) -> Path:
    return layout.run / "restarts.json"


def supervisor_pidfile(layout: Layout) -> Path:
    """The pid of the running `devstack run` (`devstack stop` stops it first: it would restart what stop stops)."""
    return layout.run / "supervisor.pid"


def read_restarts(layout: Layout) -> dict[str, dict]:
    try:
        data = json.loads(restarts_file(layout).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stop_supervisor(layout: Layout, grace: float = 180.0) -> int | None:
    """SIGTERM the running `devstack run`, if any, and wait for it to stop its children; its pid."""
    pidfile = supervisor_pidfile(layout)
    pid = read_pid(pidfile, expect_in_cmdline="devstack")
    if pid is not None:
        terminate(pid, grace=grace)
    pidfile.unlink(missing_ok=True)
    return pid


def stop_services(layout: Layout) -> list[str]:
    """Stop leftover processes of deploy/services.toml from their pid files, the last started first
    (`make stop`). Standard library only."""
    stopped = []
    for process in reversed(declaration.load(layout.root).start_order()):
        pidfile = layout.pidfile(process.name)
        pid = read_pid(pidfile, expect_in_cmdline=process.command)
        if pid is not None:
            terminate_group(pid, grace=10)
            stopped.append(process.name)
        pidfile.unlink(missing_ok=True)
    return stopped


def _stats(declared: Declaration, role: str, ports: Ports) -> tuple[str, str, str]:
    """The /internal/stats URL, short name and process name of [demo] `role` in deploy/services.toml."""
    process = declared.process(declared.demo[role])
    return f"http://127.0.0.1:{ports[process.port.name]}/internal/stats", process.deploy_name or process.name, process.name


def load_demo(sup: Supervisor, env: dict[str, str], ports: Ports, timeout: float = 300.0) -> dict:
    layout = sup.layout
    declared = declaration.load(layout.root)
    stats_url, applier, applier_process = _stats(declared, "events_applied_by", ports)
    registrar_stats, registrar, registrar_process = _stats(declared, "brokers_registered_by", ports)
    operator = {"X-Service-Credential": keys.credential(layout, keys.OPERATOR)}  # /internal/* answers the platform only
    marker = layout.demo_marker
    if marker.is_file():
        say(f"demo data already loaded ({sup.rel(marker)}): skipping it")
        try:
            return json.loads(marker.read_text() or "{}")
        except ValueError:
            return {}
    started = time.monotonic()
    say("loading demo data (once)")
    simulator, admin = sup.command("legacy-simulator"), sup.command("identity-admin")
    # The simulator publishes as its own principal (deploy/services.toml [[kafka_client]]).
    simulator_env = {**env, **client_env(declared.client("legacy-simulator"), layout, ports)}
    out = sup.run_once(
        [simulator, "brokers", "--size", "demo", "--seed", DEMO_SEED], simulator_env, capture=True, what="legacy-simulator brokers"
    )
    codes = [line.strip() for line in out.splitlines() if line.strip()]
    if not codes:
        raise StackError("legacy-simulator brokers printed no broker code")
    out = sup.run_once(
        [simulator, "publish", "--size", "demo", "--seed", DEMO_SEED, "--tenant", DEMO_TENANT],
        simulator_env,
        capture=True,
        what="legacy-simulator publish",
    )
    published, by_stream = None, None
    for line in reversed(out.splitlines()):
        try:
            record = json.loads(line)
            published, by_stream = int(record["published"]), record.get("by_stream")
            break
        except (ValueError, KeyError, TypeError):
            continue
    if published is None:
        raise StackError(f'legacy-simulator publish printed no {{"published": N}} line:\n{out[-2000:]}')
    # The applier's share: the events of the streams it consumes (others, such as reimbursements, go to other services).
    consumed = declared.process(applier_process).kafka
    expected = published
    if isinstance(by_stream, dict) and consumed is not None:
        expected = sum(int(by_stream.get(stream, 0)) for stream in consumed.consumes)
    say(f"published {published} legacy events; waiting for {applier} to apply its {expected}")
    deadline = time.monotonic() + timeout
    applied, last_report = -1, 0.0
    while True:
        died = sup.dead()
        if died:
            raise sup.died_error(*died)
        status, body = http_json(stats_url, headers=operator)
        if status == 200 and isinstance(body, dict):
            applied = int(body.get("events_applied", 0) or 0)
        if applied >= expected:
            break
        if time.monotonic() - last_report > 2:
            say(f"{applier}: {max(applied, 0)}/{expected} events applied")
            last_report = time.monotonic()
        if time.monotonic() > deadline:
            raise StackError(
                f"{applier} applied {max(applied, 0)} of {expected} events within {timeout:.0f}s; "
                f"see {sup.rel(layout.log(applier_process))}"
            )
        time.sleep(0.5)
    say(f"{applier}: {applied}/{expected} events applied")
    # The brokers' activation emails go out when identity sees them arrive; then the demo logins are
    # set, so that a person can log in at once (the activation mails stay readable in the mail viewer).
    while True:
        status, body = http_json(registrar_stats, headers=operator)
        accounts = body.get("accounts", {}) if status == 200 and isinstance(body, dict) else {}
        if sum(n for kind, n in accounts.items() if kind.startswith("broker/")) >= len(codes):
            break
        if time.monotonic() > deadline:
            raise StackError(
                f"{registrar} did not register the {len(codes)} demo brokers within {timeout:.0f}s; "
                f"see {sup.rel(layout.log(registrar_process))}"
            )
        time.sleep(0.5)
    state_file = layout.stack / "demo-state.json"
    try:
        done = set(json.loads(state_file.read_text()).get("logins", []))
    except (OSError, ValueError):
        done = set()
    for i, code in enumerate(codes, 1):
        if code in done:
            continue
        sup.run_once(
            [admin, "create-broker-login", "--tenant", DEMO_TENANT, "--broker-code", code],
            {**env, "EXTRANET_NEW_PASSWORD": DEMO_PASSWORD},
            capture=True,
            what=f"identity-admin create-broker-login --broker-code {code}",
        )
        done.add(code)
        state_file.write_text(json.dumps({"logins": sorted(done)}))
        say(f"broker login {i}/{len(codes)}: {code}")
    data = {
        "brokers": codes,
        "password": DEMO_PASSWORD,
        "tenant": DEMO_TENANT,
        "published": published,
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    marker.write_text(json.dumps(data, indent=2) + "\n")
    state_file.unlink(missing_ok=True)
    say(f"demo data loaded in {time.monotonic() - started:.1f}s")
    return data


def box(lines: list[str]) -> str:
    width = max(len(line) for line in lines)
    out = ["┌" + "─" * (width + 2) + "┐"]
    out += [f"│ {line.ljust(width)} │" for line in lines]
    out.append("└" + "─" * (width + 2) + "┘")
    return "\n".join(out)


def _banner_lines(declared: Declaration, kind: str, layout: Layout, ports: Ports) -> list[str]:
    return [
        f"{label:<12}{expand(template, placeholders(layout, ports, process), what=f'{process.name}: banner {label}')}"
        for process in declared.listing_order()
        if process.kind == kind
        for label, template in process.banner
    ]


def summary(sup: Supervisor, ports: Ports, infra, demo: dict) -> str:
    declared = declaration.load(sup.layout.root)
    codes = list(demo.get("brokers") or [])
    shown = ", ".join(codes[:8]) + (f" (+{len(codes) - 8} more in .stack/demo-loaded)" if len(codes) > 8 else "")
    lines = [
        "Extranet is running",
        "",
        *_banner_lines(declared, "service", sup.layout, ports),
        f"Brokers     {shown or '(no demo data)'}",
        f"  password  {demo.get('password', DEMO_PASSWORD)}   (tenant {demo.get('tenant', DEMO_TENANT)})",
        "",
        f"Kafka       {infra.kafka_bootstrap}  (SASL/SCRAM-SHA-512; passwords in .stack/secrets/kafka-<principal>-password)",
        f"PostgreSQL  {infra.database_url.split('@')[-1]}  (password in .stack/secrets/postgres-password)",
        f"Logs        {sup.rel(sup.layout.logs)}/<process>.log",
        f"Events      {WATCH_HINT}   (any topic; --from-beginning)",
        *_banner_lines(declared, "devtool", sup.layout, ports),
        "Stop        Ctrl-C",
    ]
    return box(lines)


class InfraWatch:
    """Says when Kafka or PostgreSQL stops answering, and when it answers again (every 2 s)."""

    def __init__(self, infra) -> None:
        database = urllib.parse.urlsplit(infra.database_url)
        kafka_host, _, kafka_port = infra.kafka_bootstrap.split(",")[0].rpartition(":")
        self.targets = {
            f"Kafka ({infra.kafka_bootstrap})": (kafka_host or "127.0.0.1", int(kafka_port)),
            f"PostgreSQL ({database.hostname}:{database.port or 5432})": (database.hostname or "127.0.0.1", database.port or 5432),
        }
        self.up = {what: port_open(port, host) for what, (host, port) in self.targets.items()}
        self.down_since: dict[str, float] = {}
        self.last = time.monotonic()

    def check(self) -> None:
        if time.monotonic() - self.last < 2.0:
            return
        self.last = time.monotonic()
        for what, (host, port) in self.targets.items():
            up = port_open(port, host)
            if up and not self.up[what] and what in self.down_since:
                say(f"{what} answers again after {time.monotonic() - self.down_since.pop(what):.0f}s")
            elif self.up[what] and not up:
                self.down_since[what] = time.monotonic()
                say(f"{what} does not answer: the services wait for it (those that exit are restarted with backoff)")
            self.up[what] = up


def run(layout: Layout, ports: Ports, bin_dir: Path | None = None, demo: bool = True, ready_timeout: float | None = None) -> int:
    from devstack.infra import ensure_infra

    bin_dir = bin_dir or Path(os.environ.get("DEVSTACK_BIN_DIR") or layout.venv_bin)
    ready_timeout = ready_timeout or float(os.environ.get("DEVSTACK_READY_TIMEOUT", "120"))
    other = read_pid(supervisor_pidfile(layout), expect_in_cmdline="devstack")
    if other is not None and other != os.getpid():
        emit(f"[devstack] error: devstack run is already running here (pid {other}); `make stop` stops it", err=True)
        return 1
    sup = Supervisor(layout, bin_dir, ready_timeout=ready_timeout)
    infra = None
    write_pid(supervisor_pidfile(layout), os.getpid())

    def interrupt(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        for name in ("legacy-simulator", "identity-admin") if demo else ():
            sup.command(name)
        groups = services(layout, ports)
        for group in groups:
            for service in group:
                sup.command(service.command)
        started = time.monotonic()
        infra = ensure_infra(layout.root, allow_docker=False)
        how = (
            "from EXTRANET_KAFKA_BOOTSTRAP / EXTRANET_DATABASE_URL"
            if infra.source == "env"
            else "started"
            if infra.started_here
            else "already running"
        )
        say(
            f"infrastructure: Kafka {infra.kafka_bootstrap}, PostgreSQL {infra.database_url.split('@')[-1]} "
            f"({how}, {time.monotonic() - started:.1f}s)"
        )
        keys.ensure_all(layout)
        env = common_env(layout, bin_dir, infra.kafka_bootstrap, infra.database_url, infra.kafka_security_protocol)
        for group in groups:
            for service in group:
                sup.start(service, env)
            sup.wait_ready(group, ready_timeout)
        data = load_demo(sup, env, ports) if demo else {}
        emit(summary(sup, ports, infra, data))
        # From here on a service that exits is restarted alone (Supervisor.supervise); Kafka and
        # PostgreSQL going away only gets said: the services that exit meanwhile are restarted, with
        # backoff, until they are back (restarted by `devstack infra up`, or by the fault suite).
        watch = InfraWatch(infra)
        while True:
            sup.supervise()
            watch.check()
            time.sleep(0.5)
    except Interrupted as exc:
        emit("")
        say(f"{exc.args[0] if exc.args else 'interrupted'}: stopping")
        code = 0
    except RuntimeError as exc:  # StackError, KafkaError, PostgresError, ...
        emit(f"[devstack] error: {exc}", err=True)
        code = 1
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        try:
            sup.stop_all()
            if infra is not None:
                if infra.started_here:
                    say("stopping Kafka and PostgreSQL")
                    infra.stop()
                elif infra.source == "embedded":
                    say("Kafka and PostgreSQL were running before: left running (`devstack infra down` stops them)")
            say("stopped")
        finally:
            supervisor_pidfile(layout).unlink(missing_ok=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return code
