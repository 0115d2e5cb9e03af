"""The one mapping of upstream failures: refusals passed through with their words, 503 when a service
is down or fails, 504 when it is too slow, 502 when its answer is not what it declared (logged
without personal data), and a failing upstream never spoils a pooled connection for the next caller."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.clients import base
from gateway.errors import TOO_SLOW, UNAVAILABLE, UNEXPECTED

PROBLEM = {
    "type": "about:blank",
    "title": "Bad Request",
    "status": 400,
    "detail": "Le code est incorrect.",
    "errors": [{"field": "code", "message": "Le code est incorrect."}],
    "internal": "never shown",
}
HELP = {"portal": "member", "text": "Votre numéro d'adhérent figure sur votre carte mutualiste."}


class RecordingLog:
    """Stands in for a module's logger: keeps every event with its fields, as given (before redaction)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def error(self, event: str, **fields) -> None:
        self.events.append((event, fields))

    warning = info = exception = error


@pytest.fixture
def logged(monkeypatch) -> RecordingLog:
    recording = RecordingLog()
    monkeypatch.setattr(base, "log", recording)
    return recording


async def test_a_refusal_is_passed_through_with_its_detail_and_errors(gateway):
    async with gateway(identity=lambda request: httpx.Response(400, json=PROBLEM)) as client:
        response = await client.post("/api/members/activation/0b7f6d2e-3a41-4c8e-9f0e-5d2c1a7b9e10/verify", json={"code": "123456"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Requête incorrecte",  # the gateway's own title, in French (extranet_plumbing.problems)
        "status": 400,
        **{k: PROBLEM[k] for k in ("detail", "errors")},
    }


async def test_throttling_keeps_its_retry_after(gateway):
    def throttled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"status": 429, "detail": "Trop de tentatives."}, headers={"retry-after": "60", "x-other": "1"})

    async with gateway(identity=throttled) as client:
        response = await client.post("/api/auth/login", json={"identifier": "M12345", "password": "x"})
    assert response.status_code == 429
    assert response.json()["detail"] == "Trop de tentatives."
    assert response.headers["retry-after"] == "60" and "x-other" not in response.headers


async def test_an_upstream_401_keeps_the_bearer_challenge(gateway, keys):
    async with gateway(identity=lambda request: httpx.Response(401, json={"status": 401, "detail": "Session terminée."})) as client:
        response = await client.get("/api/me", headers={"authorization": f"Bearer {keys.token()}"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "Session terminée."


def raising(exc: Exception):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("upstream", "status", "detail"),
    [
        (lambda request: httpx.Response(500, text="Internal Server Error"), 503, UNAVAILABLE),
        (lambda request: httpx.Response(503, json={"detail": "database down"}), 503, UNAVAILABLE),
        (raising(httpx.ConnectError("connection refused")), 503, UNAVAILABLE),
        (raising(httpx.RemoteProtocolError("server disconnected")), 503, UNAVAILABLE),
        (raising(httpx.ReadTimeout("slow")), 504, TOO_SLOW),
        (raising(httpx.ConnectTimeout("slow")), 504, TOO_SLOW),
        (lambda request: httpx.Response(200, text="<html>not json</html>"), 502, UNEXPECTED),
        (lambda request: httpx.Response(302, headers={"location": "/elsewhere"}), 502, UNEXPECTED),
    ],
    ids=["500", "503", "refused", "disconnected", "read-timeout", "connect-timeout", "not-json", "redirect"],
)
async def test_upstream_failures_are_mapped_once(gateway, logged, upstream, status, detail):
    async with gateway(identity=upstream) as client:
        response = await client.get("/api/auth/identifier-help")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail
    assert [fields["upstream"] for _event, fields in logged.events] == ["identity"]
    assert "database down" not in json.dumps(logged.events)


async def test_an_answer_that_does_not_match_its_model_is_a_502_logged_without_its_content(gateway, keys, logged):
    answer = {"identifier": "73000077", "kind": "member", "email": "lea.durand@example.fr", "phone": 612345678, "tenant": None}
    async with gateway(identity=lambda request: httpx.Response(200, json=answer)) as client:
        response = await client.get("/api/me", headers={"authorization": f"Bearer {keys.token('member')}"})
    assert response.status_code == 502
    assert response.json()["detail"] == UNEXPECTED
    [(event, fields)] = logged.events
    assert event == "upstream answer does not match its model"
    assert fields["upstream"] == "identity" and fields["route"] == "GET /me"
    assert {"loc": "phone", "type": "string_type"} in fields["problems"]
    text = json.dumps(logged.events)
    for value in ("73000077", "lea.durand@example.fr", "612345678"):
        assert value not in text


async def test_the_broker_dashboard_checks_the_principal_before_calling_portfolio(gateway, keys):
    calls = []

    def portfolio(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(403, json={"status": 403, "detail": "This portfolio is not yours."})

    async with gateway(portfolio=portfolio) as client:
        for token in (keys.token("member"), keys.token(terms_ok=False)):
            response = await client.get("/api/broker/dashboard", headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 403
        assert calls == []
        broker = keys.token()
        response = await client.get("/api/broker/dashboard", headers={"authorization": f"Bearer {broker}"})
    assert response.status_code == 403  # what portfolio said, passed through
    assert response.json()["detail"] == "This portfolio is not yours."
    [call] = calls
    assert call.url.path == "/internal/brokers/M12345/dashboard"
    assert call.headers["authorization"] == f"Bearer {broker}"


def test_a_path_segment_is_quoted_whole():
    assert base.segment("M12345") == "M12345"
    assert base.segment("../internal/stats") == "..%2Finternal%2Fstats"
    assert base.segment("a\\b%2F") == "a%5Cb%252F"
    for bad in ("", ".", ".."):
        with pytest.raises(ValueError):
            base.segment(bad)


# --- a real socket: what a broken upstream does to the connection pool -------------------------------


class ScriptedUpstream:
    """HTTP/1.1 on loopback. Each request gets the next step of `script` ("ok" once it is empty):
    - "500": a complete 500 answer, after which the connection is dead (the next request sent on it
      is read and the connection closed without an answer, as a server that failed drops it);
    - "truncated": a 200 whose body stops halfway, then the connection closes;
    - "slow": no answer for 2 s."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.connections = 0
        self.requests = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ScriptedUpstream]:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        async with self._server:
            yield self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        dead = False
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                if dead:
                    return
                self.requests += 1
                step = self.script.pop(0) if self.script else "ok"
                if step == "500":
                    writer.write(self._answer(500, b"Internal Server Error", "text/plain"))
                    dead = True
                elif step == "truncated":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n" + json.dumps(HELP)[:20].encode()
                    )
                    await writer.drain()
                    return
                elif step == "slow":
                    await asyncio.sleep(2)
                    return
                else:
                    writer.write(self._answer(200, json.dumps(HELP).encode(), "application/json"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    @staticmethod
    def _answer(status: int, body: bytes, media_type: str) -> bytes:
        reason = {200: "OK", 500: "Internal Server Error"}[status]
        return f"HTTP/1.1 {status} {reason}\r\ncontent-type: {media_type}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream().running() as server:
        yield server


async def test_healthy_answers_reuse_the_pooled_connection(gateway, upstream):
    async with gateway(identity_url=upstream.url) as client:
        for _ in range(3):
            assert (await client.get("/api/auth/identifier-help")).status_code == 200
    assert upstream.connections == 1


@pytest.mark.parametrize(("step", "status"), [("500", 503), ("truncated", 503), ("slow", 504)])
async def test_a_failed_upstream_answer_does_not_spoil_the_next_request(gateway, upstream, step, status):
    async with gateway(identity_url=upstream.url, upstream_timeout_seconds=0.5) as client:
        assert (await client.get("/api/auth/identifier-help")).status_code == 200
        upstream.script = [step]
        failed = await client.get("/api/auth/identifier-help")
        assert failed.status_code == status
        for _ in range(3):
            response = await client.get("/api/auth/identifier-help")
            assert response.status_code == 200, response.text
            assert response.json() == HELP
    assert upstream.connections == 2  # the failed connection was dropped, and only that one
