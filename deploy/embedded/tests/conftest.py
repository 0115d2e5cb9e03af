"""Fixtures of the devstack tests: a throw-away project root and free ports, so that nothing here
touches the real .stack/ or the default ports of a stack that may be running."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def free_port():
    """A function returning a TCP port nobody listens on."""

    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick


@pytest.fixture
def tmp_root(monkeypatch: pytest.MonkeyPatch):
    """A project root under /tmp that the `postgres` user can traverse (pytest's own tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="devstack-test-", dir="/tmp"))
    os.chmod(path, 0o755)
    (path / "Makefile").write_text("")
    (path / "constraints.txt").write_text("")
    for name in ("EXTRANET_KAFKA_BOOTSTRAP", "EXTRANET_DATABASE_URL", "EXTRANET_KAFKA_USERNAME", "EXTRANET_KAFKA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXTRANET_INFRA", "embedded")
    yield path
    shutil.rmtree(path, ignore_errors=True)
