"""`legacy-back-office`: the legacy system's back office as a long-running process of the embedded stack
(`devstack run`, a devtool of deploy/services.toml), so that the demo's requests get decided: it runs
`legacy-simulator decide` (`legacy_simulator.decisions.run`) with its policy from the environment, and
answers `/health/live` and `/health/ready` on a port of its own while the decider runs (503 once it has
stopped, and the process then ends with an error: devstack shows it down).

    EXTRANET_HTTP_PORT             the health port (default 8106)
    EXTRANET_BACK_OFFICE_POLICY    the policies, comma separated (default: accept, EmployeeTerminationRequested=advisor)
    EXTRANET_BACK_OFFICE_REASON    the reason given with a refusal
    EXTRANET_BACK_OFFICE_STATE     a JSON file keeping the requests left to an advisor across restarts
    EXTRANET_KAFKA_USERNAME        its Kafka principal (legacy-simulator); the password from
    EXTRANET_KAFKA_PASSWORD or EXTRANET_KAFKA_PASSWORD_FILE (a file holding it: devstack's secrets folder)
    EXTRANET_OPERATOR_CREDENTIAL   the back office's service credential: the requests' files are fetched from
    EXTRANET_ENROLLMENT_URL        enrollment (the brokers' Kbis from portfolio, EXTRANET_PORTFOLIO_URL) and checked
                                   before each request is decided (`request_files`)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from extranet_plumbing.logging import configure_logging, failure, get_logger
from legacy_simulator.decisions import DEFAULT_REASON, Decider, Policy, run
from legacy_simulator.request_files import RequestFiles

DEFAULT_PORT = 8106
DEFAULT_POLICY = "accept,EmployeeTerminationRequested=advisor"
log = get_logger(__name__)


def _password_from_file() -> None:
    """EXTRANET_KAFKA_PASSWORD from the file EXTRANET_KAFKA_PASSWORD_FILE names, unless it is set already."""
    path = os.environ.get("EXTRANET_KAFKA_PASSWORD_FILE")
    if path and not os.environ.get("EXTRANET_KAFKA_PASSWORD"):
        os.environ["EXTRANET_KAFKA_PASSWORD"] = Path(path).read_text(encoding="utf-8").strip()


async def serve_health(port: int, decider: asyncio.Task) -> asyncio.Server:
    """200 on /health/live and /health/ready while the decider runs, 503 once it has stopped, 404 elsewhere."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            parts = line.decode("latin-1").split()
            path = parts[1] if len(parts) >= 2 else ""
            if path not in ("/health/live", "/health/ready"):
                status, body = "404 Not Found", b'{"status": "not found"}'
            elif decider.done():
                status, body = "503 Service Unavailable", b'{"status": "stopped"}'
            else:
                status, body = "200 OK", b'{"status": "ok"}'
            writer.write(
                f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", port)


async def main_async(stop: asyncio.Event | None = None) -> int:
    """Decide until SIGINT or SIGTERM (or `stop`, for tests); 0 once stopped, 1 if the decider failed."""
    _password_from_file()
    policy = Policy.parse(
        [p.strip() for p in os.environ.get("EXTRANET_BACK_OFFICE_POLICY", DEFAULT_POLICY).split(",") if p.strip()],
        reason=os.environ.get("EXTRANET_BACK_OFFICE_REASON", DEFAULT_REASON),
    )
    state = os.environ.get("EXTRANET_BACK_OFFICE_STATE")
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    files = RequestFiles.from_env()
    decider = asyncio.create_task(
        run(
            Decider(policy, state=Path(state) if state else None),
            bootstrap=os.environ.get("EXTRANET_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            topic_prefix=os.environ.get("EXTRANET_TOPIC_PREFIX", ""),
            stop=stop,
            files=files,
        )
    )
    server = await serve_health(int(os.environ.get("EXTRANET_HTTP_PORT", DEFAULT_PORT)), decider)
    log.info("legacy back office deciding the portals' requests", policy=os.environ.get("EXTRANET_BACK_OFFICE_POLICY", DEFAULT_POLICY))
    try:
        await asyncio.wait([decider, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        read = await decider
        log.info("legacy back office stopped", requests_read=read)
        return 0
    except Exception as exc:
        log.error("legacy back office failed", **failure(exc))
        return 1
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
        if files is not None:
            await files.aclose()


def main() -> None:
    # The platform's logging pipeline (redaction, exceptions by class only), as every service process has it.
    configure_logging("legacy-back-office", os.environ.get("EXTRANET_LOG_LEVEL", "INFO"), os.environ.get("EXTRANET_LOG_FORMAT", "json"))
    sys.exit(asyncio.run(main_async()))
