"""devstack's Supervisor once the stack is up: a process that exits is restarted alone, after a backoff
that doubles on repeated crashes; stop_all stops everything and restarts nothing. Two stand-in HTTP
servers (no service, no Kafka, no PostgreSQL) in a throw-away state folder."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from devstack.config import Layout
from devstack.procs import alive
from devstack.run import InfraWatch, Service, StackError, Supervisor, http_json, read_restarts

# Ready 0.3 s after it starts, as a service that connects first; never while the file STANDIN_UNREADY exists.
STANDIN = """\
import os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
started = time.monotonic()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/health/ready" and time.monotonic() - started > 0.3 and not os.path.exists(os.environ["STANDIN_UNREADY"])
        self.send_response(200 if ok else 503); self.end_headers()
        self.wfile.write(str(os.getpid()).encode())
    def log_message(self, *args):
        pass
print("listening", flush=True)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["STANDIN_PORT"])), H).serve_forever()
"""


@pytest.fixture
def supervisor(tmp_root: Path, free_port, capsys):
    bin_dir = tmp_root / "bin"
    bin_dir.mkdir()
    (bin_dir / "standin").write_text(f"#!{sys.executable}\n{STANDIN}")
    (bin_dir / "standin").chmod(0o755)
    sup = Supervisor(Layout(tmp_root), bin_dir, backoff_first=0.4, backoff_max=1.6, reset_after=3.0, ready_timeout=20)
    services = {}
    for name in ("alpha-service", "beta-service"):
        port = free_port()
        services[name] = Service(name, "standin", port, "/health/ready", {"STANDIN_PORT": str(port)})
        sup.start(services[name], dict(os.environ, STANDIN_UNREADY=str(tmp_root / "unready")))
    sup.wait_ready(list(services.values()), timeout=20)
    yield sup, services
    sup.stop_all(grace=5)


def supervise_until(sup: Supervisor, condition, timeout: float = 20.0) -> float:
    """Run the supervision loop until `condition()`; the seconds it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "condition never met"
        sup.supervise()
        time.sleep(0.05)
    return time.monotonic() - started


def answering_pid(service: Service) -> int | None:
    status, body = http_json(service.ready_url)
    return int(body) if status == 200 else None


def kill_and_wait_back(sup: Supervisor, services: dict[str, Service], name: str) -> tuple[float, int]:
    """SIGKILL `name`; the seconds until a new process answers ready on its port, and that pid."""
    old = sup.services[name].pid
    os.kill(old, signal.SIGKILL)
    took = supervise_until(sup, lambda: sup.children[name].ready_at is not None and answering_pid(services[name]) not in (None, old))
    return took, answering_pid(services[name])


def test_a_killed_process_comes_back_alone_and_the_backoff_grows(supervisor, capsys):
    sup, services = supervisor
    layout = sup.layout
    beta = sup.services["beta-service"].pid
    assert answering_pid(services["beta-service"]) == beta

    took, alpha = kill_and_wait_back(sup, services, "alpha-service")
    out = capsys.readouterr().out
    assert "alpha-service exited (signal SIGKILL), restarting in 0.4s (restart #1)" in out
    assert "alpha-service ready again" in out
    assert took >= 0.4
    assert layout.pidfile("alpha-service").read_text().strip() == str(alpha) == str(sup.services["alpha-service"].pid)
    # The other one was left alone.
    assert sup.services["beta-service"].pid == beta and answering_pid(services["beta-service"]) == beta
    restarts = read_restarts(layout)
    assert list(restarts) == ["alpha-service"]
    assert restarts["alpha-service"]["restarts"] == 1 and restarts["alpha-service"]["last_exit"] == "signal SIGKILL"
    # The log is kept across the restart, with a line saying where it starts over.
    log = layout.log("alpha-service").read_text()
    assert log.count("listening") == 2 and "--- devstack: restart #1 at" in log

    # Crashing again at once: 0.8 s, 1.6 s, then the cap (1.6 s).
    waits = []
    for _ in range(3):
        took, _ = kill_and_wait_back(sup, services, "alpha-service")
        waits.append(took)
    out = capsys.readouterr().out
    assert (
        "restarting in 0.8s (restart #2)" in out and "restarting in 1.6s (restart #3)" in out and "restarting in 1.6s (restart #4)" in out
    )
    assert waits[0] >= 0.8 and waits[1] >= 1.6 and waits[2] >= 1.6 and waits[1] > waits[0] + 0.5
    assert read_restarts(layout)["alpha-service"]["restarts"] == 4
    assert sup.services["beta-service"].pid == beta

    # Ready for reset_after (3 s): the backoff starts over at 0.4 s, the restart count does not.
    supervise_until(sup, lambda: sup.children["alpha-service"].crashes == 0, timeout=10)
    kill_and_wait_back(sup, services, "alpha-service")
    assert "alpha-service exited (signal SIGKILL), restarting in 0.4s (restart #5)" in capsys.readouterr().out

    # An exit code is said as such.
    sup.services["beta-service"].send_signal(signal.SIGTERM)  # the stand-in dies of it: no handler
    supervise_until(sup, lambda: sup.children["beta-service"].restarts == 1)
    assert "beta-service exited (signal SIGTERM), restarting in 0.4s (restart #1)" in capsys.readouterr().out


def test_stop_all_stops_both_and_restarts_nothing(supervisor, capsys):
    sup, services = supervisor
    pids = {name: proc.pid for name, proc in sup.services.items()}
    os.kill(pids["alpha-service"], signal.SIGKILL)
    supervise_until(sup, lambda: sup.children["alpha-service"].restart_at is not None)  # waiting for its backoff
    sup.stop_all(grace=5)
    assert not any(alive(pid) for pid in pids.values())
    time.sleep(0.6)  # past the backoff: nothing comes back
    sup.supervise()
    assert not sup.services and all(answering_pid(service) is None for service in services.values())
    assert not list(sup.layout.run.glob("*.pid")) and read_restarts(sup.layout) == {}


def test_a_port_still_taken_delays_the_restart_with_a_growing_backoff(supervisor, capsys):
    sup, services = supervisor
    alpha = services["alpha-service"]
    os.kill(sup.services["alpha-service"].pid, signal.SIGKILL)
    supervise_until(sup, lambda: sup.children["alpha-service"].restart_at is not None)
    with socket.socket() as squatter:  # something else took the port meanwhile
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", alpha.port))
        squatter.listen()
        supervise_until(sup, lambda: "next try in 0.8s" in capsys.readouterr().out)
    # Once the port is free again, it comes back, still as restart #1.
    supervise_until(sup, lambda: sup.children["alpha-service"].ready_at is not None and answering_pid(alpha) is not None)
    assert answering_pid(alpha) == sup.services["alpha-service"].pid and sup.children["alpha-service"].restarts == 1


def test_infra_watch_says_when_kafka_goes_and_comes_back(free_port, capsys):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    infra = SimpleNamespace(kafka_bootstrap=f"127.0.0.1:{port}", database_url=f"postgresql://u:secret@127.0.0.1:{free_port()}/db")
    watch = InfraWatch(infra)
    listener.close()
    watch.last = 0.0
    watch.check()
    out = capsys.readouterr().out
    assert f"Kafka (127.0.0.1:{port}) does not answer" in out and "PostgreSQL" not in out and "secret" not in out
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()
        watch.last = 0.0
        watch.check()
    assert f"Kafka (127.0.0.1:{port}) answers again after" in capsys.readouterr().out


def test_a_restarted_process_never_ready_is_stopped_and_restarted(supervisor, capsys):
    sup, services = supervisor
    sup.ready_timeout = 1.0
    (sup.layout.root / "unready").touch()  # the next alpha never gets ready
    os.kill(sup.services["alpha-service"].pid, signal.SIGKILL)
    supervise_until(sup, lambda: sup.children["alpha-service"].restarts == 2)
    out = capsys.readouterr().out
    assert "alpha-service not ready 1s after restart #1: stopping it; see .stack/logs/alpha-service.log" in out
    assert "alpha-service exited (stopped: not ready in 1s), restarting in 0.8s (restart #2)" in out
    assert read_restarts(sup.layout)["alpha-service"]["last_exit"] == "stopped: not ready in 1s"
    (sup.layout.root / "unready").unlink()
    supervise_until(sup, lambda: sup.children["alpha-service"].ready_at is not None)
    assert answering_pid(services["alpha-service"]) == sup.services["alpha-service"].pid


def test_while_starting_a_process_that_exits_is_an_error_not_a_restart(tmp_root: Path, free_port):
    bin_dir = tmp_root / "bin"
    bin_dir.mkdir()
    (bin_dir / "broken").write_text(f"#!{sys.executable}\nimport sys\nprint('no configuration', flush=True)\nsys.exit(3)\n")
    (bin_dir / "broken").chmod(0o755)
    sup = Supervisor(Layout(tmp_root), bin_dir, backoff_first=0.1)
    service = Service("broken-service", "broken", free_port(), "/health/ready")
    sup.start(service, dict(os.environ))
    with pytest.raises(StackError, match=r"broken-service exited with code 3; see \.stack/logs/broken-service\.log:\nno configuration"):
        sup.wait_ready([service], timeout=10)
    sup.stop_all()
    assert sup.children["broken-service"].restarts == 0
