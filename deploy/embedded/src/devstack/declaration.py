"""Reads deploy/services.toml, the one declaration of the platform's processes (name, command, ports,
readiness path, start group, environment) and of what each Kafka principal may read and write.
Standard library only (tomllib)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE = Path("deploy") / "services.toml"
KINDS = ("service", "devtool")
# Names the infrastructure's ports take among the placeholders {ports.<name>} (devstack.config.Ports).
INFRA_PORTS = ("kafka", "kafka_controller", "postgres")
_PROCESS_KEYS = {"name", "command", "kind", "deploy_name", "group", "port", "other_ports", "ready_path", "env", "banner", "kafka"}
_KAFKA_KEYS = {"consumes", "produces", "groups", "follows"}
_CLIENT_KEYS = {"name", "command", "env", "kafka"}
_DEMO_KEYS = ("events_applied_by", "brokers_registered_by")
# Kafka principals the stack itself uses: its super user, and the controller listener's.
RESERVED_PRINCIPALS = ("admin", "controller")
DLQ_SUFFIX = ".dlq"
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_STREAM = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$")


class DeclarationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Port:
    name: str  # {ports.<name>}
    default: int
    env: str  # the variable that overrides the default


@dataclass(frozen=True)
class KafkaAccess:
    """What one Kafka principal may do: read `consumes` in its consumer `groups`, write `produces`,
    and the dead-letter topics of what it consumes (the consumer dead-letters); read `follows` from
    the beginning without a consumer group (every replica reads all of it: the revoked sessions).
    Stream names, without the tests' prefix."""

    principal: str
    consumes: tuple[str, ...]
    produces: tuple[str, ...]
    groups: tuple[str, ...]
    follows: tuple[str, ...] = ()

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(sorted({*self.consumes, *self.follows}))

    @property
    def writes(self) -> tuple[str, ...]:
        return tuple(sorted({*self.produces, *(stream + DLQ_SUFFIX for stream in self.consumes)}))

    @property
    def topics(self) -> tuple[str, ...]:
        """Every topic the principal touches (they are created beforehand: it may create none)."""
        return tuple(sorted({*self.consumes, *self.follows, *self.writes}))


@dataclass(frozen=True)
class Client:
    """A Kafka client that is not a process of `devstack run` (the legacy simulator, run for the demo)."""

    name: str
    command: str
    env: Mapping[str, str]
    kafka: KafkaAccess


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    kind: str  # "service" or "devtool"
    deploy_name: str | None  # its name in docker-compose.yml and deploy/k8s/ (services only)
    group: int
    port: Port  # the one answering ready_path
    other_ports: tuple[Port, ...]
    ready_path: str
    env: Mapping[str, str]  # templates (see expand)
    banner: tuple[tuple[str, str], ...]  # (label, template)
    kafka: KafkaAccess | None = None  # services using Kafka: their principal is their deploy_name

    @property
    def ports(self) -> tuple[Port, ...]:
        return (self.port, *self.other_ports)


@dataclass(frozen=True)
class Declaration:
    path: Path
    processes: tuple[Process, ...]  # in the file's order
    demo: Mapping[str, str]  # role -> process name
    clients: tuple[Client, ...] = ()
    retention_ms: Mapping[str, int] = field(default_factory=dict)  # topics kept for a short time only

    def topic_config(self, topic: str) -> dict[str, str]:
        """The configuration a topic is created with (beyond the broker's defaults)."""
        return {"retention.ms": str(self.retention_ms[topic])} if topic in self.retention_ms else {}

    def kafka_principals(self) -> list[KafkaAccess]:
        """Every Kafka principal of the platform, the processes' first, in the file's order."""
        return [p.kafka for p in self.processes if p.kafka] + [c.kafka for c in self.clients]

    def client(self, name: str) -> Client:
        for client in self.clients:
            if client.name == name:
                return client
        raise KeyError(name)

    def process(self, name: str) -> Process:
        for process in self.processes:
            if process.name == name:
                return process
        raise KeyError(name)

    def groups(self) -> list[list[Process]]:
        """Start order: each inner list is started together, then waited for."""
        numbers = sorted({p.group for p in self.processes})
        return [[p for p in self.processes if p.group == n] for n in numbers]

    def start_order(self) -> list[Process]:
        return [p for group in self.groups() for p in group]

    def listing_order(self) -> list[Process]:
        """`devstack status`: the services, then the devtools, each in the file's order."""
        return [p for kind in KINDS for p in self.processes if p.kind == kind]

    def services(self) -> list[Process]:
        """The platform services (also in docker-compose.yml and deploy/k8s/)."""
        return [p for p in self.processes if p.kind == "service"]

    def ports(self) -> list[Port]:
        return [port for p in self.processes for port in p.ports]


def path_for(root: Path | None = None) -> Path:
    """<root>/deploy/services.toml, else the one of the checkout holding this package (a throw-away
    root of the tests has none)."""
    if root is not None and (root / FILE).is_file():
        return root / FILE
    return Path(__file__).resolve().parents[4] / FILE


def load(root: Path | None = None) -> Declaration:
    path = path_for(root)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise DeclarationError(f"cannot read the processes' declaration {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DeclarationError(f"{path}: {exc}") from None
    return parse(data, path)


def parse(data: Mapping[str, Any], path: Path) -> Declaration:
    def fail(message: str) -> DeclarationError:
        return DeclarationError(f"{path}: {message}")

    unknown = set(data) - {"process", "demo", "kafka_client", "retention_ms"}
    if unknown:
        raise fail(f"unknown table(s) {sorted(unknown)}")
    entries = data.get("process")
    if not isinstance(entries, list) or not entries:
        raise fail("no [[process]]")
    processes = tuple(_process(entry, i, fail) for i, entry in enumerate(entries, 1))
    raw_clients = data.get("kafka_client", [])
    if not isinstance(raw_clients, list):
        raise fail("[[kafka_client]] must be an array of tables")
    clients = tuple(_client(entry, i, fail) for i, entry in enumerate(raw_clients, 1))
    principals = [p.kafka.principal for p in processes if p.kafka] + [c.name for c in clients]
    for what, values in (
        ("process name", [p.name for p in processes]),
        ("deploy_name", [p.deploy_name for p in processes if p.deploy_name]),
        ("port name", [*INFRA_PORTS, *(port.name for p in processes for port in p.ports)]),
        ("port variable", [port.env for p in processes for port in p.ports]),
        ("Kafka principal", [*RESERVED_PRINCIPALS, *principals]),
    ):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise fail(f"{what} declared twice: {', '.join(twice)}")
    demo = data.get("demo", {})
    if not isinstance(demo, dict) or set(demo) != set(_DEMO_KEYS):
        raise fail(f"[demo] must name the processes {', '.join(_DEMO_KEYS)}")
    names = {p.name for p in processes}
    for role, name in demo.items():
        if name not in names:
            raise fail(f"[demo] {role} = {name!r}: no such process")
    retention = data.get("retention_ms", {})
    if not isinstance(retention, dict) or not all(
        isinstance(k, str) and _STREAM.match(k) and isinstance(v, int) and not isinstance(v, bool) and (v > 0 or v == -1)
        for k, v in retention.items()
    ):
        raise fail("[retention_ms] maps stream names to milliseconds (-1: forever)")
    return Declaration(path, processes, dict(demo), clients, dict(retention))


def _process(entry: Any, index: int, fail) -> Process:
    if not isinstance(entry, dict):
        raise fail(f"process #{index} is not a table")
    where = f"process #{index} ({entry.get('name', '?')})"
    unknown = set(entry) - _PROCESS_KEYS
    if unknown:
        raise fail(f"{where}: unknown key(s) {sorted(unknown)}")

    def text(key: str, required: bool = True) -> str | None:
        value = entry.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise fail(f"{where}: `{key}` must be a non-empty string")
        return value

    def port(value: Any) -> Port:
        if not isinstance(value, dict) or set(value) != {"name", "default", "env"}:
            raise fail(f"{where}: a port is {{ name = ..., default = ..., env = ... }}, not {value!r}")
        name, default, env = value["name"], value["default"], value["env"]
        if not (isinstance(name, str) and name.isidentifier() and isinstance(env, str) and env):
            raise fail(f"{where}: port {value!r}: `name` must be an identifier and `env` a variable name")
        if not isinstance(default, int) or not 0 < default < 65536:
            raise fail(f"{where}: port {name}: default {default!r} is not a port number")
        return Port(name, default, env)

    kind = text("kind")
    if kind not in KINDS:
        raise fail(f"{where}: kind {kind!r}: expected one of {', '.join(KINDS)}")
    deploy_name = text("deploy_name", required=False)
    if (kind == "service") != (deploy_name is not None):
        raise fail(f"{where}: a service has a deploy_name, a devtool none")
    group = entry.get("group")
    if not isinstance(group, int) or group < 1:
        raise fail(f"{where}: group must be a positive integer")
    ready_path = text("ready_path")
    if not ready_path.startswith("/"):
        raise fail(f"{where}: ready_path must start with /")
    env = entry.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise fail(f"{where}: env must be a table of strings")
    banner = entry.get("banner", [])
    if not isinstance(banner, list) or not all(isinstance(b, list) and len(b) == 2 and all(isinstance(s, str) for s in b) for b in banner):
        raise fail(f"{where}: banner must be a list of [label, text]")
    other_ports = entry.get("other_ports", [])
    if not isinstance(other_ports, list):
        raise fail(f"{where}: other_ports must be a list")
    kafka = None
    if "kafka" in entry:
        if kind != "service":
            raise fail(f"{where}: only a service has a [process.kafka] table")
        kafka = _kafka(entry["kafka"], deploy_name, where, fail)
    return Process(
        name=text("name"),
        command=text("command"),
        kind=kind,
        deploy_name=deploy_name,
        group=group,
        port=port(entry.get("port")),
        other_ports=tuple(port(p) for p in other_ports),
        ready_path=ready_path,
        env=dict(env),
        banner=tuple((label, template) for label, template in banner),
        kafka=kafka,
    )


def _kafka(value: Any, principal: str, where: str, fail) -> KafkaAccess:
    if not isinstance(value, dict) or not set(value) <= _KAFKA_KEYS:
        raise fail(f"{where}: the kafka table has the keys {sorted(_KAFKA_KEYS)} only")
    lists = {}
    for key in sorted(_KAFKA_KEYS):
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items) or len(set(items)) != len(items):
            raise fail(f"{where}: kafka.{key} must be a list of distinct names")
        pattern = _NAME if key == "groups" else _STREAM
        wrong = [i for i in items if not pattern.match(i) or i.endswith(DLQ_SUFFIX)]
        if wrong:
            raise fail(
                f"{where}: kafka.{key}: {wrong} are not {'group' if key == 'groups' else 'stream'} names (no prefix, no {DLQ_SUFFIX})"
            )
        lists[key] = tuple(items)
    if bool(lists["consumes"]) != bool(lists["groups"]):
        raise fail(f"{where}: kafka.consumes and kafka.groups go together (a consumer reads in a group)")
    return KafkaAccess(principal, lists["consumes"], lists["produces"], lists["groups"], lists["follows"])


def _client(entry: Any, index: int, fail) -> Client:
    where = f"kafka_client #{index} ({entry.get('name', '?') if isinstance(entry, dict) else '?'})"
    if not isinstance(entry, dict) or set(entry) - _CLIENT_KEYS or not {"name", "command", "kafka"} <= set(entry):
        raise fail(f"{where}: a [[kafka_client]] has name, command, kafka and optionally env")
    name, command, env = entry["name"], entry["command"], entry.get("env", {})
    if not isinstance(name, str) or not _NAME.match(name) or not isinstance(command, str) or not command:
        raise fail(f"{where}: `name` must be a lower-case name and `command` a non-empty string")
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise fail(f"{where}: env must be a table of strings")
    return Client(name, command, dict(env), _kafka(entry["kafka"], name, where, fail))


def expand(template: str, values: Mapping[str, Any], *, what: str) -> str:
    """`template` with its {placeholders} filled from `values` (attribute access allowed: {ports.identity})."""
    try:
        return template.format_map(values)
    except (KeyError, AttributeError, IndexError, ValueError) as exc:
        raise DeclarationError(f"{what}: cannot fill {template!r}: unknown placeholder {exc}") from None
