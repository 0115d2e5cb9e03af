"""`devstack setup`: Python packages, PostgreSQL, Kafka's jars, secrets. Idempotent, quick when done.
Standard library only: it runs with the venv's interpreter before the packages are installed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from devstack import postgres
from devstack.config import EXTRAS, KAFKA_VERSION, PACKAGE_DIRS, Layout


class SetupError(RuntimeError):
    pass


def say(message: str) -> None:
    print(f"[setup] {message}", flush=True)


def _run(cmd: list[str], what: str, env: dict | None = None, cwd: Path | None = None) -> None:
    result = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SetupError(f"{what} failed (exit {result.returncode}): {' '.join(cmd)}")


class Apt:
    """apt-get, with one `apt-get update` per set-up at most."""

    def __init__(self) -> None:
        self.updated = False

    def install(self, *packages: str) -> None:
        if os.geteuid() != 0:
            raise SetupError(
                f"{', '.join(packages)} missing and not root: install them (apt-get install -y "
                f"{' '.join(packages)}) or run the set-up as root"
            )
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if not self.updated:
            _run(["apt-get", "update", "-q"], "apt-get update", env=env)
            self.updated = True
        _run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], f"installing {' '.join(packages)}", env=env)


def _digest(paths: list[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for path in paths:
        h.update(str(path).encode())
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()


def _marker(layout: Layout, name: str) -> Path:
    layout.markers.mkdir(parents=True, exist_ok=True)
    return layout.markers / name


def python_packages(layout: Layout) -> str:
    root = layout.root
    dirs = [d for d in PACKAGE_DIRS if (root / d / "pyproject.toml").is_file()]
    missing = sorted(set(PACKAGE_DIRS) - set(dirs))
    files = [root / "constraints.txt"] + [root / d / "pyproject.toml" for d in dirs]
    digest = _digest(files, extra=f"{sys.version_info[:2]}|{'|'.join(dirs)}|{EXTRAS}")
    marker = _marker(layout, "python")
    if marker.is_file() and marker.read_text().strip() == digest:
        return "up to date"
    python = layout.root / ".venv" / "bin" / "python"
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(root / "constraints.txt")]
    for d in dirs:
        cmd += ["-e", str(root / d) + (f"[{EXTRAS[d]}]" if d in EXTRAS else "")]
    say(f"installing {len(dirs)} packages and their test tools into .venv (pip, constraints.txt)")
    _run(cmd, "pip install", cwd=root)
    marker.write_text(digest + "\n")
    return "installed" + (f" (no pyproject.toml yet in: {', '.join(missing)})" if missing else "")


def postgresql(layout: Layout, apt: Apt) -> str:
    found = postgres.bin_dir()
    if found is not None:
        return f"present ({found.parent.name})"
    conf = Path("/etc/postgresql-common/createcluster.conf")
    if os.geteuid() == 0:
        conf.parent.mkdir(parents=True, exist_ok=True)
        text = conf.read_text() if conf.is_file() else ""
        if "create_main_cluster = false" not in text:
            conf.write_text(text + ("\n" if text and not text.endswith("\n") else "") + "create_main_cluster = false\n")
    apt.install("postgresql")
    found = postgres.bin_dir()
    if found is None:
        raise SetupError("the postgresql package is installed but there is no /usr/lib/postgresql/*/bin/initdb")
    return f"installed ({found.parent.name})"


def kafka_libs(layout: Layout, apt: Apt) -> str:
    missing = [p for p, tool in (("openjdk-17-jre-headless", "java"), ("maven", "mvn")) if not shutil.which(tool)]
    if missing:
        apt.install(*missing)
    pom = layout.kafka_source_dir() / "pom.xml"
    digest = f"kafka {KAFKA_VERSION} " + _digest([pom])[:16]
    marker = _marker(layout, "kafka-libs")
    libs = layout.kafka_libs
    if marker.is_file() and marker.read_text().strip() == digest and any(libs.glob("kafka_2.13-*.jar")):
        return f"up to date (Kafka {KAFKA_VERSION})"
    staging = libs.with_name("libs.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    say(f"resolving Kafka {KAFKA_VERSION} jars with Maven")
    result = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"],
        cwd=pom.parent,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:  # (its output is only noise when it works)
        raise SetupError(
            f"mvn dependency:copy-dependencies failed (exit {result.returncode}):\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )
    if not any(staging.glob("kafka_2.13-*.jar")):
        raise SetupError(f"Maven ran but {staging} holds no kafka_2.13 jar")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    marker.write_text(digest + "\n")
    return f"resolved ({len(list(libs.glob('*.jar')))} jars)"


def secrets_step(layout: Layout) -> str:
    from devstack import keys

    had = all((layout.secrets / n).is_file() for n in (keys.PG_PASSWORD, keys.JWT_PRIVATE, keys.JWT_PUBLIC))
    try:
        keys.ensure_all(layout)
    except ImportError:
        return "skipped (no `cryptography` in the venv yet)"
    return "present" if had else f"generated into {layout.secrets}"


def run_setup(layout: Layout, python: bool = True) -> None:
    layout.stack.mkdir(parents=True, exist_ok=True)
    apt = Apt()
    steps = []
    if python:
        steps.append(("python packages", lambda: python_packages(layout)))
    steps += [
        ("postgresql", lambda: postgresql(layout, apt)),
        ("kafka", lambda: kafka_libs(layout, apt)),
        ("secrets", lambda: secrets_step(layout)),
    ]
    total = time.monotonic()
    for name, step in steps:
        started = time.monotonic()
        outcome = step()
        say(f"{name}: {outcome} ({time.monotonic() - started:.1f}s)")
    say(f"done in {time.monotonic() - total:.1f}s")
