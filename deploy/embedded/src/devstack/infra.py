"""Kafka and PostgreSQL for the services and the tests: whatever answers, else started here.

The embedded Kafka authenticates every client: an `Infra` carries its super user's credentials
(`admin`: devstack, the tests, the operator's commands), and ensure_infra makes the broker hold the
users, topics and ACLs of deploy/services.toml (devstack.kafka_access) before returning it."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devstack import kafka, kafka_access, keys, postgres
from devstack.config import KAFKA_VERSION, Layout, Ports, find_root
from devstack.procs import port_open


@dataclass
class Infra:
    kafka_bootstrap: str  # "127.0.0.1:9092"
    database_url: str  # "postgresql://extranet:<pw>@127.0.0.1:55432/extranet"
    started_here: bool  # True if this call started processes that stop() will stop
    source: str = "embedded"  # "env", "embedded" or "docker"
    kafka_security_protocol: str = "SASL_PLAINTEXT"  # PLAINTEXT: a broker without authentication
    kafka_username: str | None = None  # Kafka's super user on the embedded stack
    kafka_password: str | None = field(default=None, repr=False)
    _stoppers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def kafka_env(self) -> dict[str, str]:
        """The EXTRANET_KAFKA_* variables of a client acting as this super user."""
        env = {"EXTRANET_KAFKA_BOOTSTRAP": self.kafka_bootstrap, "EXTRANET_KAFKA_SECURITY_PROTOCOL": self.kafka_security_protocol}
        if self.kafka_username is not None and self.kafka_password is not None:
            env.update(EXTRANET_KAFKA_USERNAME=self.kafka_username, EXTRANET_KAFKA_PASSWORD=self.kafka_password)
        return env

    def stop(self) -> None:
        """Stop what this call started (Kafka first, then PostgreSQL), nothing else. Idempotent."""
        errors = []
        while self._stoppers:
            stopper = self._stoppers.pop(0)
            try:
                stopper()
            except Exception as exc:  # go on stopping the rest
                errors.append(exc)
        if errors:
            raise RuntimeError(f"stopping the infrastructure: {errors}")


def _log(message: str) -> None:
    print(f"[devstack] {message}", file=sys.stderr, flush=True)


def docker_engine_answers(timeout: float = 5.0) -> bool:
    """True if `docker info` reaches an engine quickly."""
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


@contextmanager
def _lock(layout: Layout) -> Iterator[None]:
    """Two processes calling ensure_infra at once must not both start a broker."""
    layout.run.mkdir(parents=True, exist_ok=True)
    with open(layout.run / "infra.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _embedded_reachable(ports: Ports) -> bool:
    return port_open(ports.kafka) and port_open(ports.postgres)


def _wrong_password(layout: Layout, ports: Ports) -> str:
    return (
        f"PostgreSQL on port {ports.postgres} refuses the password of {layout.secrets / keys.PG_PASSWORD}: "
        f"it is another checkout's stack (stop it with its `make stop`) or something else; or set "
        f"EXTRANET_PG_PORT and EXTRANET_KAFKA_PORT to free ports"
    )


def _embedded(layout: Layout, ports: Ports, password: str, started_here: bool) -> Infra:
    username, kafka_password = kafka.admin_credentials(layout)
    return Infra(
        f"127.0.0.1:{ports.kafka}",
        postgres.database_url(password, ports.postgres),
        started_here,
        "embedded",
        kafka_security_protocol=kafka.LISTENER,
        kafka_username=username,
        kafka_password=kafka_password,
    )


def _use_running(layout: Layout, ports: Ports) -> Infra:
    if not (layout.secrets / keys.PG_PASSWORD).is_file():
        raise RuntimeError(
            f"something answers on ports {ports.kafka} and {ports.postgres} but {layout.secrets} has no "
            f"PostgreSQL password: is it another project's stack? Stop it or set EXTRANET_KAFKA_PORT / EXTRANET_PG_PORT"
        )
    password = keys.pg_password(layout)
    if not postgres.answers(ports.postgres, password):
        raise RuntimeError(_wrong_password(layout, ports))
    infra = _embedded(layout, ports, password, False)
    kafka_access.apply(layout, infra.kafka_bootstrap)
    return infra


def _start_docker(layout: Layout) -> Infra:
    try:
        from testcontainers.community.kafka import KafkaContainer
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # older testcontainers layout
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

    image = os.environ.get("EXTRANET_TC_KAFKA_IMAGE", "confluentinc/cp-kafka:8.1.0")  # Apache Kafka 4.1 inside
    password = keys.pg_password(layout)
    infra = Infra("", "", True, "docker", kafka_security_protocol="PLAINTEXT")  # testcontainers' broker: no authentication
    _log(f"Docker engine found: starting {image} (KRaft) and postgres:15 with testcontainers")
    broker = KafkaContainer(image).with_kraft()
    broker.start(timeout=180)
    infra._stoppers.append(broker.stop)
    try:
        db = PostgresContainer(
            "postgres:15", username=postgres.ROLE, password=password, dbname=postgres.DATABASE, driver=None
        ).with_command("postgres -c max_connections=200")
        db.start()
    except Exception:
        infra.stop()
        raise
    infra._stoppers.append(db.stop)
    infra.kafka_bootstrap = broker.get_bootstrap_server()
    infra.database_url = db.get_connection_url()
    return infra


def _start_embedded(layout: Layout, ports: Ports) -> Infra:
    password = keys.pg_password(layout)
    try:
        keys.jwt_keys(layout)
        keys.seal_keys(layout)
    except ImportError:
        pass
    infra = _embedded(layout, ports, password, False)
    try:
        proc = None
        if not kafka.answers(infra.kafka_bootstrap, layout):
            _log(f"starting Kafka {KAFKA_VERSION} on 127.0.0.1:{ports.kafka} (log {layout.log(kafka.PROCESS)})")
            proc = kafka.start(layout, ports)
            infra.started_here = True

            def stop_kafka(proc=proc) -> None:
                kafka.stop(layout, proc.pid)
                proc.wait(timeout=5)

            infra._stoppers.append(stop_kafka)
        if not port_open(ports.postgres):
            _log(f"starting PostgreSQL on 127.0.0.1:{ports.postgres} (log {layout.log(postgres.PROCESS)})")
            infra._stoppers.append(lambda: postgres.stop(layout))
            infra.started_here = True
            postgres.start(layout, ports, password)
        elif not postgres.answers(ports.postgres, password):
            raise RuntimeError(_wrong_password(layout, ports))
        postgres.wait_ready(ports.postgres, password)
        if proc is not None:
            kafka.wait_ready(layout, ports, proc)
        kafka_access.apply(layout, infra.kafka_bootstrap, force=proc is not None)
    except BaseException:
        infra.stop()
        raise
    return infra


def ensure_infra(root: Path | None = None, *, allow_docker: bool = True) -> Infra:
    """Use what answers, else start it. Order: (1) env EXTRANET_KAFKA_BOOTSTRAP and EXTRANET_DATABASE_URL both
    set -> use them (Kafka's credentials: EXTRANET_KAFKA_USERNAME / _PASSWORD / _SECURITY_PROTOCOL, the
    protocol PLAINTEXT when no user is given); (2) the embedded stack already reachable on its ports -> use it; (3) a Docker engine
    answers (`docker info` succeeds quickly) -> testcontainers (Kafka 4 in KRaft mode, PostgreSQL 15);
    (4) otherwise start the embedded Kafka and PostgreSQL (background processes, pid files), wait until both
    accept connections, return with started_here=True.

    EXTRANET_INFRA=embedded skips (3); EXTRANET_INFRA=docker skips (2) and (4)."""
    bootstrap, url = os.environ.get("EXTRANET_KAFKA_BOOTSTRAP"), os.environ.get("EXTRANET_DATABASE_URL")
    if bootstrap and url:
        username = os.environ.get("EXTRANET_KAFKA_USERNAME") or None
        protocol = os.environ.get("EXTRANET_KAFKA_SECURITY_PROTOCOL") or ("SASL_PLAINTEXT" if username else "PLAINTEXT")
        return Infra(
            bootstrap,
            url,
            False,
            "env",
            kafka_security_protocol=protocol,
            kafka_username=username,
            kafka_password=os.environ.get("EXTRANET_KAFKA_PASSWORD") if username else None,
        )
    layout = Layout(Path(root).resolve() if root else find_root())
    ports = Ports.from_env(layout.root)
    mode = os.environ.get("EXTRANET_INFRA", "auto").strip().lower() or "auto"
    if mode not in ("auto", "embedded", "docker"):
        raise RuntimeError(f"EXTRANET_INFRA={mode!r}: expected auto, embedded or docker")
    with _lock(layout):
        if mode != "docker" and _embedded_reachable(ports):
            return _use_running(layout, ports)
        if mode == "docker" or (mode == "auto" and allow_docker and docker_engine_answers()):
            return _start_docker(layout)
        return _start_embedded(layout, ports)


def stop_embedded(root: Path | None = None) -> list[str]:
    """Stop the embedded Kafka and PostgreSQL of `root` from their pid files (used by `devstack infra down`)."""
    layout = Layout(Path(root).resolve() if root else find_root())
    stopped = []
    if kafka.stop(layout):
        stopped.append("kafka")
    if postgres.stop(layout):
        stopped.append("postgres")
    return stopped
