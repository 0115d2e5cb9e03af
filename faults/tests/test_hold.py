"""devstack's hold file, the fault suite's way to keep a devtool down: a process that exits while its hold
file exists is not restarted, and comes back once the file is gone."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from devstack.config import Layout
from devstack.run import Service, Supervisor, hold_file, http_json

STANDIN = """\
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(str(os.getpid()).encode())
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["STANDIN_PORT"])), H).serve_forever()
"""


def test_a_held_process_stays_down_until_released():
    root = Path(tempfile.mkdtemp(prefix="faults-hold-", dir="/tmp"))
    (root / "bin").mkdir()
    (root / "bin" / "standin").write_text(f"#!{sys.executable}\n{STANDIN}")
    (root / "bin" / "standin").chmod(0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sup = Supervisor(Layout(root), root / "bin", backoff_first=0.2, backoff_max=0.4, reset_after=3.0, ready_timeout=20)
    service = Service("box", "standin", port, "/health/ready", {"STANDIN_PORT": str(port)})
    sup.start(service, dict(os.environ))
    try:
        sup.wait_ready([service], timeout=20)
        first = sup.services["box"].pid
        hold_file(sup.layout, "box").touch()
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 1.5  # well past the backoff
        while time.monotonic() < deadline:
            sup.supervise()
            time.sleep(0.05)
        assert http_json(service.ready_url)[0] == 0 and sup.children["box"].restart_at is not None
        hold_file(sup.layout, "box").unlink()
        deadline = time.monotonic() + 20
        while sup.children["box"].ready_at is None:
            assert time.monotonic() < deadline, "not restarted once released"
            sup.supervise()
            time.sleep(0.05)
        status, body = http_json(service.ready_url)
        assert status == 200 and body not in (None, first)
    finally:
        sup.stop_all(grace=5)
        shutil.rmtree(root, ignore_errors=True)
