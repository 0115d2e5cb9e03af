"""Local SMS provider for `make run` and the tests: speaks the part of Twilio's REST API the
notifications service uses (create a Message, list and fetch Messages), keeps every message, and
shows them on a web page.

    devstack-smsbox [--dir .stack/sms] [--port N]   (default port: deploy/services.toml)

Twilio's API, as the twilio library calls it: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
(form: To, From or MessagingServiceSid, Body; HTTP basic auth with the account SID and auth
token) answers 201 with the Message resource (`sid`, `status: queued`, ...);
`GET .../Messages.json?To=&DateSent>=&PageSize=` lists them, newest first. Errors are Twilio's
JSON (`code`, `message`, `more_info`, `status`), e.g. 21211 for an invalid `To` number.

In a test, `SmsBox().start()` runs it in-process on a free port; it can fail the next calls with a
500 or a 429 (`fail_next`), or keep a message but hold its answer (`hold` / `release`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import html
import json
import os
import re
import secrets
import socket
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from devstack.config import SMS_ACCOUNT_SID as DEFAULT_ACCOUNT_SID
from devstack.config import SMS_AUTH_TOKEN as DEFAULT_AUTH_TOKEN
from devstack.config import Ports

API = "/2010-04-01/Accounts/{account_sid}"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}, status_code=status
    )


def _rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment, usegmt=True) if moment else None


class SmsBox:
    """A Twilio-compatible Messages API on loopback that keeps what it is asked to send."""

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
    ) -> None:
        self.directory = Path(directory) if directory else None
        self.host = host
        self.port = port or 0
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._create_calls = 0
        self._failures: list[tuple[int, int, str]] = []
        self._hold_after: int | None = None
        self._held = 0
        self._holding = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SmsBox:
        self._load()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="smsbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"smsbox did not start on {self.host}:{self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._holding.clear()
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
            self._thread = None

    def __enter__(self) -> SmsBox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- difficult provider ----------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 500, code: int | None = None, message: str | None = None) -> None:
        """Answer the next `count` create calls with `status` (500, 503, 429, 400...) without sending."""
        code = code or {429: 20429, 400: 21211}.get(status, 20500)
        message = message or {429: "Too Many Requests", 400: "Invalid parameter"}.get(status, "Internal Server Error")
        with self._lock:
            self._failures.extend([(status, code, message)] * count)

    def hold(self, after: int = 0) -> None:
        """Keep the next messages, but hold the answer of those after the first `after`."""
        with self._lock:
            self._hold_after = after
        self._holding.set()

    def release(self) -> None:
        with self._lock:
            self._hold_after = None
        self._holding.clear()

    # --- what was received -----------------------------------------------------------------------
    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)

    @property
    def create_calls(self) -> int:
        """Every create call received, answered with success or not."""
        return self._create_calls

    @property
    def held(self) -> int:
        return self._held

    def count_by_body(self) -> Counter:
        return Counter((m["to"], m["body"]) for m in self.messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._create_calls = 0
            self._failures.clear()

    # --- internals -------------------------------------------------------------------------------
    def _file(self) -> Path | None:
        return self.directory / "messages.jsonl" if self.directory else None

    def _load(self) -> None:
        path = self._file()
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and not self._messages:
            with path.open(encoding="utf-8") as fh:
                self._messages = [json.loads(line) for line in fh if line.strip()]

    def _authorised(self, request: Request, account_sid: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return account_sid == self.account_sid and secrets.compare_digest(f"{user}:{password}", f"{self.account_sid}:{self.auth_token}")

    def _resource(self, sid: str, to: str, sender: str | None, service: str | None, body: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        uri = f"{API.format(account_sid=self.account_sid)}/Messages/{sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": _rfc2822(now),
            "date_updated": _rfc2822(now),
            "date_sent": _rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(max(1, -(-len(body) // 153))),
            "price": None,
            "price_unit": "EUR",
            "sid": sid,
            "status": "queued",
            "to": to,
            "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "created_at": now.timestamp(),
        }

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="devstack smsbox (Twilio-compatible Messages API)", docs_url=None, redoc_url=None)
        box = self

        @app.get("/health/ready")
        @app.get("/health/live")
        async def health() -> dict:
            return {"status": "up"}

        @app.post(API + "/Messages.json")
        async def create(account_sid: str, request: Request):
            with box._lock:
                box._create_calls += 1
                failure = box._failures.pop(0) if box._failures else None
            if not box._authorised(request, account_sid):
                return _error(401, 20003, "Authenticate")
            if failure:
                return _error(*failure)
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            to, body = form.get("To", ""), form.get("Body", "")
            sender, service = form.get("From"), form.get("MessagingServiceSid")
            if not _E164.match(to):
                return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            if not sender and not service:
                return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
            if not body:
                return _error(400, 21602, "Message body is required.")
            message = box._resource("SM" + secrets.token_hex(16), to, sender, service, body)
            with box._lock:
                box._messages.append(message)
                hold = box._hold_after is not None and box._hold_after <= 0
                if box._hold_after is not None and box._hold_after > 0:
                    box._hold_after -= 1
                if hold:
                    box._held += 1
            path = box._file()
            if path is not None:
                with path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(message, ensure_ascii=False) + "\n")
            while hold and box._holding.is_set():
                await asyncio.sleep(0.02)
            return JSONResponse({k: v for k, v in message.items() if k != "created_at"}, status_code=201)

        @app.get(API + "/Messages.json")
        async def listing(account_sid: str, request: Request):
            if not box._authorised(request, account_sid):
                return _error(401, 20003, "Authenticate")
            query = dict(request.query_params)
            found = [m for m in reversed(box.messages) if _matches(m, query)]
            size = min(int(query.get("PageSize", 50)), 1000)
            page = int(query.get("Page", 0))
            chunk = found[page * size : (page + 1) * size]
            base = f"{API.format(account_sid=account_sid)}/Messages.json"
            keep = urlencode({k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")})
            more = (page + 1) * size < len(found)
            return {
                "messages": [{k: v for k, v in m.items() if k != "created_at"} for m in chunk],
                "page": page,
                "page_size": size,
                "start": page * size,
                "end": page * size + max(len(chunk) - 1, 0),
                "uri": f"{base}?{keep}&PageSize={size}&Page={page}",
                "first_page_uri": f"{base}?{keep}&PageSize={size}&Page=0",
                "next_page_uri": f"{base}?{keep}&PageSize={size}&Page={page + 1}" if more else None,
                "previous_page_uri": f"{base}?{keep}&PageSize={size}&Page={page - 1}" if page else None,
            }

        @app.get(API + "/Messages/{sid}.json")
        async def fetch(account_sid: str, sid: str, request: Request):
            if not box._authorised(request, account_sid):
                return _error(401, 20003, "Authenticate")
            for m in box.messages:
                if m["sid"] == sid:
                    return {k: v for k, v in m.items() if k != "created_at"}
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")

        @app.get("/api/messages")
        async def api_messages() -> list:
            return box.messages

        @app.get("/", response_class=HTMLResponse)
        async def page() -> str:
            rows = "".join(
                f"<tr><td>{html.escape(m['date_created'] or '')}</td><td>{html.escape(m['to'])}</td>"
                f"<td class=muted>{html.escape(m['from'] or m['messaging_service_sid'] or '')}</td>"
                f"<td><pre>{html.escape(m['body'])}</pre></td></tr>"
                for m in reversed(box.messages)
            )
            where = f", kept in {html.escape(str(box._file()))}" if box._file() else ""
            return (
                "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=5><title>SMS</title>"
                "<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;width:100%}"
                "td,th{padding:.35rem .6rem;border-bottom:1px solid #dde3ea;text-align:left;vertical-align:top}"
                "pre{margin:0;white-space:pre-wrap;font-family:inherit}.muted{color:#6b7785}</style>"
                f"<h1>SMS <span class=muted>({len(box.messages)} messages{where})</span></h1>"
                f"<table><tr><th>sent</th><th>to</th><th>from</th><th>text</th></tr>{rows}</table>"
            )

        return app


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _matches(message: dict[str, Any], query: dict[str, str]) -> bool:
    if "To" in query and message["to"] != query["To"]:
        return False
    if "From" in query and message["from"] != query["From"]:
        return False
    sent = datetime.fromtimestamp(message["created_at"], UTC).date()
    for key, test in (("DateSent", lambda d: sent == d), ("DateSent>", lambda d: sent >= d), ("DateSent<", lambda d: sent <= d)):
        if key in query:
            day = _day(query[key])
            if day is None or not test(day):
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Twilio-compatible SMS API keeping every message, with a web page")
    parser.add_argument("--dir", default=os.environ.get("EXTRANET_SMS_DIR", ".stack/sms"), help="where messages.jsonl goes")
    parser.add_argument("--host", default="127.0.0.1")
    # As deploy/services.toml declares it, or EXTRANET_SMS_PORT.
    parser.add_argument("--port", type=int, default=Ports.from_env()["sms"])
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    args = parser.parse_args(argv)
    box = SmsBox(args.dir, host=args.host, port=args.port, account_sid=args.account_sid, auth_token=args.auth_token)
    box._load()
    print(f"smsbox: http://{args.host}:{args.port} (Twilio API base URL), messages in {box._file()}", flush=True)
    uvicorn.run(box.app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
