"""Where things live and which ports they use. Standard library only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
    "legacy",
    "deploy/embedded",
)
# What `make test` needs besides the packages' own dependencies (versions from constraints.txt):
# the root pytest.ini's plugins, and testcontainers for ensure_infra's Docker path.
# Optional dependencies installed with a package: the test tools come with the plumbing's pytest plugin.
EXTRAS = {"plumbing": "test"}


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
    kafka: int
    kafka_controller: int
    postgres: int
    gateway: int
    identity: int = 8101
    portfolio: int = 8102
    notifications: int = 8105
    mail_smtp: int = 2525  # the local SMTP server (devstack.mailbox)
    mail_web: int = 8025   # its web page
    sms: int = 8026        # the local SMS API and its web page (devstack.smsbox)

    @classmethod
    def from_env(cls) -> "Ports":
        return cls(
            kafka=_port("EXTRANET_KAFKA_PORT", 9092),
            kafka_controller=_port("EXTRANET_KAFKA_CONTROLLER_PORT", 9093),
            postgres=_port("EXTRANET_PG_PORT", 55432),
            gateway=_port("EXTRANET_GATEWAY_PORT", 8000),
            identity=_port("EXTRANET_IDENTITY_PORT", 8101),
            portfolio=_port("EXTRANET_PORTFOLIO_PORT", 8102),
            notifications=_port("EXTRANET_NOTIFICATIONS_PORT", 8105),
            mail_smtp=_port("EXTRANET_MAIL_SMTP_PORT", 2525),
            mail_web=_port("EXTRANET_MAIL_WEB_PORT", 8025),
            sms=_port("EXTRANET_SMS_PORT", 8026),
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
