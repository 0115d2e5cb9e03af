"""Local mail server for `make run` and the tests: SMTP on loopback keeping every message as an
`.eml` file, and a small web page to read them.

    devstack-mailbox [--dir .stack/mail] [--smtp-port N] [--http-port N]   (default ports: deploy/services.toml)

In a test, `Mailbox(directory).start()` runs it in-process on free ports; it can also play a
difficult server: refuse some recipients with a 4xx/5xx reply (`refuse`), be down and come back
on the same port (`stop_smtp` / `start_smtp`), hold its final reply after keeping a message
(`hold` / `release`, the case where a client cannot know the message went through), or require
AUTH and STARTTLS.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import signal
import socket
import ssl
import threading
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

from devstack.config import Ports

_HEADERS = BytesHeaderParser(policy=policy.default)
warnings.filterwarnings("ignore", message="Session.login_data is deprecated")  # aiosmtpd's own AUTH code


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn's extras here
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*?)\r?$", re.IGNORECASE | re.MULTILINE)


@dataclass
class StoredMail:
    """One received message, as listed (the content stays in its file; headers read when asked)."""

    id: str
    file: str
    received_at: float
    envelope_from: str
    envelope_to: list[str]
    message_id: str
    directory: Path = field(repr=False)
    _headers: Any = field(default=None, repr=False)

    def _header(self, name: str) -> str:
        if self._headers is None:
            with (self.directory / self.file).open("rb") as fh:
                self._headers = _HEADERS.parse(fh, headersonly=True)
        return str(self._headers.get(name, ""))

    @property
    def subject(self) -> str:
        return self._header("Subject")

    @property
    def sender(self) -> str:
        return self._header("From")

    @property
    def to(self) -> str:
        return self._header("To")

    @property
    def date(self) -> str:
        return self._header("Date")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "received_at": self.received_at,
            "envelope_from": self.envelope_from,
            "envelope_to": self.envelope_to,
            "message_id": self.message_id,
            "subject": self.subject,
            "from": self.sender,
            "to": self.to,
            "date": self.date,
        }


@dataclass
class _Refusal:
    address: str  # an address, or a domain as "@example.org"
    reply: str
    times: int | None  # None: always
    used: int = 0


@dataclass
class _State:
    messages: list[StoredMail] = field(default_factory=list)
    rcpt_attempts: Counter = field(default_factory=Counter)
    connections: set = field(default_factory=set)  # client (host, port) pairs that sent MAIL FROM
    refusals: list[_Refusal] = field(default_factory=list)
    hold_after: int | None = None  # messages still answered at once before replies are held
    held: int = 0


_STUFFED_DOT = re.compile(rb"^\.", re.MULTILINE)


class _ChunkedDataSMTP(SMTP):
    """aiosmtpd's server, but the content of DATA is read in chunks up to the final `<CRLF>.<CRLF>`
    instead of line by line: the same replies and dot-unstuffing (RFC 5321 §4.5.2) at a fraction of
    the CPU, so that this loopback server is not what a benchmark measures."""

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        received = bytearray()
        while not (received.endswith(b"\r\n.\r\n") or received == b".\r\n"):
            chunk = await self._reader.read(65536)
            if not chunk:
                return  # the client went away: nothing kept
            received += chunk
        if self.data_size_limit and len(received) > self.data_size_limit:
            self._set_post_data_state()
            await self.push("552 Error: Too much mail data")
            return
        content = _STUFFED_DOT.sub(b"", bytes(received[:-3]))
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _ChunkedDataSMTP(self.handler, **self.SMTP_kwargs)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_MAIL(self, server, session, envelope, address: str, mail_options) -> str:
        self.box._state.connections.add(session.peer)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        refusal = self.box._refusal_for(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        # Kept (file written) before the reply, as a real server would; off the event loop.
        stored = await asyncio.get_running_loop().run_in_executor(
            None, self.box._store, envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
        )
        if self.box._should_hold():
            # Kept, but the reply does not come: the client cannot tell whether it went through.
            while self.box._holding.is_set():
                await asyncio.sleep(0.02)
        return f"250 2.0.0 Ok: queued as {stored.id}"


class Mailbox:
    """An SMTP server on loopback that keeps each message as `<dir>/<time>-<id>.eml`."""

    def __init__(
        self,
        directory: Path | str,
        *,
        host: str = "127.0.0.1",
        smtp_port: int | None = None,
        http_port: int | None = None,
        auth: tuple[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self.smtp_port = smtp_port or free_port(host)
        self.http_port = http_port
        self.auth = auth
        self.tls_context = tls_context
        self._state = _State()
        self._lock = threading.Lock()
        self._holding = threading.Event()
        self._controller: Controller | None = None
        self._http: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Mailbox:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._load_existing()
        self.start_smtp()
        if self.http_port is not None:
            self._start_http()
        return self

    def start_smtp(self) -> None:
        """Listen (again) on the same port."""
        if self._controller is not None:
            return
        params: dict[str, Any] = {"decode_data": False, "enable_SMTPUTF8": True, "ident": "devstack mailbox"}
        if self.auth:
            params.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=self.tls_context is not None)
        if self.tls_context:
            params.update(tls_context=self.tls_context, require_starttls=True)
        controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=self.smtp_port,
            loop=_new_loop(),
            ready_timeout=10,
            server_hostname="mailbox.local",
            **params,
        )
        controller.start()
        self._controller = controller

    def stop_smtp(self) -> None:
        """Stop listening and drop open connections: clients get 'connection refused'."""
        controller, self._controller = self._controller, None
        if controller is not None:
            self._holding.clear()
            controller.stop()

    def stop(self) -> None:
        self.stop_smtp()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> Mailbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    # --- difficult server ----------------------------------------------------------------------
    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 Mailbox unavailable", *, times: int | None = None) -> None:
        """Answer RCPT TO for `address` (or any address of a domain given as `@domain`) with `code`,
        `times` times (always if None)."""
        with self._lock:
            self._state.refusals.append(_Refusal(address.lower(), f"{code} {text}", times))

    def hold(self, after: int = 0) -> None:
        """Keep the next messages but hold the final reply of those after the first `after`."""
        with self._lock:
            self._state.hold_after = after
            self._holding.set()

    def release(self) -> None:
        with self._lock:
            self._state.hold_after = None
        self._holding.clear()

    @property
    def held(self) -> int:
        return self._state.held

    # --- what was received -----------------------------------------------------------------------
    @property
    def messages(self) -> list[StoredMail]:
        with self._lock:
            return list(self._state.messages)

    @property
    def connections(self) -> int:
        """How many client connections carried at least one transaction."""
        return len(self._state.connections)

    def rcpt_attempts(self, address: str) -> int:
        return self._state.rcpt_attempts[address.lower()]

    def count_by_message_id(self) -> Counter:
        return Counter(m.message_id for m in self.messages)

    def read(self, mail: StoredMail):
        """The parsed message (email.message.EmailMessage)."""
        return message_from_bytes((self.directory / mail.file).read_bytes(), policy=policy.default)

    def clear(self) -> None:
        with self._lock:
            for mail in self._state.messages:
                (self.directory / mail.file).unlink(missing_ok=True)
            self._state = _State()

    # --- internals -------------------------------------------------------------------------------
    def _authenticate(self, server, session, envelope, mechanism: str, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.auth and (auth_data.login.decode(), auth_data.password.decode()) == self.auth:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def _refusal_for(self, address: str) -> str | None:
        address = address.lower()
        with self._lock:
            self._state.rcpt_attempts[address] += 1
            for refusal in self._state.refusals:
                matches = refusal.address == address or (refusal.address.startswith("@") and address.endswith(refusal.address))
                if matches and (refusal.times is None or refusal.used < refusal.times):
                    refusal.used += 1
                    return refusal.reply
        return None

    def _should_hold(self) -> bool:
        with self._lock:
            if self._state.hold_after is None:
                return False
            if self._state.hold_after > 0:
                self._state.hold_after -= 1
                return False
            self._state.held += 1
            return True

    def _store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> StoredMail:
        received = time.time()
        ident = uuid.uuid4().hex[:12]
        name = time.strftime("%Y%m%dT%H%M%S", time.gmtime(received)) + f"-{ident}.eml"
        (self.directory / name).write_bytes(content)
        mail = self._describe(name, content, received, mail_from, rcpt_tos, ident)
        with self._lock:
            self._state.messages.append(mail)
        return mail

    def _describe(self, name: str, content: bytes, received: float, mail_from: str, rcpt_tos: list[str], ident: str) -> StoredMail:
        head = content.split(b"\r\n\r\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        message_id = found.group(1).decode(errors="replace").strip() if found else ""
        return StoredMail(
            id=ident,
            file=name,
            received_at=received,
            envelope_from=mail_from or "",
            envelope_to=rcpt_tos,
            message_id=message_id,
            directory=self.directory,
        )

    def _load_existing(self) -> None:
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            try:
                content = path.read_bytes()
            except OSError:
                continue
            headers = _HEADERS.parsebytes(content, headersonly=True)
            found.append(
                self._describe(
                    path.name,
                    content,
                    path.stat().st_mtime,
                    parseaddr(str(headers.get("From", "")))[1],
                    [parseaddr(str(headers.get("To", "")))[1]],
                    path.stem.rsplit("-", 1)[-1],
                )
            )
        with self._lock:
            known = {m.file for m in self._state.messages}
            self._state.messages.extend(m for m in found if m.file not in known)

    def _start_http(self) -> None:
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = unquote(self.path.split("?", 1)[0])
                if path in ("/health/ready", "/health/live"):
                    return self._send(200, json.dumps({"status": "up"}).encode(), "application/json")
                if path == "/api/messages":
                    body = json.dumps([m.as_json() for m in box.messages], ensure_ascii=False).encode()
                    return self._send(200, body, "application/json")
                if path == "/":
                    return self._send(200, _index_page(box).encode(), "text/html; charset=utf-8")
                if path.startswith("/messages/"):
                    name = path[len("/messages/") :]
                    mail = next((m for m in box.messages if m.id == name.removesuffix(".eml")), None)
                    if mail is None:
                        return self._send(404, b"not found", "text/plain")
                    if name.endswith(".eml"):
                        return self._send(200, (box.directory / mail.file).read_bytes(), "message/rfc822")
                    return self._send(200, _message_page(box, mail).encode(), "text/html; charset=utf-8")
                self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._http = ThreadingHTTPServer((self.host, self.http_port), Handler)
        self.http_port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, name="mailbox-http", daemon=True).start()


_STYLE = """<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2733}table{border-collapse:collapse;width:100%}
td,th{padding:.35rem .6rem;border-bottom:1px solid #dde3ea;text-align:left;font-size:.92rem}tr:hover{background:#f3f6f9}
pre{white-space:pre-wrap;background:#f6f8fa;padding:1rem;border-radius:6px}iframe{width:100%;height:32rem;border:1px solid #dde3ea}
.muted{color:#6b7785}</style>"""


def _index_page(box: Mailbox) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(m.received_at)))}</td>"
        f"<td>{html.escape(m.to)}</td><td><a href='/messages/{m.id}'>{html.escape(m.subject) or '(no subject)'}</a></td>"
        f"<td class=muted>{html.escape(m.sender)}</td></tr>"
        for m in reversed(box.messages)
    )
    return (
        f"<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=5><title>Mailbox</title>{_STYLE}"
        f"<h1>Mailbox <span class=muted>({len(box.messages)} messages, files in {html.escape(str(box.directory))})</span></h1>"
        f"<table><tr><th>received</th><th>to</th><th>subject</th><th>from</th></tr>{rows}</table>"
    )


def _message_page(box: Mailbox, mail: StoredMail) -> str:
    message = box.read(mail)
    text = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    parts = ""
    if text is not None:
        parts += f"<h2>Text</h2><pre>{html.escape(text.get_content())}</pre>"
    if rich is not None:
        parts += f'<h2>HTML</h2><iframe sandbox srcdoc="{html.escape(rich.get_content(), quote=True)}"></iframe>'
    head = "".join(
        f"<tr><th>{name}</th><td>{html.escape(str(message.get(name, '')))}</td></tr>"
        for name in ("From", "To", "Subject", "Date", "Message-ID")
    )
    return (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(mail.subject)}</title>{_STYLE}"
        f"<p><a href='/'>&larr; all messages</a> · <a href='/messages/{mail.id}.eml'>{html.escape(mail.file)}</a></p>"
        f"<table>{head}</table>{parts}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local SMTP server keeping mail as .eml files, with a web page to read them")
    parser.add_argument("--dir", default=os.environ.get("EXTRANET_MAIL_DIR", ".stack/mail"), help="where the .eml files go")
    parser.add_argument("--host", default="127.0.0.1")
    ports = Ports.from_env()  # as deploy/services.toml declares them, or EXTRANET_MAIL_SMTP_PORT / EXTRANET_MAIL_WEB_PORT
    parser.add_argument("--smtp-port", type=int, default=ports["mail_smtp"])
    parser.add_argument("--http-port", type=int, default=ports["mail_web"])
    args = parser.parse_args(argv)
    box = Mailbox(args.dir, host=args.host, smtp_port=args.smtp_port, http_port=args.http_port).start()
    print(f"mailbox: SMTP {args.host}:{box.smtp_port}, web http://{args.host}:{box.http_port}, files in {box.directory}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    box.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
