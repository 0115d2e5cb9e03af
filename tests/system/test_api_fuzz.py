"""The gateway's whole OpenAPI, fuzzed with schemathesis: every portal route (identity's included)
called with generated valid and invalid requests, anonymously and with a valid token of each kind of
account, a bounded number of examples each, through the real services on Kafka and PostgreSQL.
Whatever is sent, no answer is a server error."""

from __future__ import annotations

import json
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import NonInteractiveExampleWarning, Unsatisfiable
from schemathesis.generation import GenerationMode

PASSWORD = "Fuzz-Compte-2026!"
EXAMPLES = 20  # per operation and per generation mode: bounded, so that `make test` stays quick
# (portal of the login, kind of account, identifier, scope)
ACCOUNTS = [
    ("broker", "broker", "M40001", {"broker_code": "M40001"}),
    ("member", "member", "74000001", {"member_number": "74000001"}),
    ("employer", "correspondent", "C40000001", {"company_code": "40000001", "contracts": "all", "primary": True}),
    ("backoffice", "operator", "fuzz.operator", {"operator": True}),
]


async def tokens_of_each_kind(platform) -> list[str | None]:
    """An access token (terms accepted) of each kind of account, and no token at all."""
    tokens: list[str | None] = [None]
    for portal, kind, identifier, scope in ACCOUNTS:
        tokens.append(await platform.account_token(portal, kind, identifier, PASSWORD, scope))
    return tokens


def generated_cases(operation, mode: GenerationMode) -> list:
    """`EXAMPLES` requests for `operation`, the same ones at every run (derandomized)."""
    cases: list = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case) -> None:
        cases.append(case)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        try:
            collect()
        except Unsatisfiable:
            pass  # nothing invalid to send (an operation without parameters nor body, in negative mode)
    return cases


def multipart(files: list | None) -> list | None:
    """A generated multipart form (an upload route's) as httpx sends it: every value as text or bytes."""
    if not files:
        return None
    return [
        (name, (file_name, value if isinstance(value, str | bytes) else json.dumps(value), *rest))
        for name, (file_name, value, *rest) in files
    ]


@pytest.mark.timeout(600)
async def test_no_request_to_any_portal_route_gets_a_server_error(platform):
    tokens = await tokens_of_each_kind(platform)
    document = platform.gateway_service.app.openapi()  # what /openapi.json answers where it is public
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # every identity route and the broker dashboard
    failures, sent = [], 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for index, case in enumerate(generated_cases(operation, mode)):
                request = case.as_transport_kwargs(base_url="http://gateway")
                token = tokens[index % len(tokens)]
                headers = {k: v for k, v in (request.get("headers") or {}).items() if k.lower() != "connection"}
                if token and "authorization" not in {k.lower() for k in headers}:
                    headers["authorization"] = f"Bearer {token}"
                answer = await platform.gateway.request(
                    request["method"],
                    request["url"],
                    headers=headers,
                    params=request.get("params"),
                    json=request.get("json"),
                    content=request.get("data") if isinstance(request.get("data"), str | bytes) else None,
                    files=multipart(request.get("files")),
                )
                sent += 1
                if answer.status_code >= 500:
                    failures.append(
                        f"{request['method']} {case.formatted_path} ({mode.value}) -> {answer.status_code}: {answer.text[:200]}"
                    )
    assert sent >= 20 * 2 * EXAMPLES // 2
    assert failures == [], "\n".join(failures)
