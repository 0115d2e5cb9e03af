"""The embedded PostgreSQL: the Debian package's binaries, our own cluster in .stack/pgdata, our own
port, listening on 127.0.0.1 only, its unix socket inside .stack/. Standard library only.

As root, PostgreSQL runs as the `postgres` user. When that user cannot reach .stack/ (a checkout
in a private folder, e.g. `mktemp -d`), the cluster, its socket folder and its log live in a folder
of this checkout's own under /var/lib/extranet-devstack/ instead, and .stack/pgdata and
.stack/logs/postgres.log are symbolic links to them: `devstack clean` (`make clean`) removes both."""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from devstack.config import Layout, Ports
from devstack.procs import port_open, tail

PROCESS = "postgres"
ROLE = "extranet"
DATABASE = "extranet"
SYSTEM_USER = "postgres"
# Where clusters go that the postgres user could not reach in their checkout: one folder per checkout.
EXTERNAL_BASE = Path("/var/lib/extranet-devstack")


class PostgresError(RuntimeError):
    pass


def bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin holding initdb, if any."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        return None
    found.sort(key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent


def database_url(password: str, port: int) -> str:
    return f"postgresql://{ROLE}:{quote(password, safe='')}@127.0.0.1:{port}/{DATABASE}"


def _as_root() -> bool:
    return os.geteuid() == 0


def _wrap(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` user then."""
    if _as_root():
        return ["runuser", "-u", SYSTEM_USER, "--", *cmd]
    return cmd


def _bins() -> Path:
    found = bin_dir()
    if found is None:
        raise PostgresError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `make setup`")
    return found


def external_home(layout: Layout) -> Path:
    """The folder this checkout's cluster gets when the postgres user cannot reach .stack/."""
    return EXTERNAL_BASE / hashlib.sha256(str(layout.root).encode()).hexdigest()[:12]


def home(layout: Layout) -> Path | None:
    """The folder outside the checkout holding the cluster, if .stack/pgdata points there; else None."""
    if not layout.pgdata.is_symlink():
        return None
    return Path(os.readlink(layout.pgdata)).parent


def data_dir(layout: Layout) -> Path:
    """The cluster's real folder (the postgres user cannot follow the link in .stack/)."""
    found = home(layout)
    return found / "pgdata" if found else layout.pgdata


def log_file(layout: Layout) -> Path:
    found = home(layout)
    return found / "postgres.log" if found else layout.log(PROCESS)


def socket_dir(layout: Layout, ports: Ports) -> Path:
    """The socket folder inside .stack/ (or beside an external cluster), unless its path is too long
    for a unix socket (107 bytes)."""
    found = home(layout)
    wanted = found / "run" if found else layout.pg_socket_dir
    if len(str(wanted)) + len(f"/.s.PGSQL.{ports.postgres}.lock") < 100:
        return wanted
    digest = hashlib.sha256(str(layout.root).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"devstack-pg-{digest}"


def _reachable(path: Path) -> bool:
    """True if the postgres user can traverse to `path` (we are root)."""
    return subprocess.run(["runuser", "-u", SYSTEM_USER, "--", "test", "-x", str(path)], capture_output=True, cwd="/").returncode == 0


def _system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresError(
            "running as root, but there is no `postgres` system user to run PostgreSQL as "
            "(the Debian postgresql package creates it: run `make setup`)"
        ) from None


def _move_out(layout: Layout, user: pwd.struct_passwd) -> None:
    """Give the cluster a folder of its own under EXTERNAL_BASE, linked from .stack/."""
    target = external_home(layout)
    if layout.pgdata.exists():
        if (layout.pgdata / "PG_VERSION").exists():
            raise PostgresError(
                f"{layout.pgdata} holds a cluster that the `postgres` user cannot reach any more: make {layout.root} "
                f"and its parents traversable again (chmod o+x), or remove {layout.pgdata} (its data is lost) "
                f"to have a new one made in {EXTERNAL_BASE}"
            )
        shutil.rmtree(layout.pgdata)  # an empty folder left by an attempt that stopped at the check above
    if target.exists():
        # No link to it in .stack/: what is there is left from an earlier checkout at this path.
        stale = _postmaster_pid(target / "pgdata")
        if stale is not None:
            raise PostgresError(
                f"a PostgreSQL (pid {stale}) of an earlier checkout at {layout.root} still runs from {target}: stop it "
                f"(runuser -u {SYSTEM_USER} -- {_bins() / 'pg_ctl'} stop -D {target / 'pgdata'}) or remove that folder"
            )
        shutil.rmtree(target)
    EXTERNAL_BASE.mkdir(mode=0o755, parents=True, exist_ok=True)
    target.mkdir(mode=0o700)
    (target / "checkout").write_text(f"{layout.root}\n")  # whose it is, for a person looking at the folder
    for folder in (target / "pgdata", target / "run"):
        folder.mkdir(mode=0o700)
    for path in (target, target / "pgdata", target / "run"):
        os.chown(path, user.pw_uid, user.pw_gid)
    if not _reachable(target / "pgdata"):
        raise PostgresError(f"the `postgres` user cannot reach {target} either: check the permissions of {EXTERNAL_BASE}")
    log = layout.log(PROCESS)
    if log.exists() or log.is_symlink():
        log.unlink()
    log.symlink_to(target / "postgres.log")
    layout.pgdata.symlink_to(target / "pgdata")


def _prepare_dirs(layout: Layout, ports: Ports) -> Path:
    """Create the data, socket and log places, owned by the postgres user when we are root."""
    for d in (layout.stack, layout.run, layout.logs):
        d.mkdir(parents=True, exist_ok=True)
    user = _system_user() if _as_root() else None
    if home(layout) is not None and not home(layout).is_dir():
        layout.pgdata.unlink()  # its folder is gone (removed by hand): decide afresh
    if user is not None and home(layout) is None and not _reachable(layout.stack):
        _move_out(layout, user)
    data, sock, logfile = data_dir(layout), socket_dir(layout, ports), log_file(layout)
    sock.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    logfile.touch(exist_ok=True)
    os.chmod(data, 0o700)
    os.chmod(sock, 0o700)
    if user is not None:
        for path in (sock, logfile):
            os.chown(path, user.pw_uid, user.pw_gid)
        if data.stat().st_uid != user.pw_uid:
            for dirpath, _dirnames, filenames in os.walk(data):
                os.chown(dirpath, user.pw_uid, user.pw_gid)
                for name in filenames:
                    os.chown(os.path.join(dirpath, name), user.pw_uid, user.pw_gid, follow_symlinks=False)
    return sock


def _initdb_once(layout: Layout) -> None:
    data = data_dir(layout)
    if (data / "PG_VERSION").is_file():
        return
    result = subprocess.run(
        _wrap(
            [
                str(_bins() / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        ),
        capture_output=True,
        text=True,
        timeout=180,
        cwd="/",  # the postgres user may not be able to enter the checkout
    )
    if result.returncode != 0:
        raise PostgresError(f"initdb failed:\n{result.stdout}{result.stderr}")


def _postmaster_pid(data: Path) -> int | None:
    from devstack.procs import alive

    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if alive(pid) else None


def running_pid(layout: Layout) -> int | None:
    """The postmaster's pid from its own postmaster.pid, if it runs."""
    return _postmaster_pid(data_dir(layout))


def start(layout: Layout, ports: Ports, password: str) -> None:
    """initdb once, start the server (pg_ctl -w), create role and database if missing."""
    if port_open(ports.postgres):
        raise PostgresError(f"port {ports.postgres} is already taken by another process; set EXTRANET_PG_PORT to a free port")
    sock = _prepare_dirs(layout, ports)
    _initdb_once(layout)
    options = f"-p {ports.postgres} -c listen_addresses=127.0.0.1 -k {sock} -c max_connections=200"
    result = subprocess.run(
        _wrap(
            [str(_bins() / "pg_ctl"), "start", "-D", str(data_dir(layout)), "-l", str(log_file(layout)), "-w", "-t", "60", "-o", options]
        ),
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd="/",
    )
    if result.returncode != 0:
        raise PostgresError(
            f"PostgreSQL did not start ({result.stdout.strip()} {result.stderr.strip()}); "
            f"see {layout.log(PROCESS)}:\n{tail(layout.log(PROCESS))}"
        )
    pid = running_pid(layout)
    if pid:
        (layout.pidfile(PROCESS)).write_text(f"{pid}\n")
    _provision(layout, ports, sock, password)


def _psql_super(ports: Ports, sock: Path, sql: str) -> str:
    result = subprocess.run(
        [
            str(_bins() / "psql"),
            "-h",
            str(sock),
            "-p",
            str(ports.postgres),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise PostgresError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def _provision(layout: Layout, ports: Ports, sock: Path, password: str) -> None:
    literal = "'" + password.replace("'", "''") + "'"
    _psql_super(
        ports,
        sock,
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} LOGIN;
          END IF;
        END $$;
        SET password_encryption = 'scram-sha-256';
        ALTER ROLE {ROLE} WITH LOGIN CREATEDB PASSWORD {literal};
    """,
    )
    if _psql_super(ports, sock, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":
        _psql_super(ports, sock, f"CREATE DATABASE {DATABASE} OWNER {ROLE}")


def answers(port: int, password: str | None = None, timeout: float = 5.0) -> bool:
    """True if the server accepts a TCP connection as `extranet` (or just a TCP connect, without password)."""
    if not port_open(port):
        return False
    if password is None:
        return True
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT=str(int(timeout)))
    psql = (bin_dir() / "psql") if bin_dir() else shutil.which("psql")
    if not psql:
        return True
    result = subprocess.run(
        [str(psql), "-h", "127.0.0.1", "-p", str(port), "-U", ROLE, "-d", DATABASE, "-X", "-A", "-t", "-c", "SELECT 1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout + 5,
        stdin=subprocess.DEVNULL,
    )
    return result.returncode == 0 and result.stdout.strip() == "1"


def wait_ready(port: int, password: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(port, password):
            return
        time.sleep(0.3)
    raise PostgresError(f"PostgreSQL did not accept a connection as {ROLE} on 127.0.0.1:{port} within {timeout:.0f}s")


def stop(layout: Layout) -> bool:
    """`pg_ctl stop -m fast`. True if a server was running."""
    pidfile = layout.pidfile(PROCESS)
    if running_pid(layout) is None:
        pidfile.unlink(missing_ok=True)
        return False
    result = subprocess.run(
        _wrap([str(_bins() / "pg_ctl"), "stop", "-D", str(data_dir(layout)), "-m", "fast", "-w", "-t", "60"]),
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
        cwd="/",
    )
    if result.returncode != 0 and running_pid(layout) is not None:
        raise PostgresError(f"pg_ctl stop failed: {result.stdout}{result.stderr}")
    pidfile.unlink(missing_ok=True)
    return True


def remove_external(layout: Layout) -> list[Path]:
    """Remove the cluster's folder outside the checkout, if it has one (`devstack clean`); the server
    must be stopped. Only folders under EXTERNAL_BASE are touched, whatever the link says."""
    if running_pid(layout) is not None:
        raise PostgresError(f"PostgreSQL still runs from {data_dir(layout)}: `devstack stop` first")
    removed = []
    for folder in {home(layout), external_home(layout)}:
        if folder is not None and folder.parent == EXTERNAL_BASE and folder.is_dir():
            shutil.rmtree(folder)
            removed.append(folder)
    return removed
