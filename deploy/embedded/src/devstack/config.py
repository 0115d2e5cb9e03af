"""Where things live and which ports they use (the processes' ports: deploy/services.toml). Standard library only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from devstack import declaration

KAFKA_VERSION = "4.1.1"
PACKAGE_DIRS = (
    "contracts",
    "plumbing",
    "services/identity",
    "services/portfolio",
    "services/enrollment",
    "services/claims",
    "services/notifications",
    "gateway",
    "portals",
    "legacy",
    "deploy/embedded",
)
# What `make test` needs besides the packages' own dependencies (versions from constraints.txt):
# the root pytest.ini's plugins, and testcontainers for ensure_infra's Docker path.
# Optional dependencies installed with a package: the test tools come with the plumbing's pytest plugin.
EXTRAS = {"plumbing": "test", "portals": "test"}


def find_root(start: Path | None = None) -> Path:
    """The repository root: the first directory up from `start` (default: this file) holding
    both `Makefile` and `constraints.txt`."""
    here = (start or Path(__file__)).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Makefile").is_file() and (candidate / "constraints.txt").is_file():
            return candidate
    raise RuntimeError(f"no repository root (a folder with Makefile and constraints.txt) above {here}")


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name}={raw!r} is not a port number") from None


# Sandbox credentials of the local SMS API (devstack.smsbox): nothing leaves the machine.
SMS_ACCOUNT_SID = "AC" + "d0" * 16
SMS_AUTH_TOKEN = "devstack-sms-token"


@dataclass(frozen=True)
class Ports:
    """The infrastructure's ports, and the processes' ports of deploy/services.toml by name
    (`ports["identity"]`, `ports["mail_smtp"]`)."""

    kafka: int
    kafka_controller: int
    postgres: int
    processes: Mapping[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> int:
        if name in declaration.INFRA_PORTS:
            return getattr(self, name)
        try:
            return self.processes[name]
        except KeyError:
            raise KeyError(f"no port named {name!r} (deploy/services.toml declares {', '.join(self.processes)})") from None

    def names(self) -> SimpleNamespace:
        """Every port as an attribute, for the placeholders {ports.<name>} of deploy/services.toml."""
        return SimpleNamespace(**{name: self[name] for name in (*declaration.INFRA_PORTS, *self.processes)})

    @classmethod
    def from_env(cls, root: Path | None = None) -> Ports:
        """Defaults, or the environment's EXTRANET_*_PORT; the processes' from `root`'s deploy/services.toml."""
        declared = declaration.load(root)
        return cls(
            kafka=_port("EXTRANET_KAFKA_PORT", 9092),
            kafka_controller=_port("EXTRANET_KAFKA_CONTROLLER_PORT", 9093),
            postgres=_port("EXTRANET_PG_PORT", 55432),
            processes={port.name: _port(port.env, port.default) for port in declared.ports()},
        )


@dataclass(frozen=True)
class Layout:
    """The runtime state under `<root>/.stack/` (git-ignored)."""

    root: Path

    @property
    def stack(self) -> Path:
        return self.root / ".stack"

    @property
    def markers(self) -> Path:
        return self.stack / "markers"

    @property
    def logs(self) -> Path:
        return self.stack / "logs"

    @property
    def run(self) -> Path:
        return self.stack / "run"

    @property
    def secrets(self) -> Path:
        return self.stack / "secrets"

    @property
    def kafka(self) -> Path:
        return self.stack / "kafka"

    @property
    def kafka_libs(self) -> Path:
        return self.kafka / "libs"

    @property
    def kafka_data(self) -> Path:
        return self.kafka / "data"

    @property
    def pgdata(self) -> Path:
        return self.stack / "pgdata"

    @property
    def pg_socket_dir(self) -> Path:
        return self.run / "pg"

    @property
    def mail(self) -> Path:
        """Mail received by the local SMTP server, one .eml file per message."""
        return self.stack / "mail"

    @property
    def sms(self) -> Path:
        """SMS received by the local SMS API (messages.jsonl)."""
        return self.stack / "sms"

    @property
    def demo_marker(self) -> Path:
        return self.stack / "demo-loaded"

    @property
    def venv_bin(self) -> Path:
        return self.root / ".venv" / "bin"

    def log(self, process: str) -> Path:
        return self.logs / f"{process}.log"

    def pidfile(self, process: str) -> Path:
        return self.run / f"{process}.pid"

    def kafka_source_dir(self) -> Path:
        """deploy/embedded/kafka (pom.xml, log4j2.xml): in the root, else beside this package."""
        in_root = self.root / "deploy" / "embedded" / "kafka"
        if (in_root / "pom.xml").is_file():
            return in_root
        return Path(__file__).resolve().parents[2] / "kafka"
