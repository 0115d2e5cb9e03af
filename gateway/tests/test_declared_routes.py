"""The declared identity routes call identity as its public API says: the path under `/public`, the
validated body, and `X-Tenant`, `X-Client-IP` and the bearer token only where the entry says so.
What is not declared, or does not validate, never reaches identity."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import httpx
import pytest

from identity.api import PUBLIC_ROUTES, Route

ACTIVATION_ID = "0b7f6d2e-3a41-4c8e-9f0e-5d2c1a7b9e10"


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", ACTIVATION_ID, path)


class FakeIdentity:
    """Answers each declared route with an example of its response model, and records what it got."""

    def __init__(self, example_of) -> None:
        self.example_of = example_of
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for route in PUBLIC_ROUTES:
            if request.method == route.method and request.url.path == "/public" + concrete(route.path):
                if route.response is None:
                    return httpx.Response(route.status)
                return httpx.Response(route.status, json=self.example_of(route.response))
        return httpx.Response(404, json={"type": "about:blank", "title": "Not Found", "status": 404})


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no call was expected, got {request.method} {request.url.path}")


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_each_declared_route_calls_identity_as_its_entry_says(gateway, keys, example_of, client_address, route: Route):
    identity = FakeIdentity(example_of)
    headers = {"authorization": f"Bearer {keys.token()}"}
    body = example_of(route.request) if route.request is not None else None
    async with gateway(identity=identity, default_tenant="mbtp") as client:
        response = await client.request(route.method, "/api" + concrete(route.path), json=body, headers=headers)

    assert response.status_code == route.status, response.text
    if route.response is not None:
        assert response.json() == json.loads(json.dumps(example_of(route.response)))
    [sent] = identity.requests
    assert sent.url.path == "/public" + concrete(route.path)
    assert sent.headers.get("x-tenant") == ("mbtp" if route.tenant else None)
    assert sent.headers.get("x-client-ip") == (client_address if route.client_ip else None)
    assert sent.headers.get("authorization") == (headers["authorization"] if route.authenticated else None)
    assert (json.loads(sent.content) if sent.content else None) == body


async def test_the_portal_tenant_comes_from_the_query_and_is_validated(gateway, example_of):
    identity = FakeIdentity(example_of)
    login = {"portal": "member", "identifier": "73000077", "password": "x"}
    async with gateway(identity=identity, default_tenant="mbtp") as client:
        assert (await client.post("/api/auth/login?tenant=solimut", json=login)).status_code == 200
        assert (await client.post("/api/auth/login", json=login)).status_code == 200
        for bad in ("../internal", "MBTP", "a/b", "mbtp%00", "x" * 41, ""):
            response = await client.post(f"/api/auth/login?tenant={quote(bad, safe='')}", json=login)
            assert response.status_code == 422, bad
    assert [r.headers["x-tenant"] for r in identity.requests] == ["solimut", "mbtp"]
    assert all("tenant" not in r.url.params for r in identity.requests)


async def test_query_parameters_of_an_entry_are_declared_and_validated(gateway, example_of):
    identity = FakeIdentity(example_of)
    async with gateway(identity=identity) as client:
        assert (await client.get("/api/auth/identifier-help?portal=broker")).status_code == 200
        assert (await client.get("/api/auth/identifier-help?portal=../me")).status_code == 422
    [sent] = identity.requests
    assert dict(sent.url.params) == {"portal": "broker"}


@pytest.mark.parametrize(
    "activation_id", ["..", "..%2F..%2Finternal%2Fstats", "%2E%2E", "..%252Fx", "a.b", "x%5C..", "%00", "a" * 80, "0b7f6d2e%2F.."]
)
async def test_a_path_parameter_cannot_build_another_upstream_path(gateway, activation_id):
    async with gateway(identity=never) as client:
        response = await client.post(f"/api/members/activation/{activation_id}/verify", json={"code": "123456"})
    assert response.status_code in (404, 422), response.text


async def test_a_body_that_does_not_validate_never_reaches_identity(gateway):
    async with gateway(identity=never) as client:
        response = await client.post("/api/auth/login", json={"identifier": "M12345"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["password"]


async def test_a_token_is_verified_before_identity_is_called(gateway, keys):
    async with gateway(identity=never) as client:
        for headers in ({}, {"authorization": "Bearer not-a-jwt"}, {"authorization": f"Bearer {keys.token(exp=1)}"}):
            response = await client.get("/api/me", headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/me/stats"),
        ("GET", "/api/auth"),
        ("GET", "/api/auth/login/extra"),
        ("GET", "/api/members"),
        ("GET", "/api/internal/stats"),
        ("GET", "/internal/stats"),
        ("GET", "/public/me"),
        ("POST", "/api/me/anything/at/all"),
        ("PUT", "/api/members/activation/x/y/z"),
        ("GET", "/api/backoffice"),
        ("GET", "/api/employer/anything"),
    ],
)
async def test_what_is_not_declared_answers_404(gateway, keys, method, path):
    async with gateway(identity=never, portfolio=never) as client:
        response = await client.request(method, path, headers={"authorization": f"Bearer {keys.token()}"})
    assert response.status_code == 404


async def test_a_declared_path_with_another_method_is_refused(gateway, keys):
    async with gateway(identity=never) as client:
        response = await client.request("PATCH", "/api/me", headers={"authorization": f"Bearer {keys.token()}"})
    assert response.status_code == 405
