"""A checkout in a folder the `postgres` user cannot traverse (`mktemp -d`, mode 0700), as root: the
embedded PostgreSQL gets a folder of its own under /var/lib/extranet-devstack/ linked from .stack/,
starts, accepts a connection, shows in `devstack status`, stops, starts again on its data, and
`devstack clean` removes it with .stack/. Real processes, a throw-away root, a free port."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devstack import keys, postgres
from devstack.config import Layout, Ports
from devstack.procs import alive, port_open

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="only as root does PostgreSQL run as the `postgres` user, who may not reach the checkout"
)


@pytest.fixture
def private_root(monkeypatch, free_port):
    if postgres.bin_dir() is None:
        pytest.skip("PostgreSQL is not installed: run `make setup`")
    outer = Path(tempfile.mkdtemp(prefix="devstack-private-"))  # mode 0700, as mktemp -d makes it
    root = outer / "checkout"
    root.mkdir()
    (root / "Makefile").write_text("")
    (root / "constraints.txt").write_text("")
    for name in ("EXTRANET_KAFKA_BOOTSTRAP", "EXTRANET_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    # Free ports for everything a `devstack stop` or `status` might look at: not the default stack's.
    for name in ("EXTRANET_PG_PORT", "EXTRANET_KAFKA_PORT", "EXTRANET_KAFKA_CONTROLLER_PORT"):
        monkeypatch.setenv(name, str(free_port()))
    layout = Layout(root)
    yield layout
    try:
        postgres.stop(layout)
    finally:
        shutil.rmtree(postgres.external_home(layout), ignore_errors=True)
        shutil.rmtree(outer, ignore_errors=True)


def _devstack(layout: Layout, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "--root", str(layout.root), *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_postgres_runs_from_a_checkout_it_cannot_reach(private_root):
    layout = private_root
    assert stat.S_IMODE(layout.root.parent.stat().st_mode) == 0o700
    ports = Ports.from_env(layout.root)
    password = keys.pg_password(layout)

    postgres.start(layout, ports, password)
    postgres.wait_ready(ports.postgres, password, timeout=30)
    home = postgres.external_home(layout)
    assert home.parent == postgres.EXTERNAL_BASE and postgres.home(layout) == home
    assert layout.pgdata.is_symlink() and (layout.pgdata / "PG_VERSION").is_file()
    owner = home.stat()
    assert (owner.st_uid, stat.S_IMODE(owner.st_mode)) == (postgres._system_user().pw_uid, 0o700)
    assert (home / "checkout").read_text().strip() == str(layout.root)
    pid = postgres.running_pid(layout)
    assert pid and alive(pid)
    assert postgres.answers(ports.postgres, password)  # a real login as `extranet` over TCP
    status = _devstack(layout, "status")
    assert f"PostgreSQL data: {home / 'pgdata'}" in status
    assert any(line.split()[:2] == ["postgres", "running"] for line in status.splitlines()), status
    assert "database system is ready" in layout.log("postgres").read_text()  # the log, through its link

    assert "stopped: postgres" in _devstack(layout, "stop")
    assert postgres.running_pid(layout) is None and not alive(pid) and not port_open(ports.postgres)

    # Started again: the same cluster (no second initdb), the same password.
    postgres.start(layout, ports, password)
    postgres.wait_ready(ports.postgres, password, timeout=30)
    assert postgres.data_dir(layout) == home / "pgdata"

    out = _devstack(layout, "clean")
    assert f"removed {home}" in out and f"removed {layout.stack}" in out
    assert not home.exists() and not layout.stack.exists() and not port_open(ports.postgres)
