"""Security (issue 8, item 1): no path sent to the gateway reaches a service's internal routes.

`GET /api/me/..%2F..%2Finternal%2Fstats` used to reach identity's `/internal/stats` without a token
(its `/openapi.json` and `/metrics` too), through a forwarder that built identity's path from the
portal's. Every identity route is now declared, so this tries, on every `/api/<prefix>/` of the
gateway and in every path parameter, the ways of writing `..` and `/` (encoded, upper and lower
case, backslash, double encoding, `/./`) towards each internal target, anonymously and with a valid
token, and checks that the answer is a refusal and that no service received anything but the
declared public routes.

Requests go to the gateway's ASGI app as uvicorn hands them over (`path` percent-decoded once,
`raw_path` as sent, no dot-segment removal), since an HTTP client would normalise `/./` and `/../`."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from identity.api import PUBLIC_ROUTES

PASSWORD = "Courtier-Test-2026"
BROKER = "M40011"
ACTIVATION_ID = "0b7f6d2e-3a41-4c8e-9f0e-5d2c1a7b9e10"

# What a service serves that no portal may reach through the gateway.
TARGETS = ["internal/stats", f"internal/brokers/{BROKER}/dashboard", "openapi.json", "metrics", "docs"]
# (one level up, the separator inside the target)
CLIMBS = [
    ("..%2F", "%2F"),
    ("..%2f", "%2f"),
    ("%2E%2E%2F", "%2F"),
    ("%2e%2e/", "/"),
    (".%2E/", "/"),
    ("..%5C", "%5C"),
    ("..\\", "\\"),
    ("..%252F", "%252F"),
    ("%252E%252E%252F", "%252F"),
    ("../", "/"),
    ("./../", "/"),
    ("..;/", "/"),
]
DEPTHS = (1, 3, 6)
REFUSALS = {401, 404, 405, 422}
# Signs of a service's internals in an answer.
LEAKS = re.compile(r'"accounts"|"events_applied"|"openapi"|swagger|# HELP|# TYPE|"companies"|"latest_affiliations"', re.IGNORECASE)


def escapes() -> list[str]:
    return [up * depth + target.replace("/", separator) for up, separator in CLIMBS for depth in DEPTHS for target in TARGETS]


def prefixes() -> list[str]:
    """Every `/api/<...>/` a declared route starts with, path parameters filled in."""
    paths = {"/api" + re.sub(r"\{\w+\}", ACTIVATION_ID, route.path) for route in PUBLIC_ROUTES}
    paths |= {"/api/broker/dashboard", "/api/backoffice/", "/api/employer/"}
    found = {"/api/"}
    for path in paths:
        parts = path.strip("/").split("/")
        found |= {"/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)}
    return sorted(found)


async def call(app, method: str, raw_path: str, token: str | None = None) -> tuple[int, str]:
    """One request to an ASGI app as uvicorn would pass it on."""
    headers = [(b"host", b"gateway"), (b"content-type", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    body = b"{}" if method != "GET" else b""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("198.51.100.9", 40000),
        "server": ("gateway", 80),
    }
    sent, status, chunks = False, 0, []

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks).decode(errors="replace")


def public(call: tuple[str, str, str]) -> bool:
    service, method, path = call
    if service == "portfolio":
        return method == "GET" and re.fullmatch(r"/internal/brokers/[A-Z0-9]+/dashboard", path) is not None
    declared = {(r.method, "/public" + re.sub(r"\{\w+\}", "[^/]+", r.path)) for r in PUBLIC_ROUTES}
    return any(method == m and re.fullmatch(p, path) for m, p in declared)


@pytest.fixture
async def token(platform) -> str:
    await platform.create_broker_login(BROKER, PASSWORD)
    return await platform.login(BROKER, PASSWORD)


async def test_the_reported_probe_is_refused(platform):
    app = platform.gateway_service.app
    for raw in ("/api/me/..%2F..%2Finternal%2Fstats", "/api/me/..%2F..%2Fopenapi.json", "/api/me/..%2F..%2Fmetrics"):
        status, body = await call(app, "GET", raw)
        assert status == 404, (raw, body)
    assert platform.upstream_calls == []


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "with-token"])
async def test_no_encoding_of_dot_dot_reaches_an_internal_route(platform, token, authenticated):
    app = platform.gateway_service.app
    platform.upstream_calls.clear()
    answers: dict[int, int] = {}
    for prefix in prefixes():
        for escape in escapes():
            for method in ("GET", "POST"):
                raw = prefix + escape
                status, body = await call(app, method, raw, token if authenticated else None)
                answers[status] = answers.get(status, 0) + 1
                assert status in REFUSALS, (method, raw, status, body[:200])
                assert not LEAKS.search(body), (method, raw, body[:200])
    assert answers.get(404, 0) > 1000  # the probe ran
    assert [c for c in platform.upstream_calls if not public(c)] == []


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "with-token"])
async def test_no_path_parameter_builds_another_upstream_path(platform, token, authenticated):
    app = platform.gateway_service.app
    platform.upstream_calls.clear()
    templates = [r for r in PUBLIC_ROUTES if "{" in r.path]
    assert templates
    for route in templates:
        for escape in escapes() + ["..", ".", "%2E%2E", "%252E%252E", ACTIVATION_ID + "%2F..", ACTIVATION_ID + "%00"]:
            raw = "/api" + re.sub(r"\{\w+\}", lambda _m, e=escape: e, route.path)
            status, body = await call(app, route.method, raw, token if authenticated else None)
            assert status in REFUSALS, (raw, status, body[:200])
            assert not LEAKS.search(body), (raw, body[:200])
    assert platform.upstream_calls == []  # refused by the gateway: pattern or no route


async def test_declared_routes_still_answer(platform, token):
    """The probe's refusals are not those of a gateway that refuses everything."""
    app = platform.gateway_service.app
    status, body = await call(app, "GET", "/api/me", token)
    assert status == 200 and json.loads(body)["identifier"] == BROKER
    status, _ = await call(app, "GET", "/api/auth/identifier-help")
    assert status == 200
