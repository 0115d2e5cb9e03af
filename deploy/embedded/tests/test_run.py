"""`devstack run` with stand-in commands (not the services): start order, environment, readiness,
demo data once, Ctrl-C / a dying service stop every child."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.config import Layout
from devstack.procs import alive

SERVICE = """\
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
name, started = os.path.basename(sys.argv[0]), time.monotonic()
keep = ("EXTRANET_", "PYTHONUNBUFFERED")
with open(os.path.join(os.environ["STANDIN_DIR"], name + ".env.json"), "w") as fh:
    json.dump({k: v for k, v in os.environ.items() if k.startswith(keep)}, fh)
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health/ready" and time.monotonic() - started > 0.3:
            body = b'{"status": "ready"}'
        elif self.path == "/internal/stats":
            body = json.dumps({"events_applied": int((time.monotonic() - started) * 5),
                               "accounts": {"broker/pending": 2}}).encode()
        else:
            self.send_response(503); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        print(name, *args, flush=True)
port = os.environ[{"devstack-mailbox": "EXTRANET_MAIL_WEB_PORT", "devstack-smsbox": "EXTRANET_SMS_PORT"}.get(name, "EXTRANET_HTTP_PORT")]
ThreadingHTTPServer((os.environ["EXTRANET_HTTP_HOST"], int(port)), H).serve_forever()
"""

SIMULATOR = """\
import json, sys
if sys.argv[1] == "brokers":
    print("BRK001\\nBRK002")
else:
    print("publishing...", file=sys.stderr)
    print(json.dumps({"published": 9, "by_stream": {"legacy.brokers": 3, "legacy.memberships": 4, "legacy.claims": 2}}))
"""

ADMIN = """\
import os, sys
assert os.environ["EXTRANET_NEW_PASSWORD"] == "Courtier-Demo-2026"
with open(os.path.join(os.environ["STANDIN_DIR"], "logins"), "a") as fh:
    fh.write(sys.argv[sys.argv.index("--broker-code") + 1] + "\\n")
"""


@pytest.fixture
def standins(tmp_root: Path, free_port):
    bin_dir = tmp_root / "bin"
    bin_dir.mkdir()
    for name, code in (
        ("identity-service", SERVICE),
        ("portfolio-service", SERVICE),
        ("claims-service", SERVICE),
        ("enrollment-service", SERVICE),
        ("gateway-service", SERVICE),
        ("portals-service", SERVICE),
        ("notifications-service", SERVICE),
        ("devstack-mailbox", SERVICE),
        ("devstack-smsbox", SERVICE),
        ("legacy-back-office", SERVICE),
        ("legacy-simulator", SIMULATOR),
        ("identity-admin", ADMIN),
    ):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{code}")
        path.chmod(0o755)
    ports = {
        "EXTRANET_IDENTITY_PORT": free_port(),
        "EXTRANET_PORTFOLIO_PORT": free_port(),
        "EXTRANET_CLAIMS_PORT": free_port(),
        "EXTRANET_ENROLLMENT_PORT": free_port(),
        "EXTRANET_GATEWAY_PORT": free_port(),
        "EXTRANET_PORTALS_PORT": free_port(),
        "EXTRANET_NOTIFICATIONS_PORT": free_port(),
        "EXTRANET_MAIL_SMTP_PORT": free_port(),
        "EXTRANET_MAIL_WEB_PORT": free_port(),
        "EXTRANET_SMS_PORT": free_port(),
        "EXTRANET_LEGACY_BACK_OFFICE_PORT": free_port(),
    }
    env = dict(
        os.environ,
        DEVSTACK_BIN_DIR=str(bin_dir),
        STANDIN_DIR=str(tmp_root),
        PYTHONUNBUFFERED="1",
        EXTRANET_KAFKA_BOOTSTRAP="127.0.0.1:1",
        EXTRANET_DATABASE_URL="postgresql://x:y@127.0.0.1:2/z",
        DEVSTACK_READY_TIMEOUT="20",
        **{k: str(v) for k, v in ports.items()},
    )
    launched: list[subprocess.Popen] = []
    yield {"root": tmp_root, "env": env, "ports": ports, "launched": launched}
    # Whatever a failed assertion left behind.
    for proc in launched:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    for pid in _service_pids(Layout(tmp_root)).values():
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)


def _start(standins) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--root", str(standins["root"]), "run"],
        env=standins["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    standins["launched"].append(proc)
    return proc


def _read_until(proc: subprocess.Popen, needle: str, timeout: float = 30) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    proc.kill()
    pytest.fail(f"{needle!r} never printed:\n{''.join(seen)}{proc.stdout.read()}")


def _service_pids(layout: Layout) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for pattern in ("*-service.pid", "devstack-*.pid", "legacy-*.pid") for p in layout.run.glob(pattern)}


def test_run_starts_loads_demo_once_and_stops_on_ctrl_c(standins):
    root, layout = standins["root"], Layout(standins["root"])
    proc = _start(standins)
    out = _read_until(proc, "Stop        Ctrl-C")
    pids = _service_pids(layout)
    assert set(pids) == {
        "identity-service",
        "portfolio-service",
        "claims-service",
        "enrollment-service",
        "gateway-service",
        "portals-service",
        "notifications-service",
        "devstack-mailbox",
        "devstack-smsbox",
        "legacy-back-office",
    }
    ports = standins["ports"]
    assert f"Mail        http://127.0.0.1:{ports['EXTRANET_MAIL_WEB_PORT']}   (files in .stack/mail/)" in out
    assert f"SMS         http://127.0.0.1:{ports['EXTRANET_SMS_PORT']}" in out
    portals_url = f"http://127.0.0.1:{ports['EXTRANET_PORTALS_PORT']}"
    assert f"Courtier    {portals_url}/mbtp/courtier/" in out and f"Adhérent    {portals_url}/mbtp/adherent/" in out
    portals = json.loads((root / "portals-service.env.json").read_text())
    assert portals["EXTRANET_GATEWAY_URL"] == f"http://127.0.0.1:{ports['EXTRANET_GATEWAY_PORT']}"
    notifications = json.loads((root / "notifications-service.env.json").read_text())
    assert notifications["EXTRANET_SMTP_PORT"] == str(ports["EXTRANET_MAIL_SMTP_PORT"])
    assert notifications["EXTRANET_SMS_API_BASE_URL"] == f"http://127.0.0.1:{ports['EXTRANET_SMS_PORT']}"
    mailbox = json.loads((root / "devstack-mailbox.env.json").read_text())
    assert mailbox["EXTRANET_MAIL_DIR"].endswith(".stack/mail")
    # portfolio applies the 7 events of its streams (the reimbursements are not its).
    assert "BRK001, BRK002" in out and "Courtier-Demo-2026" in out and "/7 events applied" in out
    assert (root / "logins").read_text().split() == ["BRK001", "BRK002"]
    assert json.loads(layout.demo_marker.read_text())["published"] == 9

    identity = json.loads((root / "identity-service.env.json").read_text())
    gateway = json.loads((root / "gateway-service.env.json").read_text())
    assert identity["EXTRANET_JWT_PRIVATE_KEY_FILE"].endswith(".stack/secrets/jwt-private.pem")
    assert Path(identity["EXTRANET_JWT_PUBLIC_KEY_FILE"]).is_file()
    assert identity["EXTRANET_LOG_FORMAT"] == "json" and identity["EXTRANET_TRACING_EXPORTER"] == "file"
    # Every service's spans kept where `devstack traces` reads them (issue 14).
    assert gateway["EXTRANET_TRACING_EXPORTER"] == "file" and gateway["EXTRANET_TRACING_DIR"] == str(layout.stack / "traces")
    assert "EXTRANET_JWT_PRIVATE_KEY_FILE" not in gateway
    assert gateway["EXTRANET_HTTP_PORT"] == str(standins["ports"]["EXTRANET_GATEWAY_PORT"])
    assert gateway["EXTRANET_PORTFOLIO_URL"] == f"http://127.0.0.1:{standins['ports']['EXTRANET_PORTFOLIO_PORT']}"
    assert gateway["EXTRANET_CLAIMS_URL"] == f"http://127.0.0.1:{standins['ports']['EXTRANET_CLAIMS_PORT']}"
    # The links in the emails point at the portals this stack serves.
    assert identity["EXTRANET_PORTALS_BASE_URL"] == f"http://127.0.0.1:{standins['ports']['EXTRANET_PORTALS_PORT']}"

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert not any(alive(pid) for pid in pids.values())
    assert not list(layout.run.glob("*-service.pid")) and not list(layout.run.glob("devstack-*.pid"))

    # Second run: the demo data is not loaded again; a service that dies is restarted alone
    # (test_restart.py: the backoff), `devstack status` counts it, `devstack stop` stops the run.
    proc = _start(standins)
    out = _read_until(proc, "Stop        Ctrl-C")
    assert "demo data already loaded" in out and (root / "logins").read_text().split() == ["BRK001", "BRK002"]
    pids = _service_pids(layout)
    os.kill(pids["portfolio-service"], signal.SIGKILL)
    out = _read_until(proc, "portfolio-service ready again")
    assert "portfolio-service exited (signal SIGKILL), restarting in 1s (restart #1); see .stack/logs/portfolio-service.log" in out
    restarted = _service_pids(layout)
    assert restarted["portfolio-service"] != pids["portfolio-service"] and alive(restarted["portfolio-service"])
    assert {k: v for k, v in restarted.items() if k != "portfolio-service"} == {k: v for k, v in pids.items() if k != "portfolio-service"}
    status = subprocess.run(
        [sys.executable, "-m", "devstack", "--root", str(root), "status"], env=standins["env"], capture_output=True, text=True, timeout=60
    ).stdout
    rows = {line.split()[0]: line.split() for line in status.splitlines()}
    assert rows["portfolio-service"][1:6] == ["running", str(restarted["portfolio-service"]), rows["portfolio-service"][3], "yes", "1"]
    assert rows["portfolio-service"][6:8] == ["signal", "SIGKILL"] and rows["identity-service"][5:7] == ["0", "-"]
    stop = subprocess.run(
        [sys.executable, "-m", "devstack", "--root", str(root), "stop"], env=standins["env"], capture_output=True, text=True, timeout=120
    )
    assert f"stopped devstack run (pid {proc.pid}) and its services" in stop.stdout, stop.stdout + stop.stderr
    rest = proc.stdout.read()
    assert proc.wait(timeout=30) == 0 and "SIGTERM: stopping" in rest and "restarting" not in rest
    assert not any(alive(pid) for pid in restarted.values())

    # SIGTERM stops it as Ctrl-C does.
    proc = _start(standins)
    _read_until(proc, "Stop        Ctrl-C")
    pids = _service_pids(layout)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0 and "SIGTERM: stopping" in proc.stdout.read()
    assert not any(alive(pid) for pid in pids.values())


def test_run_reports_a_service_that_never_gets_ready(standins):
    never = standins["root"] / "bin" / "gateway-service"
    never.write_text(f"#!{sys.executable}\nimport time\nprint('stuck', flush=True)\ntime.sleep(600)\n")
    standins["env"]["DEVSTACK_READY_TIMEOUT"] = "2"
    proc = _start(standins)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "gateway-service not ready after 2s" in out and ".stack/logs/gateway-service.log" in out and "stuck" in out
    assert not any(alive(pid) for pid in _service_pids(Layout(standins["root"])).values())


def test_status_lists_and_stop_stops_what_a_killed_run_left(standins):
    from devstack import declaration

    root, layout = standins["root"], Layout(standins["root"])
    proc = _start(standins)
    _read_until(proc, "Stop        Ctrl-C")
    pids = _service_pids(layout)
    # A second run while this one runs is refused, and leaves the first one's supervision alone.
    second = _start(standins)
    assert second.wait(timeout=30) == 1
    assert f"devstack run is already running here (pid {proc.pid}); `make stop` stops it" in second.stdout.read()
    assert (layout.run / "supervisor.pid").read_text().strip() == str(proc.pid) and _service_pids(layout) == pids
    proc.kill()  # no clean-up: the services, each in its own session, keep running
    proc.wait(timeout=10)

    def devstack(*args: str) -> str:
        cmd = [sys.executable, "-m", "devstack", "--root", str(root), *args]
        result = subprocess.run(cmd, env=standins["env"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    rows = [line.split() for line in devstack("status").splitlines()[1:] if line.split()[0] not in ("kafka", "postgres", "demo")]
    declared = declaration.load(root)
    assert [row[0] for row in rows] == [p.name for p in declared.listing_order()]
    assert all(row[1] == "running" and row[4] == "yes" for row in rows), rows
    out = devstack("stop")
    assert f"stopped leftover services: {', '.join(p.name for p in reversed(declared.start_order()))}" in out
    assert not any(alive(pid) for pid in pids.values())
    assert not _service_pids(layout)
