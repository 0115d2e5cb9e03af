"""Fixtures of the gateway's unit tests: the gateway built by its bootstrap in front of fake services
(an `httpx.MockTransport`, or a socket server), valid tokens, and example bodies of identity's models."""

from __future__ import annotations

import contextlib
import importlib
import sys

# pytest (importlib mode, no __init__.py) names this file `gateway.tests.conftest` and stands the
# `gateway/` folder in for the `gateway` package before running it; put the real package back.
if getattr(sys.modules.get("gateway"), "__file__", None) is None:
    sys.modules.pop("gateway", None)
    importlib.import_module("gateway")

import datetime as dt
import time
import types
import typing
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from pydantic import BaseModel

from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.service import Service
from extranet_plumbing.testing import new_jwt_keys
from gateway.bootstrap import bootstrap
from gateway.settings import GatewaySettings

CLIENT_ADDRESS = "203.0.113.7"
GATEWAY_CREDENTIAL = "gateway-credential-of-the-tests"

# Realistic values by field name (the models may validate them more strictly one day); by type otherwise.
BY_NAME = {
    "email": "lea.durand@example.fr",
    "email_confirmation": "lea.durand@example.fr",
    "phone": "0612345678",
    "contact": "lea.durand@example.fr",
    "postal_code": "38000",
    "identifier": "M12345",
    "member_number": "73000077",
    "password": "Un-Mot-De-Passe-2026",
    "password_confirmation": "Un-Mot-De-Passe-2026",
    "new_password": "Un-Mot-De-Passe-2026",
    "new_password_confirmation": "Un-Mot-De-Passe-2026",
    "old_password": "Ancien-Mot-De-Passe-2025",
    "code": "123456",
    "contracts": ["W1-000123"],
    "contract_groups": {"W1-000123": ["A"]},
    "version": "2026-01",
}


def _value(name: str, annotation: Any) -> Any:
    if name in BY_NAME:
        return BY_NAME[name]
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return arguments[0]
    if origin in (typing.Union, types.UnionType):
        return _value(name, next(a for a in arguments if a is not type(None)))
    if origin is list:
        return [_value(name, arguments[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _example(annotation)
    if annotation is bool:
        return False
    if annotation is int:
        return 300
    if annotation is dt.datetime:
        return "2026-01-05T10:00:00Z"
    if annotation is dt.date:
        return "1985-05-12"
    return "exemple-0123"


def _example(model: Any) -> Any:
    """A JSON value that `model` (a pydantic model or `list[Model]`) accepts."""
    if typing.get_origin(model) is list:
        return [_example(typing.get_args(model)[0])]
    value = {name: _value(name, field.annotation) for name, field in model.model_fields.items()}
    model.model_validate(value)  # an example the model refuses would test nothing: say so here
    return value


@pytest.fixture
def example_of() -> Callable[[Any], Any]:
    """`example_of(model)`: a JSON value that `model` (a pydantic model or `list[Model]`) accepts."""
    return _example


@pytest.fixture
def client_address() -> str:
    """The address the gateway sees its test client call from."""
    return CLIENT_ADDRESS


class Keys:
    def __init__(self, directory) -> None:
        self._keys = new_jwt_keys(directory)
        self.verifier = TokenVerifier(self._keys.public_pem)

    def token(self, kind: str = "broker", *, terms_ok: bool = True, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": "extranet-identity",
            "aud": "extranet",
            "sub": "5f1b7c1e-0000-4000-8000-000000000001",
            "typ": "access",
            "kind": kind,
            "tenant": "mbtp",
            "scope": {"broker_code": "M12345"} if kind == "broker" else {},
            "sid": "5f1b7c1e-0000-4000-8000-000000000002",
            "iat": now,
            "exp": now + 600,
            "terms_ok": terms_ok,
            **claims,
        }
        return jwt.encode(body, self._keys.private_pem, algorithm="EdDSA")


@pytest.fixture
def keys(tmp_path) -> Keys:
    return Keys(tmp_path)


Handler = Callable[[httpx.Request], Any]


@pytest.fixture
def gateway(keys) -> Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """`async with gateway(identity=handler, portfolio=handler, **settings) as client`: the gateway's
    app, started, in front of fake services (a handler per service, or a base URL in settings)."""

    @contextlib.asynccontextmanager
    async def running(
        identity: Handler | None = None, portfolio: Handler | None = None, **settings: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        transports = {name: httpx.MockTransport(h) for name, h in (("identity", identity), ("portfolio", portfolio)) if h}
        # No Kafka here: the revocation list stays empty (the system tests follow the real stream).
        settings = {"gateway_credential": GATEWAY_CREDENTIAL, "session_revocations": False, **settings}
        service: Service = bootstrap(GatewaySettings(**settings), verifier=keys.verifier, transports=transports)
        async with service.running():
            transport = httpx.ASGITransport(service.app, client=(CLIENT_ADDRESS, 51234))
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield client

    return running
